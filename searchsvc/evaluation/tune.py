"""The cross-validation that chose the ranking's parameters: ``python -m searchsvc.evaluation.tune``.

    python -m searchsvc.evaluation.tune --set CONTENT_DIR JUDGMENTS [--set ...] [--folds 5]

Each judged set is indexed once.  The queries of every set are split into
``folds`` parts (each part takes every ``folds``-th query of each kind, so the
kinds are spread evenly); for each part, the parameters are chosen by
coordinate descent (one parameter at a time over its grid, twice round) on
the other parts, and measured on the part left out.  Each step keeps, of
the values within one standard error of the best (per-query differences),
the one nearest the parameter's neutral value (``NEUTRAL``): a difference
the judged queries cannot tell from noise does not move a parameter.  The objective is the
mean of the targets (known-item MRR, topical nDCG@10) over the sets.  The
printout gives, per parameter, the value each fold chose, the held-out
figures, and the values chosen on all the queries.  Never pass a validation
set (the 18F one) here.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from .. import settings as settings_mod
from ..query.ranking import WEIGHTS, Weights
from ..query.request import SearchRequest
from .judged import load
from .metrics import DEPTH, headline, scores
from .run import fresh_generation

GRID: dict[str, tuple[float, ...]] = {
    "title": (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0),
    "summary": (1.0, 1.5, 2.0, 3.0),
    "tags": (1.0, 1.5, 2.0, 3.0),
    # at most 2: k1 + 1 bounds what any weight makes of a field occurrence
    # against one in the body (ranking.Weights.k1), so a common word in a
    # title cannot outrank a rare one in a body
    "k1": (0.6, 0.9, 1.2, 1.6, 2.0),
    "body_b": (0.5, 0.75, 0.9, 1.0),
    "short_b": (0.0, 0.25, 0.5, 0.75),
    "coverage": (0.0, 1.0, 2.0, 3.0, 4.0),
    "phrase": (0.0, 0.25, 0.5, 1.0),
    "exact": (0.0, 0.2, 0.4, 0.8),
    "long_ratio": (0.0, 3.0, 4.0, 6.0, 8.0),
    "idf_offset": (0.0, 0.5, 1.0),
}
ROUNDS = 2
# The value of no effect (or the textbook one) per parameter: among the values
# within one standard error of the best, the one nearest this is kept (the
# one-standard-error rule: the simplest model the data cannot tell from the best).
NEUTRAL = {
    "title": 1.0, "summary": 1.0, "tags": 1.0, "k1": 1.2, "body_b": 0.75, "short_b": 0.75,
    "coverage": 0.0, "phrase": 0.0, "exact": 0.0, "long_ratio": 0.0, "idf_offset": 1.0,
}


class Corpus:
    """One judged set over its open generation; every configuration's per-query figures are remembered."""

    def __init__(self, name: str, gen, judged, settings):
        from ..query import search

        self.name, self.gen, self.judged, self.settings = name, gen, judged, settings
        self.search = search
        self.ids = [gen.searcher.stored_fields(d)["id"] for d in range(gen.size)]
        self.memo: dict[Weights, list[float]] = {}

    def figures(self, weights: Weights) -> list[float]:
        """Per query, its headline figure (a known item's reciprocal rank, a topic's nDCG@10)."""
        found = self.memo.get(weights)
        if found is None:
            found = []
            for j in self.judged.queries:
                req = SearchRequest(q=j.query, per_page=DEPTH, sort="relevance")
                _, relevance, _, _ = self.search.plan_query(self.gen, req, self.settings, "/search.json", weights)
                top = [] if relevance is None else relevance.ranked(relevance.matched & self.gen.live, DEPTH)
                found.append(scores([self.ids[d] for d, _ in top], j.gains)[headline(j.group)])
            self.memo[weights] = found
        return found

    def shares(self, chosen: set[int]) -> dict[int, float]:
        """Each chosen query's weight in the objective: the groups count alike, the queries of a group alike."""
        groups = [g for g in ("known_item", "topical") if any(self.judged.queries[i].group == g for i in chosen)]
        out = {}
        for group in groups:
            members = [i for i in chosen if self.judged.queries[i].group == group]
            for i in members:
                out[i] = 1 / (len(groups) * len(members))
        return out

    def objective(self, weights: Weights, chosen: set[int]) -> float:
        """Mean over the two groups of the mean figure over the chosen queries."""
        values = self.figures(weights)
        return sum(share * values[i] for i, share in self.shares(chosen).items())


def folds_of(corpus: Corpus, folds: int) -> list[set[int]]:
    parts: list[set[int]] = [set() for _ in range(folds)]
    seen: dict[str, int] = {}
    for i, j in enumerate(corpus.judged.queries):
        n = seen.get(j.kind, 0)
        seen[j.kind] = n + 1
        parts[n % folds].add(i)
    return parts


def standard_error(corpora: list[Corpus], chosen: list[set[int]], a: Weights, b: Weights) -> float:
    """The standard error of objective(a) - objective(b), from the per-query differences."""
    total = 0.0
    for corpus, picked in zip(corpora, chosen):
        fa, fb = corpus.figures(a), corpus.figures(b)
        for i, share in corpus.shares(picked).items():
            total += (share / len(corpora) * (fa[i] - fb[i])) ** 2
    return total**0.5


def descend(corpora: list[Corpus], chosen: list[set[int]], start: Weights = WEIGHTS) -> tuple[Weights, float]:
    """Coordinate descent on the mean objective over the corpora, each step by the one-standard-error rule."""

    def value(w: Weights) -> float:
        return sum(c.objective(w, s) for c, s in zip(corpora, chosen)) / len(corpora)

    current = start
    for _ in range(ROUNDS):
        for name, grid in GRID.items():
            trials = [dataclasses.replace(current, **{name: candidate}) for candidate in grid]
            best = max(trials, key=value)
            close = [t for t in trials if value(best) - value(t) <= standard_error(corpora, chosen, best, t)]
            current = min(close, key=lambda t: (abs(getattr(t, name) - NEUTRAL[name]), -value(t)))
    return current, value(current)


def cross_validate(corpora: list[Corpus], folds: int) -> dict[str, Any]:
    parts = [folds_of(c, folds) for c in corpora]
    everything = [set(range(len(c.judged.queries))) for c in corpora]
    rows = []
    for k in range(folds):
        train = [e - p[k] for e, p in zip(everything, parts)]
        test = [p[k] for p in parts]
        weights, train_value = descend(corpora, train)
        held = sum(c.objective(weights, t) for c, t in zip(corpora, test)) / len(corpora)
        baseline = sum(c.objective(WEIGHTS, t) for c, t in zip(corpora, test)) / len(corpora)
        rows.append({"fold": k + 1, "weights": weights, "train": train_value, "held_out": held, "defaults_held_out": baseline})
    final, final_value = descend(corpora, everything)
    return {"folds": rows, "final": final, "final_value": final_value}


def printout(result: dict[str, Any], corpora: list[Corpus]) -> str:
    lines = [f"corpora: {', '.join(c.name for c in corpora)}; objective = mean(known-item MRR, topical nDCG@10)"]
    lines.append(f"{'parameter':<12}{'defaults':>9}" + "".join(f"{'fold ' + str(r['fold']):>8}" for r in result["folds"]) + f"{'all':>8}")
    for name in GRID:
        cells = "".join(f"{getattr(r['weights'], name):>8g}" for r in result["folds"])
        lines.append(f"{name:<12}{getattr(WEIGHTS, name):>9g}{cells}{getattr(result['final'], name):>8g}")
    for key in ("train", "held_out", "defaults_held_out"):
        lines.append(f"{key:<21}" + "".join(f"{r[key]:>8.3f}" for r in result["folds"]))
    held = sum(r["held_out"] for r in result["folds"]) / len(result["folds"])
    base = sum(r["defaults_held_out"] for r in result["folds"]) / len(result["folds"])
    lines.append(f"cross-validated objective: {held:.3f} (the current defaults on the same parts: {base:.3f}); on all queries with the final values: {result['final_value']:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m searchsvc.evaluation.tune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", nargs=2, action="append", metavar=("CONTENT_DIR", "JUDGMENTS"), required=True)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    settings = settings_mod.load()
    stack, corpora = [], []
    try:
        for content, judgments in args.set:
            judged = load(Path(judgments))
            manager = fresh_generation(Path(content), settings)
            gen, _ = manager.__enter__()
            stack.append(manager)
            corpora.append(Corpus(judged.name, gen, judged, settings))
        print(printout(cross_validate(corpora, args.folds), corpora))
    finally:
        for manager in reversed(stack):
            manager.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
