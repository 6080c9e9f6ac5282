"""Per-query figures and their means: MRR, success@1/@10, nDCG@10 (linear gains 2/1)."""

from __future__ import annotations

import math
from typing import Iterable, Mapping

DEPTH = 10
METRICS = ("mrr", "s@1", "s@10", "ndcg@10")


def scores(ranked: list[str], gains: Mapping[str, int]) -> dict[str, float]:
    """One query: the reciprocal rank of the first relevant (gain 2) path, and nDCG@10 over all gains."""
    ranked = ranked[:DEPTH]
    first = next((i for i, doc in enumerate(ranked) if gains.get(doc, 0) >= 2), None)
    dcg = sum(gains.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(gains.values(), reverse=True)[:DEPTH]))
    return {
        "mrr": 0.0 if first is None else 1 / (first + 1),
        "s@1": 1.0 if first == 0 else 0.0,
        "s@10": 0.0 if first is None else 1.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
    }


def mean(rows: Iterable[Mapping[str, float]]) -> dict[str, float]:
    rows = list(rows)
    if not rows:
        return {m: 0.0 for m in METRICS}
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS}


def headline(group: str) -> str:
    """The figure a group is judged by: a known item's rank, a topic's whole list."""
    return "mrr" if group == "known_item" else "ndcg@10"
