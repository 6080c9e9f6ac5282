"""The judged-set format: what a site team writes, and the errors it gets for a mistake."""

from __future__ import annotations

import json
import math

import pytest

from searchsvc.evaluation.judged import JudgedSetError, load
from searchsvc.evaluation.metrics import scores


def write(tmp_path, data) -> object:
    path = tmp_path / "judged.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_a_set_with_both_kinds_is_read_with_its_grades(tmp_path):
    judged = load(write(tmp_path, {
        "name": "our site",
        "known_item": [{"id": "k1", "query": "budget tables", "path": "posts/a.md"},
                       {"query": "two answers", "paths": ["posts/b.md", "posts/c.md"], "kind": "typo"}],
        "topical": [{"id": "t1", "query": "open data", "relevant": ["posts/d.md"], "partially_relevant": ["posts/e.md"], "split": "heldout"}],
    }))
    assert judged.name == "our site"
    first, second, third = judged.queries
    assert (first.id, first.group, first.kind, first.gains) == ("k1", "known_item", "known", {"posts/a.md": 2})
    assert (second.id, second.kind, second.gains) == ("known_item-2", "typo", {"posts/b.md": 2, "posts/c.md": 2})
    assert (third.group, third.kind, third.split, third.gains) == ("topical", "topical", "heldout", {"posts/d.md": 2, "posts/e.md": 1})
    assert judged.paths() == {"posts/a.md", "posts/b.md", "posts/c.md", "posts/d.md", "posts/e.md"}


@pytest.mark.parametrize(
    "data,message",
    [
        ("{not json", "judged.json: not a JSON file"),
        ({"queries": []}, 'judged.json: expected an object with a "known_item" and/or "topical" list'),
        ({"known_item": []}, "judged.json: no queries"),
        ({"known_item": [{"path": "a.md"}]}, "judged.json: known_item[0]: no query"),
        ({"known_item": [{"query": "budget"}]}, "judged.json: known_item[0] ('budget'): a known-item query needs a \"path\""),
        ({"topical": [{"query": "data", "partially_relevant": ["a.md"]}]}, "judged.json: topical[0] ('data'): a topical query needs at least one \"relevant\" path"),
        ({"topical": [{"query": "data", "relevant": "a.md"}]}, "judged.json: topical[0] ('data') relevant: expected a list of paths"),
    ],
)
def test_a_mistake_is_named(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(JudgedSetError) as raised:
        load(path)
    assert str(raised.value).startswith(message.replace("judged.json", str(path)))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(JudgedSetError, match=r"nothere\.json: cannot read"):
        load(tmp_path / "nothere.json")


def test_figures_of_one_query():
    # the first relevant (gain 2) post is second; a partially relevant one fourth
    figures = scores(["x.md", "a.md", "y.md", "b.md"], {"a.md": 2, "b.md": 1, "c.md": 2})
    assert figures["mrr"] == 0.5 and figures["s@1"] == 0.0 and figures["s@10"] == 1.0
    ideal = 2 + 2 / math.log2(3) + 1 / 2
    assert figures["ndcg@10"] == pytest.approx((2 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert scores(["b.md"], {"a.md": 2, "b.md": 1})["mrr"] == 0.0  # a partial answer is not the known item
