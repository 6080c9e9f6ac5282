"""index/vocabulary.py: totals updated run by run equal the totals computed at once."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from searchsvc.index import vocabulary as v

# few common words and many rare ones, so that runs bring new words and drop gone ones
WORDS = ["open", "data", "mobile", "apps", "ünïcode", "u.s", "508"] + [f"w{n:03d}" for n in range(120)]


def post(rng: random.Random, post_id: str) -> dict:
    def text(k: int) -> str:
        return " ".join(rng.choice(WORDS[:7] if rng.random() < 0.5 else WORDS) for _ in range(k))

    return {"id": post_id, "title": text(rng.randint(0, 4)).title(), "summary": text(rng.randint(0, 6)), "body": text(rng.randint(0, 8)),
            "url": f"https://example.gov/{post_id}/", "date_iso": f"2016-0{rng.randint(1, 3)}-0{rng.randint(1, 3)}T00:00:00"}


def at_once(posts: dict) -> v.Totals:
    tally = v.Tally()
    for fields in posts.values():
        tally.add(fields)
    return v.combine(v.Totals(), tally)


def as_lists(totals: v.Totals) -> dict:
    return {name: (list(value) if isinstance(value, list) else np.asarray(value).tolist()) for name, value in vars(totals).items()}


def test_runs_of_adds_changes_and_deletes_give_the_totals_of_a_full_build(tmp_path):
    rng = random.Random(7)
    posts: dict[str, dict] = {}
    totals = v.Totals()
    for run in range(40):
        tally = v.Tally()
        for _ in range(rng.randint(1, 6)):
            post_id = f"p{rng.randint(0, 12)}"
            if post_id in posts:
                tally.remove(posts.pop(post_id))
                if rng.random() < 0.5:
                    continue  # deleted, else changed
            posts[post_id] = post(rng, post_id)
            tally.add(posts[post_id])
        v.write(tmp_path, v.combine(totals, tally))
        totals = v.read(tmp_path)  # each run starts from the stored file, as a reindex does
        assert as_lists(totals) == as_lists(at_once(posts)), run
    assert len(totals.title_ids) == len(posts)


def test_what_the_totals_hold():
    posts = {
        "b.md": {"id": "b.md", "title": "Open Data", "summary": "open data apps", "body": "Data!", "url": "/b/", "date_iso": "2016-02-01T09:00:00"},
        "a.md": {"id": "a.md", "title": "Mobile Apps", "summary": "", "body": "open", "url": "/a/", "date_iso": "2016-02-01T10:00:00"},
        "c.md": {"id": "c.md", "title": "Zebra", "summary": "", "body": "", "url": "/c/", "date_iso": "2017-01-01T00:00:00"},
    }
    totals = at_once(posts)
    assert dict(zip(totals.words, totals.df.tolist())) == {"apps": 2, "data": 1, "mobile": 1, "open": 2, "zebra": 1}
    pairs = {(totals.words[c >> 32], totals.words[c & 0xFFFFFFFF]): n for c, n in zip(totals.pair_codes.tolist(), totals.pair_counts.tolist())}
    assert pairs == {("open", "data"): 1, ("data", "apps"): 1, ("mobile", "apps"): 1}
    # newest first; the same day by id
    assert totals.title_texts == ["Zebra", "Mobile Apps", "Open Data"]
    assert totals.title_days == ["2017-01-01", "2016-02-01", "2016-02-01"]


@pytest.mark.parametrize("cuts", [[150], [1, 299], [100, 100, 200], [0, 300], "interleaved"])
def test_the_segment_workers_totals_merged_are_the_totals_of_all_their_posts(cuts):
    """A full build's workers each combine their run of posts; merged, that is one combine of them all."""
    from searchsvc.index.vocabulary_merge import merge

    rng = random.Random(5)
    posts = {f"p{n:03d}": post(rng, f"p{n:03d}") for n in range(300)}
    for n in range(0, 300, 7):  # the same day and title in both runs: the order by id decides
        posts[f"p{n:03d}"].update(title="Open Data Apps", date_iso="2017-01-01T00:00:00")
    ids = sorted(posts)
    if cuts == "interleaved":
        runs = [ids[k::3] for k in (2, 0, 1)]
    else:
        bounds = [0] + cuts + [300]
        runs = [ids[a:b] for a, b in zip(bounds, bounds[1:])]
    parts = [at_once({i: posts[i] for i in run}) for run in runs]
    merged = merge(parts)
    assert as_lists(merged) == as_lists(at_once(posts))
    assert len(merged.title_ids) == 300 and merged.title_ids[:4] == ["p000", "p007", "p014", "p021"]


def test_the_words_shared_with_the_indexer_are_the_words_of_the_lowered_text():
    from searchsvc.index.whoosh_internals import lower_words
    from searchsvc.words import WORD

    for text in ["İstanbul İZMİR", "ΟΔΟΣ ΣΟΦΙΑΣ; Σ.", "Naïve CAFÉ—U.S. Web’s 508", "ǅungla ǈ ǋ", "ﬁle Straße ẞ", "KELVIN K ΩMEGA"]:
        assert lower_words(text) == WORD.findall(text.lower()), text


def test_a_few_changes_among_many_posts_give_the_totals_of_a_full_build(tmp_path):
    """Few changes among many titles take the insertion path (no re-sort of every title)."""
    rng = random.Random(11)
    posts = {f"p{n:03d}": post(rng, f"p{n:03d}") for n in range(300)}
    totals = at_once(posts)
    for run in range(12):
        tally = v.Tally()
        for _ in range(rng.randint(1, 4)):
            post_id = f"p{rng.randint(0, 320):03d}"
            if post_id in posts:
                tally.remove(posts.pop(post_id))
                if rng.random() < 0.3:
                    continue
            posts[post_id] = post(rng, post_id)
            tally.add(posts[post_id])
        v.write(tmp_path, v.combine(totals, tally))
        totals = v.read(tmp_path)
        assert as_lists(totals) == as_lists(at_once(posts)), run


@pytest.mark.parametrize("values", [
    [],
    ["plain", "", "ascii"],
    ["Émigré café", "", "naïve—“quoted”", "日本語のタイトル", "a😀b", "x"],
    ["😀", "😀😀", "", "ü"],
])
def test_stored_strings_read_in_place_are_the_strings(values):
    blob, ends = v.encode_strings(values)
    lazy = v.Strings(blob, ends)
    assert (len(lazy), list(lazy), lazy[-1:] if values else []) == (len(values), values, values[-1:])
    with pytest.raises(IndexError):
        lazy[len(values)]


@given(st.lists(st.text(max_size=12), max_size=30))
def test_stored_strings_hypothesis(values):
    blob, ends = v.encode_strings(values)
    assert list(v.Strings(blob, ends)) == values


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 40)), max_size=80, unique=True),
       st.lists(st.integers(0, 61), max_size=30), st.lists(st.integers(0, 41), max_size=30))
def test_codes_renumbered_in_lanes_are_each_half_moved_up_by_its_steps(pairs, high, low):
    """lanes.remap (big-integer lanes up to 24 steps, map() beyond) = each half plus the steps at or below it."""
    from array import array

    from searchsvc.index import lanes

    high, low = sorted(high), sorted(low)
    codes = array("q", sorted(a << 32 | b for a, b in pairs))
    moved = [(a + sum(s <= a for s in high)) << 32 | (b + sum(s <= b for s in low)) for a, b in sorted(pairs)]
    assert lanes.remap(codes, high, low).tolist() == moved
