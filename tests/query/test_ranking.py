"""The one ranking model (query/ranking.py): BM25F, rarity, and the query language scored like plain words."""

from __future__ import annotations

import math

import pytest

from searchsvc import create_app
from searchsvc.index.schema import text_analyzer
from searchsvc.query import ranking
from searchsvc.query.generation import IndexHandle

from ..conftest import build, conf, open_app, write_post

FILLER = "Agencies publish updates about their programs every week. "
POSTS = {
    # twelve posts whose titles hold the common words of the query below
    **{
        f"common-{i}.md": (f"title: Launching Government Websites, Part {i}\ndate: 2017-01-{i:02d}", FILLER * 3 + "Government websites need owners.")
        for i in range(1, 13)
    },
    "captions.md": (
        "title: Video Tips\ndate: 2016-01-01",
        FILLER + "Captioning makes a video usable for everyone. Good captioning is timed to the speech, and captioning "
        "files can be reused across government sites.",
    ),
    "emulators.md": ("title: Mobile Emulators Compared\ndate: 2016-06-01\ntags: [Mobile]", FILLER + "Emulators are no substitute for real phones."),
    "ssa-spelled.md": ("title: Benefits Letters Rewritten\ndate: 2016-03-10", FILLER + "The Social Security Administration rewrote its benefits letters in plain words."),
    "ssa-tagged.md": ("title: Field Office Wait Times\ndate: 2016-02-10\ntags: [SSA]", FILLER + "Visitors wait less since the new kiosks arrived; letters follow."),
    "budget.md": ("title: Budget Guidance\ndate: 2016-08-01\ntags: [OMB]", FILLER + "The guidance explains how offices plan their budget and their reports."),
    "finance.md": ("title: Finance Reports\ndate: 2016-08-02", FILLER + "Quarterly finance reports for every office."),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("ranking-site")
    for name, (front, body) in POSTS.items():
        write_post(root, name, front, body)
    index_dir = tmp_path_factory.mktemp("ranking-index")
    build(root, index_dir)
    return root, index_dir


@pytest.fixture(scope="module")
def api(site):
    with open_app({"index_dir": str(site[1])}, opened=True) as app:
        yield app.test_client()


def ids(api, q, **params):
    response = api.get("/search.json", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_json()
    return [r["id"] for r in response.get_json()["results"]]


def test_a_rare_body_word_outranks_common_title_words(api):
    # issue 11: twelve titles hold "government websites"; the one post about captioning says it in its body only
    assert ids(api, "captioning for government websites")[0] == "captions.md"


def test_bm25f_is_one_saturation_over_the_weighted_field_frequencies(site):
    root, index_dir = site
    handle = IndexHandle(index_dir, conf()["facets"])
    gen = handle.acquire()
    try:
        weights = ranking.WEIGHTS
        scorer = ranking.Scorer(ranking.field_stats(gen), weights)
        stem = "govern"
        analyzer = text_analyzer()
        stored = [gen.searcher.stored_fields(d) for d in range(gen.size)]
        fields = {"title": [s["title"] for s in stored], "summary": [s["summary"] for s in stored], "body": [s["body"] for s in stored]}
        tokens = {name: [[t.text for t in analyzer(text)] for text in texts] for name, texts in fields.items()}
        average = {name: sum(map(len, lists)) / len(lists) for name, lists in tokens.items()}
        df = sum(1 for d in range(gen.size) if any(stem in tokens[name][d] for name in tokens))
        idf = math.log(weights.idf_offset + (gen.size - df + 0.5) / (df + 0.5))
        scores = scorer.term(stem)
        for d in range(gen.size):
            tf = sum(
                weights.field_weight(name) * tokens[name][d].count(stem)
                / (1 - weights.b(name) + weights.b(name) * len(tokens[name][d]) / average[name])
                for name in tokens
            )
            expected = idf * tf * (weights.k1 + 1) / (tf + weights.k1) if tf else 0.0
            assert scores[d] == pytest.approx(expected), stored[d]["id"]
        assert df == 13  # the twelve titles and the captions post's body
    finally:
        handle.release(gen)
        handle.close()


@pytest.mark.parametrize(
    "plain,language",
    [
        ("budget reports", "budget AND reports"),
        ("mobile emulators", "mobile AND emulators"),
        ("captioning government", "captioning OR government"),
    ],
)
def test_the_query_language_ranks_its_matches_with_the_same_model(api, plain, language):
    served = ids(api, language)
    assert served  # every match of the query language is a match of the plain words, in the same order
    assert served == [d for d in ids(api, plain, per_page="100") if d in served]


def test_query_language_words_get_typo_corrections_and_synonyms(api):
    assert ids(api, "mobile AND emulaters") == ["emulators.md"]
    assert ids(api, "title:emulaters") == ["emulators.md"]
    # SSA also matches its long form, in the language as in plain words
    # ("letters" is in the spelled-out post's title)
    assert ids(api, "ssa AND letters") == ids(api, "ssa letters")[:2] == ["ssa-spelled.md", "ssa-tagged.md"]
    assert ids(api, '"social security administration"') == ["ssa-spelled.md", "ssa-tagged.md"]


def test_negated_words_match_but_never_score_and_a_prefix_is_one_word(api):
    assert ids(api, "reports -finance") == ["budget.md"]
    assert ids(api, "emul*") == ["emulators.md"]
    # "financ*" is one word (finance, financial...), as rare as its posts make it
    assert ids(api, "budget OR financ*") == ["budget.md", "finance.md"]
