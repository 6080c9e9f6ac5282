"""Full reindex of the real corpus: the service against SQLite FTS5 with the same parse.

    python bench/bench_index.py [--repeat 3] [--factor 1] [--no-write]

Measured in one run, interleaved, medians of --repeat rounds:
  parse floor   the reference parse pipeline, serial (read, front matter, Markdown, BeautifulSoup)
  FTS5 e2e      parse floor + building SQLite FTS5 from the extracted documents (the peer)
  service       searchsvc.index.build.reindex(full=True): what `searchsvc reindex --full` does
and, for the breakdown of each step's effect: Whoosh builds from already
extracted documents (plain Whoosh; the service's schema and writer), the
service's own parse (serial), and the service in one process (workers=1).
Target (issue 5): service <= 1.0 x FTS5 e2e.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import common
from searchsvc.ingest.document import PostError, Skip
from searchsvc.ingest.post import load_post
from searchsvc.ingest.walk import iter_post_paths
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


def service_parse(content: Path, conf: dict) -> list:
    """The service's own parse, serial (what each reindex worker runs per post)."""
    docs = []
    for path in iter_post_paths(content):
        try:
            docs.append(load_post(path, content, conf))
        except (PostError, Skip):
            pass
    return docs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--factor", type=int, default=1, help="copies of the real corpus (1 = the corpus itself)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    machine = common.machine()
    tmp = Path(tempfile.mkdtemp(prefix="searchsvc-bench-index-"))
    content = common.CORPUS if args.factor == 1 else common.make_copies(args.factor, tmp / "content")
    conf = common.settings(content_dir=str(content))
    rounds = {"parse": [], "service_parse": [], "fts5_build": [], "whoosh_build": [], "service_build": [], "service_1proc": [], "service": []}
    try:
        for r in range(args.repeat):
            t_parse, docs = common.timed(common.reference_parse, content, conf)
            rounds["parse"].append(t_parse)
            fts = common.FTS5(str(tmp / f"fts{r}.db"))
            rounds["fts5_build"].append(common.timed(fts.build, docs)[0])
            fts.db.close()
            folder = tmp / f"whoosh{r}"
            folder.mkdir()
            rounds["whoosh_build"].append(common.timed(whoosh_build, docs, folder)[0])
            shutil.rmtree(folder)
            folder.mkdir()
            rounds["service_build"].append(common.timed(whoosh_build, docs, folder, True)[0])
            shutil.rmtree(folder)
            rounds["service_parse"].append(common.timed(service_parse, content, conf)[0])
            index_dir = tmp / f"index{r}-1proc"
            rounds["service_1proc"].append(common.timed(reindex, content, index_dir, conf, full=True, workers=1)[0])
            shutil.rmtree(index_dir)
            index_dir = tmp / f"index{r}"
            started = time.perf_counter()
            report = reindex(content, index_dir, conf, full=True)
            rounds["service"].append(time.perf_counter() - started)
            shutil.rmtree(index_dir)
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in rounds.items()), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: common.median(v) for k, v in rounds.items()}
    fts_e2e = med["parse"] + med["fts5_build"]
    plain_e2e = med["parse"] + med["whoosh_build"]
    rows = [
        ["parse floor (serial reference parse: Python-Markdown + BeautifulSoup)", f"{med['parse']:.2f} s", ""],
        ["the service's parse, serial (same documents, faster HTML-to-text)", f"{med['service_parse']:.2f} s", ""],
        ["SQLite FTS5 build from extracted documents", f"{med['fts5_build']:.2f} s", ""],
        ["plain Whoosh build from extracted documents (1 proc, optimize)", f"{med['whoosh_build']:.2f} s", ""],
        ["the service's Whoosh build from extracted documents (one-loop stemming, lengths read once)", f"{med['service_build']:.2f} s", ""],
        ["**SQLite FTS5 end to end** (parse + build): the peer", f"{fts_e2e:.2f} s", "1.00x"],
        ["plain Whoosh end to end (parse + build, serial)", f"{plain_e2e:.2f} s", f"{plain_e2e / fts_e2e:.2f}x"],
        ["searchsvc full reindex in one process (`workers=1`)", f"{med['service_1proc']:.2f} s", f"{med['service_1proc'] / fts_e2e:.2f}x"],
        [f"**searchsvc full reindex** (`reindex(full=True)`, {os.cpu_count()} worker processes)", f"{med['service']:.2f} s", f"**{med['service'] / fts_e2e:.2f}x**"],
    ]
    label = "real corpus (1,544 posts)" if args.factor == 1 else f"x{args.factor} copies"
    body = (
        f"### Full reindex, {label}\n\n"
        f"`python bench/bench_index.py --repeat {args.repeat}" + (f" --factor {args.factor}" if args.factor != 1 else "") + "`"
        f" — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine}; medians of {args.repeat} interleaved rounds; "
        f"{report.documents} documents.\n\n" + common.table(["work", "wall time", "vs FTS5 e2e"], rows)
    )
    print(body)
    if not args.no_write:
        common.write_section(f"index-x{args.factor}", body)


if __name__ == "__main__":
    main()
