"""query/search.py: search.run and cached_search, a SearchRequest over a
live generation -> the one result dict /search.json and the page share.
The four-post site is tests/query/conftest.py's; every figure below is
counted from it."""

from __future__ import annotations

from searchsvc.query.search import cached_search, request_key, run

from .conftest import NEWEST_FIRST

GUIDANCE, TOOLS = "posts/2016-01-10-budget-guidance.md", "posts/2016-02-10-budget-tools.md"
MOBILE_FIRST, PLAIN = "posts/2015-06-01-mobile-first.md", "posts/2017-03-01-plain-language.md"


def search(small, *pairs):
    generation, settings, request = small
    return run(generation, request(pairs), settings, "/search.json")


def ids(result):
    return [hit["id"] for hit in result["results"]]


def counts(result, facet):
    return [(entry["value"], entry["count"], entry["selected"]) for entry in result["facets"][facet]]


def test_no_words_lists_every_post_newest_first(small):
    result = search(small)
    assert ids(result) == NEWEST_FIRST == [PLAIN, TOOLS, GUIDANCE, MOBILE_FIRST]
    assert {k: result[k] for k in ("ok", "query", "total", "page", "per_page", "pages", "sort", "truncated", "next_url", "suggestion", "corrected", "facet_matches")} == {
        "ok": True, "query": "", "total": 4, "page": 1, "per_page": 10, "pages": 1, "sort": "newest",
        "truncated": False, "next_url": None, "suggestion": None, "corrected": False, "facet_matches": [],
    }
    assert [hit["score"] for hit in result["results"]] == [None] * 4
    assert isinstance(result["took_ms"], float)


def test_a_word_ranks_its_posts_and_marks_it(small):
    result = search(small, ("q", "budget"))
    assert (result["total"], result["sort"], result["truncated"]) == (2, "relevance", False)
    assert [(hit["id"], hit["score"]) for hit in result["results"]] == [(GUIDANCE, 2.1486), (TOOLS, 2.1309)]
    first = result["results"][0]
    assert {k: v for k, v in first.items() if k not in ("score", "sub_results")} == {
        "id": GUIDANCE,
        "url": "/2016/01/10/budget-guidance/",
        "title": "Budget guidance from OMB",
        "summary": "The budget office issued budget guidance for agencies. Plan the budget early.",
        "date": "2016-01-10T00:00:00",
        "tags": ["OMB", "Budget"],
        "categories": ["Policy"],
        "authors": ["alice"],
        "topics": [],
        "snippet": "The <mark>budget</mark> office issued <mark>budget</mark> guidance for agencies. Plan the <mark>budget</mark> early.",
        "title_html": "<mark>Budget</mark> guidance from OMB",
    }
    assert result["facet_matches"] == [{"facet": "tags", "value": "Budget"}]


def test_a_title_match_outranks_a_body_match(small):
    result = search(small, ("q", "mobile"))
    assert [(hit["id"], hit["score"]) for hit in result["results"]] == [(MOBILE_FIRST, 1.0956), (TOOLS, 0.6081), (PLAIN, 0.6081)]
    assert [hit["title_html"] for hit in result["results"]] == ["<mark>Mobile</mark> first design", "Tools for budget teams", "Plain language tips"]


def test_sorted_by_date_a_search_has_no_scores(small):
    result = search(small, ("q", "budget"), ("sort", "oldest"))
    assert ids(result) == [GUIDANCE, TOOLS]
    assert [hit["score"] for hit in result["results"]] == [None, None]


def test_the_query_language_is_matched_too(small):
    result = search(small, ("q", "NOT budget"))
    assert (result["total"], ids(result)) == (2, [PLAIN, MOBILE_FIRST])  # nothing scores: in date order
    assert search(small, ("q", '"budget teams"'))["total"] == 1
    assert ids(search(small, ("q", "authors:alice"))) == [PLAIN, GUIDANCE]


def test_pages_and_next_url(small):
    first = search(small, ("q", "budget"), ("per_page", "1"))
    assert (ids(first), first["pages"], first["next_url"]) == ([GUIDANCE], 2, "/search.json?q=budget&per_page=1&page=2")
    second = search(small, ("q", "budget"), ("per_page", "1"), ("page", "2"))
    assert (ids(second), second["page"], second["next_url"]) == ([TOOLS], 2, None)
    past = search(small, ("q", "budget"), ("per_page", "1"), ("page", "3"))
    assert (past["results"], past["total"], past["pages"], past["next_url"]) == ([], 2, 2, None)


def test_facet_counts_with_no_selection(small):
    result = search(small)
    assert counts(result, "tags") == [
        ("Budget", 2, False), ("Design", 2, False), ("Mobile", 1, False), ("OMB", 1, False), ("plain-language", 1, False), ("Tools", 1, False),
    ]
    assert counts(result, "authors") == [("alice", 2, False), ("bob", 2, False), ("carol", 1, False)]
    assert counts(result, "categories") == [("Policy", 1, False), ("Writing", 1, False)]
    assert counts(result, "topics") == []
    assert counts(result, "year") == [("2017", 1, False), ("2016", 2, False), ("2015", 1, False)]


def test_a_selected_value_filters_and_keeps_its_own_facet_counts(small):
    result = search(small, ("tags", "Design"))
    assert ids(result) == [PLAIN, MOBILE_FIRST]
    # the tags facet ignores its own selection; the others count the two posts
    assert counts(result, "tags")[:2] == [("Budget", 2, False), ("Design", 2, True)]
    assert counts(result, "authors") == [("alice", 1, False), ("bob", 1, False), ("carol", 1, False)]
    toggles = {entry["value"]: entry["toggle_url"] for entry in result["facets"]["tags"]}
    assert toggles["Design"] == "/search.json"
    assert toggles["Budget"] == "/search.json?tags=Design&tags=Budget"


def test_values_of_one_facet_are_or_and_facets_are_and(small):
    assert search(small, ("tags", "Design"), ("tags", "Budget"))["total"] == 4
    assert ids(search(small, ("tags", "Budget"), ("authors", "alice"))) == [GUIDANCE]


def test_date_range_and_year(small):
    assert ids(search(small, ("from", "2016-01-10"), ("to", "2016-02-10"))) == [TOOLS, GUIDANCE]  # both ends included
    assert ids(search(small, ("year", "2016"))) == [TOOLS, GUIDANCE]
    assert search(small, ("from", "2018-01-01"))["total"] == 0


def test_cached_search_answers_what_run_does(small):
    generation, settings, request = small
    req = request([("q", "budget"), ("tags", "Budget")])
    fresh = run(generation, req, settings, "/search.json")
    first = cached_search(generation, req, settings, "/search.json")
    again = cached_search(generation, req, settings, "/search.json")
    without_time = lambda r: {k: v for k, v in r.items() if k != "took_ms"}  # noqa: E731
    assert without_time(first) == without_time(again) == without_time(fresh)
    again["results"] = []  # a caller's change does not reach the cache
    assert ids(cached_search(generation, req, settings, "/search.json")) == [GUIDANCE, TOOLS]


def test_requests_that_spell_the_same_search_share_a_key(small):
    _, _, request = small
    assert request_key(request([("q", "budget")]), "/search.json") == request_key(request([("q", " budget "), ("sort", "relevance"), ("per_page", "10")]), "/search.json")
    assert request_key(request([("q", "budget")]), "/search.json") != request_key(request([("q", "budget")]), "/search")
    assert request_key(request([("page", "2")]), "/search.json") != request_key(request([]), "/search.json")
