"""A run -> the printout site owners read, or JSON."""

from __future__ import annotations

from typing import Any

from .metrics import METRICS
from .run import Run, losses, summary

LABELS = {"group:known_item": "known-item", "group:topical": "topical"}


def as_dict(run: Run) -> dict[str, Any]:
    return {
        "judged": run.judged,
        "content": run.content,
        "date": run.date,
        "commit": run.commit,
        "documents": run.documents,
        "skipped": [{"file": f, "reason": r} for f, r in run.skipped],
        "missing": run.missing,
        "systems": {name: summary(rows) for name, rows in run.rows.items()},
        "losses": losses(run),
        "queries": {
            name: [{"id": r.id, "query": r.query, "kind": r.kind, **r.scores, "top": r.top} for r in rows]
            for name, rows in run.rows.items()
        },
    }


def _label(key: str) -> str:
    if key in LABELS:
        return LABELS[key]
    kind, _, value = key.partition(":")
    return f"  {value}" if kind == "kind" else f"split {value}"


def as_text(run: Run) -> str:
    figures = {name: summary(rows) for name, rows in run.rows.items()}
    lines = [
        f"{run.judged}: {run.content}, {run.documents} documents",
        f"run {run.date}, searchsvc commit {run.commit}",
    ]
    if run.skipped:
        lines.append(f"{len(run.skipped)} file(s) not indexed: " + ", ".join(f for f, _ in run.skipped[:5]) + (" ..." if len(run.skipped) > 5 else ""))
    if run.missing:
        lines.append(f"{len(run.missing)} judged path(s) are not documents of the index (their queries cannot score): " + ", ".join(run.missing[:5]))
    lines.append("")
    lines.append(f"{'':<22}{'queries':>8}  " + "  ".join(f"{s + ' ' + m:>13}" for s in figures for m in METRICS))
    for key, first in figures["service"].items():
        if key.startswith("kind:") and sum(1 for k in figures["service"] if k.startswith("kind:")) <= 2:
            continue  # the kinds are the groups
        cells = "  ".join(f"{figures[s][key][m]:>13.3f}" for s in figures for m in METRICS)
        lines.append(f"{_label(key):<22}{first['queries']:>8}  {cells}")
    lost = losses(run)
    if "fts5" in run.rows:
        lines.append("")
        lines.append(f"queries the service loses against fts5 ({len(lost)}):")
        for item in lost:
            lines.append(
                f"  {item['id']} [{item['kind']}] {item['query']!r}: {item['metric']} {item['service']:.3f} vs {item['fts5']:.3f}"
                f"; service top {item['service_top']}, fts5 top {item['fts5_top']}"
            )
    return "\n".join(lines)
