"""``searchsvc reindex --gate judged.json``: a new generation goes live only if its ranking holds.

The judged set is evaluated on the generation just built (before it is
published) and on the live one, by the service's own search; if any
headline figure (MRR and nDCG@10 of every group and kind of the set) drops
by more than the margin, the build is discarded, the live generation stays,
and the command shows the before/after table and exits 5.  A first build
has nothing to compare with: it is published and its figures shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from ..index.build import ReindexFailed
from ..query.generation import Generation
from .judged import JudgedSet
from .run import rows_of, service_ranker, summary

FIGURES = ("mrr", "ndcg@10")


class GateRefused(ReindexFailed):
    """The new generation ranks the judged set worse than the live one; nothing was published."""


def figures_of(path: Path, judged: JudgedSet, settings: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    gen = Generation(0, path, tuple(settings["facets"]))
    try:
        with gen.reading():
            return summary(rows_of(service_ranker(gen, settings), judged))
    finally:
        gen.close()


def table(before: dict | None, after: dict, margin: float) -> str:
    lines = [f"{'':24}{'figure':>10}{'live':>9}{'new':>9}{'change':>9}"]
    for key in sorted(after):
        for metric in FIGURES:
            new = after[key][metric]
            old = before[key][metric] if before and key in before else None
            change = "" if old is None else f"{new - old:+.3f}"
            flag = "  <- dropped more than %.3f" % margin if old is not None and new < old - margin else ""
            lines.append(f"{key:24}{metric:>10}{'-' if old is None else f'{old:.3f}':>9}{new:9.3f}{change:>9}{flag}")
    return "\n".join(lines)


def gate(judged: JudgedSet, settings: Mapping[str, Any], margin: float, show: Callable[[str], None]) -> Callable[[Path, Path | None], None]:
    """The check ``reindex`` runs between building a generation and publishing it."""

    def check(building: Path, live_dir: Path | None) -> None:
        after = figures_of(building, judged, settings)
        before = None
        if live_dir is not None:
            try:
                before = figures_of(live_dir, judged, settings)
            except Exception as exc:  # a damaged live generation must not block the build that replaces it
                show(f"relevance gate: the live generation cannot be evaluated ({type(exc).__name__}: {exc}); nothing to compare with")
        report = table(before, after, margin)
        dropped = before is not None and any(
            after[key][metric] < before[key][metric] - margin for key in after if key in before for metric in FIGURES
        )
        if dropped:
            raise GateRefused(f"the relevance gate ({judged.name}) refused the new generation; the live one stays:\n{report}")
        show(f"relevance gate ({judged.name}): passed (margin {margin:g})\n{report}")

    return check
