"""The real corpus (../shared/corpus/digitalgov-2017): skipped when absent."""

from __future__ import annotations

from collections import Counter

import frontmatter

from searchsvc.words import facet_key

from ..conftest import CORPUS


def test_full_reindex_of_the_real_corpus(corpus_index):
    _, report = corpus_index
    assert report.failed == []
    assert report.documents == 1543
    assert report.unpublished == 1
    print(f"\nreal corpus: {report.summary()}; wall {report.wall:.2f} s")


def _tagged(*tags):
    """Posts with any of these tags (any spelling), computed from the front matter directly."""
    keys = {facet_key(t) for t in tags}
    found = []
    for path in sorted(CORPUS.glob("*.md")):
        post = frontmatter.load(path)
        if post.get("draft") is True:
            continue
        if any(facet_key(str(t)) in keys for t in post.get("tags") or []):
            found.append(path.name)
    return found


def test_tag_filter_matches_front_matter(corpus_client):
    expected = _tagged("OMB")
    data = corpus_client.get("/search.json?tags=OMB&per_page=100").get_json()
    assert data["total"] == len(expected)
    assert sorted(r["id"] for r in data["results"]) == expected
    dates = [r["date"] for r in data["results"]]
    assert [d[:10] for d in dates] == sorted((d[:10] for d in dates), reverse=True)
    tags = {f["value"]: (f["count"], f["selected"]) for f in data["facets"]["tags"]}
    assert tags["OMB"] == (len(expected), True)


def test_facet_counts_match_front_matter(corpus_client):
    counts: Counter = Counter()
    for path in CORPUS.glob("*.md"):
        post = frontmatter.load(path)
        if post.get("draft") is True:
            continue
        counts.update({facet_key(str(t)) for t in post.get("tags") or []})
    data = corpus_client.get("/facets/tags.json").get_json()
    served = {facet_key(v["value"]): v["count"] for v in data["values"]}
    assert served == dict(counts)


def test_multi_select_counts_on_the_corpus(corpus_client):
    omb, ssa, either = _tagged("OMB"), _tagged("SSA"), _tagged("OMB", "SSA")
    both = corpus_client.get("/search.json?tags=OMB&tags=SSA").get_json()
    assert both["total"] == len(either)
    # each selected value still shows its own count, not the narrowed one
    selected = {f["value"]: f["count"] for f in both["facets"]["tags"] if f["selected"]}
    assert selected == {"OMB": len(omb), "SSA": len(ssa)}


def test_webinar_recap_ranks_first(corpus_client):
    data = corpus_client.get("/search.json?q=customer+service+webinar+recap").get_json()
    top = data["results"][0]
    assert top["id"] == "2015-12-14-government-customer-service-update-webinar-recap.md"
    assert top["title"] == "Government Customer Service Update—Webinar Recap"
    assert "<mark>" in top["snippet"]
