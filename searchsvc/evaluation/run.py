"""One evaluation run: a fresh index of the content, the service and the peer on every judged query."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from ..index.build import reindex
from ..query.generation import IndexHandle
from ..query.request import SearchRequest
from .judged import JudgedSet
from .metrics import DEPTH, headline, mean, scores
from .peer import FTS5Peer, documents_of

PACKAGE_DIR = Path(__file__).resolve().parents[1]
SYSTEMS = ("service", "fts5")


@dataclass
class Row:
    id: str
    query: str
    group: str
    kind: str
    split: str
    scores: dict[str, float]
    top: list[str]


@dataclass
class Run:
    judged: str
    content: str
    date: str
    commit: str
    documents: int
    skipped: list[tuple[str, str]]  # (file, reason) the reindex could not index
    missing: list[str]  # judged paths that are not documents of the index
    rows: dict[str, list[Row]] = field(default_factory=dict)


def commit_of(folder: Path = PACKAGE_DIR) -> str:
    """The checkout's commit (``+modified`` when files differ from it), or "unknown" outside git."""
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("+modified" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@contextmanager
def fresh_generation(content: Path, settings: Mapping[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(generation, reindex report) of a new index of ``content`` in a temporary folder, built by the service's reindex."""
    with tempfile.TemporaryDirectory(prefix="searchsvc-evaluate-") as tmp:
        index_dir = Path(tmp) / "index"
        conf = dict(settings, content_dir=str(content), index_dir=str(index_dir))
        report = reindex(content, index_dir, conf, full=True)
        handle = IndexHandle(index_dir, tuple(conf["facets"]))
        gen = handle.acquire()
        try:
            yield gen, report
        finally:
            handle.release(gen)
            handle.close()


def service_ranker(gen, settings: Mapping[str, Any], weights=None) -> Callable[[str], list[str]]:
    from ..query import search

    extra = {} if weights is None else {"weights": weights}

    def rank(q: str) -> list[str]:
        req = SearchRequest(q=q, per_page=DEPTH, sort="relevance")
        return [r["id"] for r in search.run(gen, req, settings, "/search.json", **extra)["results"]]

    return rank


def rows_of(rank: Callable[[str], list[str]], judged: JudgedSet) -> list[Row]:
    out = []
    for j in judged.queries:
        ranked = rank(j.query)
        out.append(Row(j.id, j.query, j.group, j.kind, j.split, scores(ranked, j.gains), ranked[:DEPTH]))
    return out


def ids_of(gen) -> set[str]:
    return {gen.searcher.stored_fields(d)["id"] for d in range(gen.size) if gen.live[d]}


def evaluate(content: Path, judged: JudgedSet, settings: Mapping[str, Any], weights=None, peer: bool = True) -> Run:
    with fresh_generation(content, settings) as (gen, report):
        known = ids_of(gen)
        run = Run(
            judged=judged.name,
            content=str(content),
            date=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            commit=commit_of(),
            documents=len(known),
            skipped=list(report.failed),
            missing=sorted(judged.paths() - known),
        )
        run.rows["service"] = rows_of(service_ranker(gen, settings, weights), judged)
        if peer:
            fts = FTS5Peer(documents_of(gen))
            try:
                run.rows["fts5"] = rows_of(fts.rank, judged)
            finally:
                fts.close()
    return run


def summary(rows: list[Row]) -> dict[str, dict[str, Any]]:
    """Means per group (known_item, topical), per kind and, when the set has splits, per split."""
    out: dict[str, dict[str, Any]] = {}
    for key, pick in (("group", lambda r: r.group), ("kind", lambda r: r.kind), ("split", lambda r: r.split)):
        values = sorted({pick(r) for r in rows})
        if key == "split" and values == [""]:
            continue
        for value in values:
            chosen = [r for r in rows if pick(r) == value]
            out[f"{key}:{value or '-'}"] = {"queries": len(chosen), **mean(r.scores for r in chosen)}
    return out


def losses(run: Run, against: str = "fts5") -> list[dict[str, Any]]:
    """The queries where the service's headline figure is below the peer's, worst first."""
    if against not in run.rows:
        return []
    found = []
    for ours, theirs in zip(run.rows["service"], run.rows[against]):
        metric = headline(ours.group)
        gap = ours.scores[metric] - theirs.scores[metric]
        if gap < -1e-9:
            found.append({"id": ours.id, "query": ours.query, "kind": ours.kind, "metric": metric,
                          "service": ours.scores[metric], against: theirs.scores[metric], "gap": gap,
                          "service_top": ours.top[:3], f"{against}_top": theirs.top[:3]})
    return sorted(found, key=lambda f: f["gap"])
