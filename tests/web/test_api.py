"""The HTTP contract of /search.json and friends, on a site whose facts are known."""

from __future__ import annotations

import pytest

from ..conftest import assert_canonical_error, build, open_app
from ..site import PUBLISHED_NEWEST_FIRST, make_site


@pytest.fixture(scope="module")
def site_index(tmp_path_factory):
    root = make_site(tmp_path_factory.mktemp("site"))
    index_dir = tmp_path_factory.mktemp("site-index")
    report, _ = build(root, index_dir)
    return index_dir, report


@pytest.fixture
def api(site_index):
    with open_app({"index_dir": str(site_index[0])}) as app:
        yield app.test_client()


def ids(data):
    return [r["id"] for r in data["results"]]


def facet(data, name):
    return {f["value"]: (f["count"], f["selected"]) for f in data["facets"][name]}


def test_no_query_lists_newest_first(api):
    data = api.get("/search.json").get_json()
    assert data["ok"] is True
    assert data["total"] == 5
    assert ids(data) == PUBLISHED_NEWEST_FIRST
    assert data["sort"] == "newest"
    assert data["suggestion"] is None
    assert data["next_url"] is None


def test_result_fields(api):
    data = api.get("/search.json?q=budget+guidance").get_json()
    hit = data["results"][0]
    assert hit["id"] == "posts/2016-01-10-budget-guidance.md"
    assert hit["url"] == "/2016/01/10/budget-guidance/"
    assert hit["title"] == "Budget Guidance from OMB"
    assert hit["date"] == "2016-01-10T09:00:00-05:00"
    assert hit["tags"] == ["OMB", "Budget"]
    assert hit["authors"] == ["alice"]
    assert hit["categories"] == ["Policy"]
    assert hit["topics"] == []
    assert "<mark>budget</mark>" in hit["snippet"].lower()
    assert isinstance(hit["score"], float) and hit["score"] > 0


def test_tag_filter_is_case_insensitive_and_newest_first(api):
    upper = api.get("/search.json?tags=OMB").get_json()
    lower = api.get("/search.json?tags=omb").get_json()
    assert ids(upper) == ids(lower) == [
        "posts/2016-02-10-customer-experience-at-ssa.md",
        "posts/2016-01-10-budget-guidance.md",
    ]
    assert facet(upper, "tags")["OMB"] == (2, True)


def test_spelling_variants_are_one_facet_value(api):
    data = api.get("/search.json").get_json()
    tags = facet(data, "tags")
    # "Customer Experience", "customer experience" and "customer_experience"
    # are one value; each spelling is used once, so the first in order wins.
    assert tags["Customer Experience"] == (3, False)
    assert "customer experience" not in tags and "customer_experience" not in tags
    filtered = api.get("/search.json?tags=customer-experience").get_json()
    assert filtered["total"] == 3


def test_multi_select_counts_ignore_own_facet(api):
    data = api.get("/search.json?tags=OMB&tags=508").get_json()
    assert data["total"] == 3  # OR within a facet
    tags = facet(data, "tags")
    assert tags["OMB"] == (2, True)
    assert tags["508"] == (1, True)
    assert tags["Accessibility"] == (1, False)
    assert tags["Customer Experience"] == (3, False)
    # another facet's counts do honour the tag selection
    assert facet(data, "authors") == {"alice": (1, False), "bob": (1, False), "carol": (1, False)}


def test_different_facets_are_and(api):
    data = api.get("/search.json?tags=OMB&authors=alice").get_json()
    assert ids(data) == ["posts/2016-01-10-budget-guidance.md"]
    # the authors facet counts the tag selection only
    assert facet(data, "authors") == {"bob": (1, False), "alice": (1, True)}


def test_toggle_urls(api):
    data = api.get("/search.json?q=budget&tags=OMB").get_json()
    entries = {f["value"]: f for f in data["facets"]["tags"]}
    assert entries["OMB"]["toggle_url"] == "/search.json?q=budget"
    assert entries["Budget"]["toggle_url"] == "/search.json?q=budget&tags=OMB&tags=Budget"


def test_year_facet_and_filter(api):
    data = api.get("/search.json").get_json()
    assert [(f["value"], f["count"]) for f in data["facets"]["year"]] == [("2017", 2), ("2016", 2), ("2015", 1)]
    only_2016 = api.get("/search.json?year=2016").get_json()
    assert ids(only_2016) == PUBLISHED_NEWEST_FIRST[2:4]


def test_date_range_is_inclusive(api):
    data = api.get("/search.json?from=2016-02-10&to=2017-03-01").get_json()
    assert ids(data) == PUBLISHED_NEWEST_FIRST[1:3]


@pytest.mark.parametrize("sort,expected", [("newest", PUBLISHED_NEWEST_FIRST), ("oldest", PUBLISHED_NEWEST_FIRST[::-1])])
def test_sort_orders(api, sort, expected):
    assert ids(api.get(f"/search.json?sort={sort}").get_json()) == expected


def test_query_sorted_by_date(api):
    data = api.get("/search.json?q=budget&sort=oldest").get_json()
    assert ids(data) == [
        "events/2015-12-14-mobile-webinar-recap.md",
        "posts/2016-01-10-budget-guidance.md",
    ]
    assert all(r["score"] is None for r in data["results"])


def test_title_match_ranks_first(api):
    data = api.get("/search.json?q=budget").get_json()
    assert ids(data)[0] == "posts/2016-01-10-budget-guidance.md"


def test_stemming_finds_other_forms(api):
    data = api.get("/search.json?q=tested").get_json()
    assert set(ids(data)) == {
        "posts/2017-03-01-plain-language-tips.md",
        "posts/2017-05-05-section-508.md",
        "events/2015-12-14-mobile-webinar-recap.md",
    }


def test_all_words_rank_first_then_any_word(api):
    # Plain words are each optional (issue 3): the post with both comes first,
    # then the posts with one of them, rather than hiding the partial matches.
    both = api.get("/search.json?q=mobile+budget").get_json()
    assert ids(both) == ["events/2015-12-14-mobile-webinar-recap.md", "posts/2016-01-10-budget-guidance.md"]
    # no post has both words: the posts with either are ranked instead of nothing
    either = api.get("/search.json?q=keyboard+satisfaction").get_json()
    assert set(ids(either)) == {"posts/2017-05-05-section-508.md", "posts/2016-02-10-customer-experience-at-ssa.md"}


def test_query_language(api):
    assert ids(api.get('/search.json?q="mobile testing"').get_json()) == ["events/2015-12-14-mobile-webinar-recap.md"]
    assert ids(api.get("/search.json?q=budget+-mobile").get_json()) == ["posts/2016-01-10-budget-guidance.md"]
    assert ids(api.get("/search.json?q=budget+NOT+mobile").get_json()) == ["posts/2016-01-10-budget-guidance.md"]
    assert set(ids(api.get("/search.json?q=keyboard+OR+emulators").get_json())) == {
        "posts/2017-05-05-section-508.md",
        "events/2015-12-14-mobile-webinar-recap.md",
    }
    assert ids(api.get("/search.json?q=tags:ssa").get_json()) == ["posts/2016-02-10-customer-experience-at-ssa.md"]
    assert ids(api.get("/search.json?q=title:accessibility").get_json()) == ["posts/2017-05-05-section-508.md"]
    assert ids(api.get("/search.json?q=authors:carol").get_json()) == ["posts/2017-05-05-section-508.md"]
    assert set(ids(api.get("/search.json?q=emul*").get_json())) == {"events/2015-12-14-mobile-webinar-recap.md"}


@pytest.mark.parametrize("q", ["*", "?*", "*a*", "a*", "abcde~2", "*:*", "body:[a TO z]", "title:x^1000", "((((budget", "budget)))", '"unclosed', "AND", "NOT", "-", "\x00", "tags:", "(" * 400])
def test_hostile_syntax_never_fails(api, q):
    response = api.get("/search.json", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["ok"] is True


def test_pagination(api):
    first = api.get("/search.json?per_page=2").get_json()
    assert (first["total"], first["pages"], first["page"]) == (5, 3, 1)
    assert first["next_url"] == "/search.json?per_page=2&page=2"
    seen = []
    url = "/search.json?per_page=2"
    for _ in range(10):
        data = api.get(url).get_json()
        seen += ids(data)
        url = data["next_url"]
        if url is None:
            break
    assert seen == PUBLISHED_NEWEST_FIRST
    last = api.get("/search.json?per_page=2&page=3").get_json()
    assert ids(last) == PUBLISHED_NEWEST_FIRST[4:] and last["next_url"] is None
    past = api.get("/search.json?per_page=2&page=4").get_json()
    assert (past["results"], past["total"], past["next_url"]) == ([], 5, None)


@pytest.mark.parametrize(
    "query,param,message",
    [
        ("page=0", "page", "page must be at least 1"),
        ("page=abc", "page", "page must be a whole number from 1 to 1000, not 'abc'"),
        ("page=-1", "page", "page must be a whole number from 1 to 1000, not '-1'"),
        ("page=1001", "page", "page must be at most 1000 (setting max_page)"),
        ("per_page=101", "per_page", "per_page must be at most 100 (setting max_per_page)"),
        ("per_page=0", "per_page", "per_page must be at least 1"),
        ("sort=best", "sort", "sort must be one of relevance, newest, oldest, not 'best'"),
        ("from=2016-13-01", "from", "from must be a date written YYYY-MM-DD, not '2016-13-01'"),
        ("to=yesterday", "to", "to must be a date written YYYY-MM-DD, not 'yesterday'"),
        ("from=2017-01-01&to=2016-01-01", "from", "from (2017-01-01) must not be after to (2016-01-01)"),
        ("q=" + "a" * 501, "q", "q must be at most 500 characters (setting max_query_chars); it has 501"),
    ],
)
def test_bad_parameters(api, query, param, message):
    response = api.get("/search.json?" + query)
    body = assert_canonical_error(response, 400, param, message)
    assert body == {"ok": False, "status": 400, "error": message, "errors": [message], "parameter": param}


def test_not_found_and_method_not_allowed(api):
    assert_canonical_error(api.get("/nope.json"), 404, message="there is nothing at /nope.json")
    not_allowed = "method POST is not allowed on /search.json; use GET, HEAD, OPTIONS"
    post = api.post("/search.json")
    assert_canonical_error(post, 405, message=not_allowed)
    assert sorted(post.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS"]  # werkzeug's order is a set's
    # Routing answers before the body is read: a body over max_request_bytes
    # on a GET-only route is still the 405, not a 413.
    assert_canonical_error(api.post("/search.json", data=b"x" * 100_000), 405, message=not_allowed)


def test_document_endpoint(api):
    data = api.get("/documents/posts/2016-01-10-budget-guidance.md.json").get_json()
    assert data["document"]["title"] == "Budget Guidance from OMB"
    assert data["document"]["body"].startswith("The Office of Management and Budget issued")
    missing = api.get("/documents/posts/none.md.json")
    assert_canonical_error(missing, 404, message="there is no document with id 'posts/none.md'")


def test_facet_endpoint(api):
    data = api.get("/facets/tags.json").get_json()
    values = {v["value"]: v["count"] for v in data["values"]}
    assert values == {"OMB": 2, "Customer Experience": 3, "SSA": 1, "Budget": 1, "plain-language": 1, "508": 1, "Accessibility": 1, "Mobile": 1, "Recaps": 1}
    assert data["values"][0] == {"value": "Customer Experience", "count": 3, "url": "/search.json?tags=Customer+Experience"}
    assert_canonical_error(api.get("/facets/colours.json"), 404)


def test_healthz(api, site_index, tmp_path):
    data = api.get("/healthz").get_json()
    assert data["status"] == "ok" and data["documents"] == 5 and data["generation"] == 1
    assert data["last_indexed"]
    with open_app({"index_dir": str(tmp_path / "none")}) as app:
        empty = app.test_client()
        response = empty.get("/healthz")
        assert "run 'searchsvc reindex'" in assert_canonical_error(response, 503)["error"]
        search = empty.get("/search.json?q=x")
        assert "searchsvc reindex" in assert_canonical_error(search, 503)["error"]


def test_cors_and_security_headers(api, tmp_path, site_index):
    response = api.get("/search.json", headers={"Origin": "https://www.example.gov"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    with open_app({"index_dir": str(site_index[0]), "cors_origins": "https://www.example.gov"}) as app:
        limited = app.test_client()
        allowed = limited.get("/search.json", headers={"Origin": "https://www.example.gov"})
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.example.gov"
        other = limited.get("/search.json", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
