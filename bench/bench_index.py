"""Full reindex of the real corpus: the service against SQLite FTS5 fed by the same parse.

    python bench/bench_index.py [--repeat 5] [--factor 1] [--no-write] [--only-e2e]

Measured in one run, interleaved, medians of --repeat rounds, each step's
wall time and CPU time (getrusage of this process plus its waited-for
children: the reindex's worker processes), and the load average per round.
The peer and every build run in a forked child each (``in_child``): nothing
one step caches helps the next.
  FTS5 e2e      the peer, end to end in one timed call: the service's own parse
                (serial: read, front matter, Markdown, HTML to text), then SQLite
                FTS5 built from exactly those documents
  service       searchsvc.index.build.reindex(full=True): what `searchsvc reindex --full` does
  service 1proc the same with workers=1
and, for the breakdown (skipped with --only-e2e): the parse alone, the FTS5
build alone, Whoosh builds from the already extracted documents (plain
Whoosh; the service's schema and writer).
Target (issue 15): service <= 1.0 x FTS5 e2e.  The 2 cores are shared: other
load slows a 2-process build more than a serial one, so read the CPU column
beside the wall column.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import shutil
import tempfile
import time
from pathlib import Path

import common
from searchsvc.index.build import reindex
from searchsvc.index.schema import build_schema, to_fields
from searchsvc.index.whoosh_internals import open_writer
from whoosh import fields
from whoosh import index as whoosh_index


def whoosh_build(docs, folder: Path, service: bool = False) -> None:
    facets = common.FACETS
    if service:  # one-loop stemmed text, field lengths read once per segment
        ix = whoosh_index.create_in(str(folder), build_schema(facets))
        writer = open_writer(ix, limitmb=128)
    else:  # Whoosh's own TEXT fields and writer
        ix = whoosh_index.create_in(str(folder), build_schema(facets, text=fields.TEXT))
        writer = ix.writer(limitmb=128)
    for doc in docs:
        writer.add_document(**to_fields(doc, facets))
    writer.commit(optimize=True)


def cpu_seconds() -> float:
    self_, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return self_.ru_utime + self_.ru_stime + children.ru_utime + children.ru_stime


def measured(rounds: dict, name: str, fn, *args, **kwargs):
    """Run ``fn``, appending (wall, CPU) seconds to ``rounds[name]``; returns its result."""
    cpu = cpu_seconds()
    wall, result = common.timed(fn, *args, **kwargs)
    rounds.setdefault(name, []).append((wall, cpu_seconds() - cpu))
    return result


def in_child(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` run in a forked child, its result pickled back.

    Each timed build runs in a child of its own: it starts with this
    process's modules imported, as a ``searchsvc reindex`` does once past
    its imports, but with nothing cached by an earlier step.  (In this
    process, the word stems cached by the one-process build let the next
    two-process build's workers start warm: ~0.04 s of their time each.)
    The CPU column counts the child and its worker processes.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            data = pickle.dumps((True, fn(*args, **kwargs)))
        except BaseException as exc:
            data = pickle.dumps((False, f"{type(exc).__name__}: {exc}"))
        with os.fdopen(write, "wb") as out:
            out.write(data)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        ok, value = pickle.loads(answer.read())
    os.waitpid(pid, 0)
    if not ok:
        raise RuntimeError(value)
    return value


def fts5_e2e(content: Path, conf: dict, db: Path) -> None:
    """The peer end to end: the service's own parse, then FTS5 from those documents."""
    docs = common.reference_parse(content, conf)
    fts = common.FTS5(str(db))
    fts.build(docs)
    fts.db.close()


def one_round(r: int, content: Path, conf: dict, tmp: Path, rounds: dict, only_e2e: bool):
    measured(rounds, "fts5_e2e", in_child, fts5_e2e, content, conf, tmp / f"fts{r}.db")
    (tmp / f"fts{r}.db").unlink()
    if not only_e2e:
        docs = measured(rounds, "parse", common.reference_parse, content, conf)
        fts = common.FTS5(str(tmp / f"fts{r}b.db"))
        measured(rounds, "fts5_build", fts.build, docs)
        fts.db.close()
        for name, service in (("whoosh_build", False), ("service_build", True)):
            folder = tmp / f"whoosh{r}"
            folder.mkdir()
            measured(rounds, name, in_child, whoosh_build, docs, folder, service)
            shutil.rmtree(folder)
    index_dir = tmp / f"index{r}-1proc"
    measured(rounds, "service_1proc", in_child, reindex, content, index_dir, conf, full=True, workers=1)
    shutil.rmtree(index_dir)
    index_dir = tmp / f"index{r}"
    report = measured(rounds, "service", in_child, reindex, content, index_dir, conf, full=True)
    shutil.rmtree(index_dir)
    return report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only-e2e", action="store_true", help="only the peer end to end and the two reindexes")
    ap.add_argument("--factor", type=int, default=1, help="copies of the real corpus (1 = the corpus itself)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    machine = common.machine()
    tmp = Path(tempfile.mkdtemp(prefix="searchsvc-bench-index-"))
    content = common.CORPUS if args.factor == 1 else common.make_copies(args.factor, tmp / "content")
    conf = common.settings(content_dir=str(content))
    rounds: dict[str, list] = {}
    loads = []
    try:
        for r in range(args.repeat):
            loads.append(os.getloadavg()[0])
            report = one_round(r, content, conf, tmp, rounds, args.only_e2e)
            print(f"round {r + 1} (load {loads[-1]:.2f}): " + ", ".join(f"{k} {v[-1][0]:.2f} s (CPU {v[-1][1]:.2f})" for k, v in rounds.items()), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    wall = {k: common.median([w for w, _ in v]) for k, v in rounds.items()}
    cpu = {k: common.median([c for _, c in v]) for k, v in rounds.items()}
    peer_w, peer_c = wall["fts5_e2e"], cpu["fts5_e2e"]

    def row(label: str, name: str, ratio: bool = True) -> list:
        if name not in wall:
            return None
        spread = f"{min(w for w, _ in rounds[name]):.2f}-{max(w for w, _ in rounds[name]):.2f}"
        ratios = [f"{wall[name] / peer_w:.2f}x", f"{cpu[name] / peer_c:.2f}x"] if ratio else ["", ""]
        return [label, f"{wall[name]:.2f} s ({spread})", f"{cpu[name]:.2f} s"] + ratios

    rows = [
        row("the service's parse, serial (what the peer is fed; Markdown, HTML to text)", "parse", False),
        row("SQLite FTS5 build from those documents", "fts5_build", False),
        row("plain Whoosh build from those documents (1 proc, optimize)", "whoosh_build", False),
        row("the service's Whoosh build from those documents (its schema and writer, 1 proc)", "service_build", False),
        row("**SQLite FTS5 end to end** (the service's parse + FTS5 build, one call): the peer", "fts5_e2e"),
        row("searchsvc full reindex in one process (`workers=1`)", "service_1proc"),
        row(f"**searchsvc full reindex** (`reindex(full=True)`, {os.cpu_count()} worker processes)", "service"),
    ]
    rows = [r for r in rows if r]
    label = "real corpus (1,544 posts)" if args.factor == 1 else f"x{args.factor} copies"
    body = (
        f"### Full reindex, {label}\n\n"
        f"`python bench/bench_index.py --repeat {args.repeat}" + (f" --factor {args.factor}" if args.factor != 1 else "") + (" --only-e2e" if args.only_e2e else "") + "`"
        f" — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine}; medians of {args.repeat} interleaved rounds; "
        f"{report.documents} documents; load average per round {', '.join(f'{x:.1f}' for x in loads)}.\n\n"
        + common.table(["work", "wall time, median (range)", "CPU time (self + children)", "wall vs FTS5 e2e", "CPU vs FTS5 e2e"], rows)
    )
    print(body)
    if not args.no_write:
        common.write_section(f"index-x{args.factor}", body)


if __name__ == "__main__":
    main()
