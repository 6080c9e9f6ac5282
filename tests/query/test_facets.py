"""query/facets.py: filters as arrays over posts, facet counts that ignore
their own selection, the max_facet_values cut, and /facets/<name>.json's
list, on tests/query/conftest.py's four-post site.  (Counts inside whole
search responses: tests/query/test_search.py and tests/web/test_api.py.)"""

from __future__ import annotations

import numpy as np

from searchsvc.query.facets import facet_values, facets_of, filter_docs, in_date_range

MOBILE_FIRST, GUIDANCE = "posts/2015-06-01-mobile-first.md", "posts/2016-01-10-budget-guidance.md"
TOOLS, PLAIN = "posts/2016-02-10-budget-tools.md", "posts/2017-03-01-plain-language.md"


def ids(generation, docs):
    return [generation.searcher.stored_fields(d)["id"] for d in np.flatnonzero(docs)]


def entries(facets, name):
    return [(e["value"], e["count"], e["selected"], e["toggle_url"]) for e in facets[name]]


def test_the_facets_of_the_site(small):
    generation, _, _ = small
    assert generation.facet_names == ("tags", "categories", "authors", "topics", "year")


def test_a_filter_is_the_posts_with_any_of_its_values_in_any_spelling(small):
    generation, _, _ = small
    assert ids(generation, filter_docs(generation, "tags", ["design"])) == [MOBILE_FIRST, PLAIN]
    assert ids(generation, filter_docs(generation, "tags", ["DESIGN", "omb"])) == [MOBILE_FIRST, GUIDANCE, PLAIN]
    assert ids(generation, filter_docs(generation, "tags", ["zzz"])) == []
    assert ids(generation, filter_docs(generation, "year", ["2016"])) == [GUIDANCE, TOOLS]
    assert ids(generation, filter_docs(generation, "authors", ["bob"])) == [TOOLS, PLAIN]


def test_a_date_range_keeps_the_posts_on_or_after_from_and_on_or_before_to(small):
    generation, _, request = small
    assert ids(generation, in_date_range(generation, generation.live, request([("from", "2016-01-10")]))) == [GUIDANCE, TOOLS, PLAIN]
    assert ids(generation, in_date_range(generation, generation.live, request([("to", "2016-01-10")]))) == [MOBILE_FIRST, GUIDANCE]
    only_tags = filter_docs(generation, "tags", ["budget"])
    assert ids(generation, in_date_range(generation, only_tags, request([("from", "2016-02-01")]))) == [TOOLS]
    # one byte a character, over every post: the day strings as str were 4 MB per worker at 100,000 posts
    assert (generation.days.dtype, generation.days.nbytes) == (np.dtype("S10"), 10 * generation.size)


def test_counts_ignore_their_own_selection_and_list_most_posts_first(small):
    generation, settings, request = small
    req = request([("tags", "design")])
    filters = {"tags": filter_docs(generation, "tags", ["design"])}
    facets = facets_of(generation, req, generation.live, filters, settings, "/search.json")
    assert entries(facets, "tags") == [
        ("Budget", 2, False, "/search.json?tags=design&tags=Budget"),
        ("Design", 2, True, "/search.json"),  # the value as the index spells it, selected whatever the request's case
        ("Mobile", 1, False, "/search.json?tags=design&tags=Mobile"),
        ("OMB", 1, False, "/search.json?tags=design&tags=OMB"),
        ("plain-language", 1, False, "/search.json?tags=design&tags=plain-language"),
        ("Tools", 1, False, "/search.json?tags=design&tags=Tools"),
    ]
    assert entries(facets, "authors") == [
        ("alice", 1, False, "/search.json?tags=design&authors=alice"),
        ("bob", 1, False, "/search.json?tags=design&authors=bob"),
        ("carol", 1, False, "/search.json?tags=design&authors=carol"),
    ]
    assert entries(facets, "year") == [
        ("2017", 1, False, "/search.json?tags=design&year=2017"),
        ("2015", 1, False, "/search.json?tags=design&year=2015"),
    ]
    assert facets["topics"] == []
    assert facets["tags"][1]["label"] == "Design" and facets["tags"][1]["term_url"] is None


def test_max_facet_values_cuts_the_list_but_keeps_a_selected_value(small):
    generation, settings, request = small
    settings = dict(settings, max_facet_values=2)
    req = request([("tags", "Tools")])
    facets = facets_of(generation, req, generation.live, {"tags": filter_docs(generation, "tags", ["Tools"])}, settings, "/search.json")
    assert [(e["value"], e["count"], e["selected"]) for e in facets["tags"]] == [("Budget", 2, False), ("Design", 2, False), ("Tools", 1, True)]


def test_a_selected_value_no_post_has_is_listed_with_0_so_it_can_be_unticked(small):
    generation, settings, request = small
    req = request([("tags", "Nonexistent")])
    facets = facets_of(generation, req, generation.live, {"tags": filter_docs(generation, "tags", ["Nonexistent"])}, dict(settings, max_facet_values=2), "/search.json")
    assert entries(facets, "tags") == [
        ("Budget", 2, False, "/search.json?tags=Nonexistent&tags=Budget"),
        ("Design", 2, False, "/search.json?tags=Nonexistent&tags=Design"),
        ("Nonexistent", 0, True, "/search.json"),
    ]


def test_facet_values_lists_every_value_most_posts_first(small):
    generation, _, _ = small
    assert facet_values(generation, "tags", "/search.json") == [
        {"value": "Budget", "count": 2, "url": "/search.json?tags=Budget"},
        {"value": "Design", "count": 2, "url": "/search.json?tags=Design"},
        {"value": "Mobile", "count": 1, "url": "/search.json?tags=Mobile"},
        {"value": "OMB", "count": 1, "url": "/search.json?tags=OMB"},
        {"value": "plain-language", "count": 1, "url": "/search.json?tags=plain-language"},
        {"value": "Tools", "count": 1, "url": "/search.json?tags=Tools"},
    ]
    assert facet_values(generation, "year", "/search") == [
        {"value": "2016", "count": 2, "url": "/search?year=2016"},
        {"value": "2015", "count": 1, "url": "/search?year=2015"},
        {"value": "2017", "count": 1, "url": "/search?year=2017"},
    ]
    assert facet_values(generation, "colours", "/search.json") == []
