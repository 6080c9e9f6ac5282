"""Incremental reindex of the x10 corpus (15,440 posts), end to end through the CLI.

    python bench/bench_incremental.py [--layout plain|suffixed] [--workdir DIR] [--repeat 5] [--no-write]

Every figure is the wall time of a whole `searchsvc reindex CONTENT --index
INDEX --quiet` process, interpreter start included, medians of --repeat:
  unchanged   nothing changed since the last run: scan (stat) every file, compare
              with the manifest, publish nothing
  one new     one new post added to the 15,440: parse it, add it, publish a generation
Floors measured in the same run: `python -c pass` and importing the CLI.
The corpus copies and their index live in --workdir (shared with
`bench_query.py --factor 10 --workdir ...`, which builds them if missing).
Targets (issue 5): unchanged <= 0.5 s, one new post <= 1 s.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import common
from bench_query import corpus_and_index

NEW_POST = """---
title: 'Benchmark post {n}: measuring incremental indexing'
date: 2017-06-01 10:00:00 -0400
summary: 'A post added by bench_incremental.py.'
authors: [bench]
tags:
  - benchmarks
  - incremental
---

This post exists to measure how long adding **one post** to a large site takes.

- a list item
- another item with [a link](https://example.gov/)
"""


def wall(cmd: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} exited {proc.returncode}: {proc.stderr}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir")
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--layout", choices=("plain", "suffixed"), default="suffixed",
                    help="plain: ten unchanged copies (c00..c09, default workdir /tmp/searchsvc-plain-x10); suffixed: titles suffixed")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    machine = common.machine()
    args.workdir = args.workdir or (f"/tmp/searchsvc-plain-x{args.factor}" if args.layout == "plain" else f"/tmp/searchsvc-x{args.factor}")
    base, content, index_dir = corpus_and_index(args.factor, Path(args.workdir), layout=args.layout)
    exe = str(Path(sys.executable).with_name("searchsvc"))
    reindex_cmd = [exe, "reindex", str(content), "--index", str(index_dir), "--quiet"]
    wall(reindex_cmd)  # settle: the index now matches the folder
    new_dir = content / "bench-new"
    shutil.rmtree(new_dir, ignore_errors=True)
    wall(reindex_cmd)
    posts = sum(1 for _ in content.rglob("*.md"))
    rounds = {"python": [], "import": [], "unchanged": [], "one_new": [], "restore": []}
    try:
        for r in range(args.repeat):
            rounds["python"].append(wall([sys.executable, "-c", "pass"]))
            rounds["import"].append(wall([sys.executable, "-c", "import searchsvc.cli"]))
            rounds["unchanged"].append(wall(reindex_cmd))
            new_dir.mkdir(exist_ok=True)
            (new_dir / f"2017-06-01-bench-{r}.md").write_text(NEW_POST.format(n=r), encoding="utf-8")
            rounds["one_new"].append(wall(reindex_cmd))
            shutil.rmtree(new_dir)
            rounds["restore"].append(wall(reindex_cmd))  # one removal: back to the 15,440
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in rounds.items()), flush=True)
    finally:
        shutil.rmtree(new_dir, ignore_errors=True)
    med = {k: common.median(v) for k, v in rounds.items()}
    rows = [
        ["floor: `python -c pass`", f"{med['python']:.3f} s", ""],
        ["floor: `python -c 'import searchsvc.cli'`", f"{med['import']:.3f} s", ""],
        [f"**unchanged folder** ({posts:,} posts)", f"**{med['unchanged']:.3f} s**", "<= 0.5 s"],
        ["**one new post** added", f"**{med['one_new']:.3f} s**", "<= 1 s"],
        ["one post removed", f"{med['restore']:.3f} s", ""],
    ]
    body = (
        f"### Incremental reindex, x{args.factor} ({posts:,} posts)\n\n"
        f"`python bench/bench_incremental.py --layout {args.layout} --workdir {args.workdir} --repeat {args.repeat}` — "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine}. Wall time of the whole "
        f"`searchsvc reindex CONTENT --index INDEX --quiet` process, interpreter start included; medians of {args.repeat}.\n\n"
        + common.table(["run", "wall time", "target"], rows)
    )
    print(body)
    if not args.no_write:
        common.write_section(f"incremental-x{args.factor}" + ("-plain" if args.layout == "plain" else ""), body)


if __name__ == "__main__":
    main()
