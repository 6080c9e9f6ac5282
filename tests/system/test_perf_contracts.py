"""What the speed work must not change: ranking, freshness, extracted documents, highlights.

Each shortcut taken for speed (issue 5, BENCHMARKS.md) is checked against
the slow, obviously right computation it replaces.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from werkzeug.datastructures import MultiDict

from searchsvc import create_app
from searchsvc.query import search
from searchsvc.words import facet_key
from searchsvc.index.build import reindex
from searchsvc.index.manifest import FileResult
from searchsvc.index.segments import parse_all as _parse_all
from searchsvc.ingest.sites.plain import PlainSite
from searchsvc.ingest.walk import scan as _scan
from searchsvc.query.language import is_plain
from searchsvc.query.request import parse_args
from searchsvc.query.generation import IndexHandle

from ..conftest import build, conf, open_app, write_post
from ..site import synthetic_site

QUERIES = [
    "mobile apps",
    "open data",
    "customer experience",
    "accessibility testing",
    "social media metrics",
    "digital government",
    "plain language",
    "usability",
    "api",
    "challenge prize competitions",
]


def _request(settings, **params):
    return parse_args(MultiDict(params), settings, settings["facets"])


@pytest.mark.keeps_resources  # the module's generation opens segment files on first use
@pytest.mark.parametrize("tag", [None, "Mobile"])
def test_top_ten_equals_an_exhaustive_ranking(corpus_generation, tag):
    """The page of hits is the head of a ranking of every match, filters applied."""
    generation, settings = corpus_generation
    for q in QUERIES:
        params = {"q": q} if tag is None else {"q": q, "tags": tag}
        req = _request(settings, **params)
        served = [hit["id"] for hit in search.run(generation, req, settings, "/search.json")["results"]]
        plan, relevance, _, _ = search.plan_query(generation, req, settings, "/search.json")
        allowed = relevance.matched.copy()
        if tag:
            allowed &= search.filter_docs(generation, "tags", [tag])
        count = int(allowed.sum())
        everything = relevance.ranked(allowed, count)
        assert len(everything) == count
        expected = [generation.searcher.stored_fields(d)["id"] for d, _ in everything[:10]]
        assert served == expected, q
        assert len(served) == min(10, count)


@pytest.mark.keeps_resources  # the module's generation opens segment files on first use
def test_later_pages_equal_an_exhaustive_ranking(corpus_generation):
    """Page 2 and 3 (a wider window for the bonus re-rank) continue the same ranking."""
    generation, settings = corpus_generation
    for q in ["open data", "customer experience", "mobile apps"]:
        req = _request(settings, q=q)
        plan, relevance, _, _ = search.plan_query(generation, req, settings, "/search.json")
        count = int(relevance.matched.sum())
        everything = [generation.searcher.stored_fields(d)["id"] for d, _ in relevance.ranked(relevance.matched, count)]
        for page in (2, 3):
            served = search.run(generation, _request(settings, q=q, page=str(page)), settings, "/search.json")["results"]
            assert [hit["id"] for hit in served] == everything[(page - 1) * 10 : page * 10], (q, page)


@pytest.mark.keeps_resources  # the module's generation opens segment files on first use
def test_facet_counts_and_date_order_equal_a_count_over_stored_fields(corpus_generation):
    generation, settings = corpus_generation
    searcher = generation.searcher
    req = _request(settings, q="data", tags="Open Data", sort="newest", **{"from": "2016-01-01"})
    result = search.run(generation, req, settings, "/search.json")
    plan, relevance, _, _ = search.plan_query(generation, req, settings, "/search.json")
    matched = [int(d) for d in relevance.matched.nonzero()[0]]
    stored = {d: searcher.stored_fields(d) for d in matched}
    in_range = [d for d in matched if stored[d]["date_iso"][:10] >= "2016-01-01"]
    with_tag = [d for d in in_range if facet_key("Open Data") in {facet_key(v) for v in json.loads(stored[d]["facet_values"]).get("tags", [])}]
    assert result["total"] == len(with_tag) > 10
    # newest first, then by document number, highest first
    newest = sorted(with_tag, key=lambda d: (generation.dates[d], d), reverse=True)
    assert [hit["id"] for hit in result["results"]] == [stored[d]["id"] for d in newest[:10]]
    # the tags facet ignores its own filter; categories count within it
    for name, docs in (("tags", in_range), ("categories", with_tag)):
        counts: dict[str, int] = {}
        for d in docs:
            for key in {facet_key(v) for v in json.loads(stored[d]["facet_values"]).get(name, [])}:
                counts[key] = counts.get(key, 0) + 1
        shown = {facet_key(entry["value"]): entry["count"] for entry in result["facets"][name]}
        assert shown and all(counts[value] == count for value, count in shown.items()), name
        assert min(shown.values()) >= max([c for v, c in counts.items() if v not in shown] or [0])


@pytest.mark.keeps_resources  # the module's generation opens segment files on first use
def test_query_language_top_ten_equals_an_exhaustive_ranking_of_whooshs_matches(corpus_generation):
    """Whoosh matches the query language (plus its words' typo corrections and synonyms); the one model ranks every match."""
    generation, settings = corpus_generation
    searcher = generation.searcher
    for q in ['title:mobile OR "open data"', "data -mobile", "(budget OR finance) AND report"]:
        assert not is_plain(q)
        req = _request(settings, q=q)
        served = [hit["id"] for hit in search.run(generation, req, settings, "/search.json")["results"]]
        plan, relevance, parsed, matched = search.language_query(generation, req, settings)
        as_typed = set(searcher.docs_for_query(search.parse_query(q, generation.ix.schema, searcher.reader(), settings)))
        found = set(np.flatnonzero(matched).tolist())
        assert as_typed <= found == set(searcher.docs_for_query(parsed)) & set(np.flatnonzero(generation.live).tolist())
        count = int(matched.sum())
        everything = relevance.ranked(matched, count)
        assert len(everything) == count
        assert served == [searcher.stored_fields(d)["id"] for d, _ in everything[:10]], q
        assert len(served) == 10


def test_repeated_query_is_served_from_the_cache(corpus_index):
    index_dir, _ = corpus_index
    app = create_app({"index_dir": str(index_dir), "TESTING": True})
    client = app.test_client()
    first = client.get("/search.json?q=open+data&tags=Open+Data").get_json()
    second = client.get("/search.json?q=open+data&tags=Open+Data").get_json()
    first.pop("took_ms"), second.pop("took_ms")
    assert second == first
    handle = app.extensions["searchsvc"]
    generation = handle.acquire()
    try:
        stats = generation.cache.stats()
    finally:
        handle.release(generation)
    assert (stats["hits"], stats["misses"]) == (1, 1)
    # another page of the same query is another answer
    third = client.get("/search.json?q=open+data&tags=Open+Data&page=2").get_json()
    assert third["page"] == 2 and third["results"] != first["results"]


def test_new_generation_starts_with_an_empty_cache(tmp_path):
    root = tmp_path / "site"
    write_post(root, "2020-01-01-one.md", "title: Cached answers\ndate: 2020-01-01", "Budget tables for everyone.")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    with open_app({"index_dir": str(index_dir)}) as app:
        client = app.test_client()
        assert client.get("/search.json?q=budget").get_json()["total"] == 1
        assert client.get("/search.json?q=budget").get_json()["total"] == 1  # a cache hit
        write_post(root, "2020-01-02-two.md", "title: More budget news\ndate: 2020-01-02", "Another budget.")
        report, _ = build(root, index_dir)
        assert report.added == 1
        data = client.get("/search.json?q=budget").get_json()
        assert data["total"] == 2
        assert [hit["id"] for hit in data["results"]] == ["2020-01-02-two.md", "2020-01-01-one.md"]


def test_parallel_and_serial_parse_give_identical_documents(tmp_path):
    root = synthetic_site(tmp_path / "site")
    settings = conf(content_dir=str(root))
    site = PlainSite(root, settings)
    jobs = [(str(p), dict(settings), rel, size, mtime) for rel, (p, size, mtime) in sorted(_scan(root).items())]
    assert len(jobs) == 211
    serial = list(_parse_all(site, jobs, None, workers=1))
    parallel = list(_parse_all(site, jobs, None, workers=2))
    assert all(isinstance(r, FileResult) for r in parallel)
    assert parallel == serial
    assert [r.status for r in serial].count("failed") == 1


def test_parallel_full_build_stores_what_a_serial_build_stores(tmp_path):
    root = synthetic_site(tmp_path / "site")
    stored = []
    for workers in (1, 2):
        index_dir = tmp_path / f"index-{workers}"
        report = reindex(root, index_dir, conf(content_dir=str(root)), full=True, workers=workers)
        assert (report.added, len(report.failed), report.documents) == (210, 1, 210)
        handle = IndexHandle(index_dir, ("tags", "categories", "authors", "topics"))
        generation = handle.acquire()
        try:
            stored.append(sorted((f["id"], f["title"], f["body"], f["facet_values"]) for f in generation.searcher.all_stored_fields()))
        finally:
            handle.release(generation)
            handle.close()
    assert stored[0] == stored[1]
    assert len(stored[0]) == 210


def test_ids_do_not_depend_on_how_the_content_folder_is_named(tmp_path, monkeypatch):
    root = synthetic_site(tmp_path / "site", n=3)
    absolute = sorted(_scan(root))
    monkeypatch.chdir(root)
    from pathlib import Path

    assert sorted(_scan(Path("."))) == absolute
    assert sorted(_scan(Path(str(root) + "/"))) == absolute
    assert "0/2019-03-01-post-0.md" in absolute


def test_an_index_without_posts_answers_every_kind_of_request(tmp_path):
    """The array paths (facets, dates, filters, sorts) with zero documents."""
    root = tmp_path / "site"
    write_post(root, "2020-01-01-draft.md", "title: Not yet\ndate: 2020-01-01\ndraft: true", "Budget words.")
    index_dir = tmp_path / "index"
    report, _ = build(root, index_dir)
    assert report.documents == 0
    with open_app({"index_dir": str(index_dir)}) as app:
        client = app.test_client()
        for query in ["q=budget", "q=budget&from=2019-01-01&to=2021-01-01", "q=budget&tags=Money&sort=newest", "sort=oldest", "q=title:budget", "q=budgte"]:
            response = client.get("/search.json?" + query)
            assert response.status_code == 200, query
            data = response.get_json()
            assert (data["total"], data["results"]) == (0, []), query
            # only a selected value is listed (with 0), so it can be unticked
            listed = [(name, e["value"], e["count"], e["selected"]) for name, entries in data["facets"].items() for e in entries]
            assert listed == ([("tags", "Money", 0, True)] if "tags=" in query else []), query
