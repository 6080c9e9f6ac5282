"""Incremental reindex of the x10 corpus (15,440 posts), end to end through the CLI.

    python bench/bench_incremental.py [--layout plain|suffixed] [--workdir DIR] [--repeat 5]
                                      [--baseline SRC] [--no-write]

Every figure is the wall time of a whole `searchsvc reindex CONTENT --index
INDEX --quiet` process, interpreter start included, medians of --repeat, with
its CPU time (user + system, the process and its children) beside it: on the
shared 2-core machine other sessions' load stretches wall times far more:
  unchanged   nothing changed since the last run: scan (stat) every file, compare
              with the manifest, publish nothing
  one new     one new post added to the 15,440: parse it, add it, publish a generation
Floors measured in the same run: `python -c pass` and importing the CLI.

Layouts (issue 15): ``plain`` is ten full copies of the 2017 corpus, each in
its own sub-folder with the files unchanged (default workdir
/tmp/searchsvc-plain-x10); ``suffixed`` is the older one, each copy's titles
suffixed "(copy k)" (default /tmp/searchsvc-x10).  The copies and their index
live in --workdir (shared with `bench_query.py --factor 10 --workdir ...`).

``--baseline SRC``: a source tree of searchsvc (for instance
``git archive <commit> searchsvc | tar -x -C SRC``) run on a copy of the index
(``index-baseline`` in the workdir) with ``PYTHONPATH=SRC`` and the same
interpreter and packages, interleaved with this tree round by round, so
before and after are measured under the same load.

Both trees are byte-compiled first (``compileall``), as an installed package
is: a shell with PYTHONDONTWRITEBYTECODE set would otherwise compile every
module on every run (~70 ms of each figure).
Targets (issue 15): unchanged <= 0.3 s, one new post <= 0.5 s.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import subprocess
import sys
import tempfile
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


def timed_run(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # (cwd: not the repository, whose searchsvc/ would shadow --baseline's for `python -c`)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} exited {proc.returncode}: {proc.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def wall(cmd: list[str], env: dict | None = None) -> float:
    return timed_run(cmd, env)[0]


class Tree:
    """One searchsvc source tree and the index it maintains."""

    def __init__(self, name: str, source: Path, index_dir: Path, content: Path, env: dict | None):
        self.name, self.env = name, env
        compileall.compile_dir(str(source / "searchsvc"), quiet=1)
        exe = str(Path(sys.executable).with_name("searchsvc"))  # the console script; PYTHONPATH picks the tree
        self.reindex = [exe, "reindex", str(content), "--index", str(index_dir), "--quiet"]
        self.rounds: dict[str, list[float]] = {"import": [], "unchanged": [], "one_new": [], "restore": []}
        self.cpu: dict[str, list[float]] = {"unchanged": [], "one_new": [], "restore": []}

    def run(self, what: str) -> float:
        took, cpu = timed_run(self.reindex, self.env)
        self.rounds[what].append(took)
        self.cpu[what].append(cpu)
        return took

    def floor(self) -> None:
        self.rounds["import"].append(wall([sys.executable, "-c", "import searchsvc.cli"], self.env))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir")
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--layout", choices=("plain", "suffixed"), default="suffixed",
                    help="plain: ten unchanged copies (c00..c09, default workdir /tmp/searchsvc-plain-x10); suffixed: titles suffixed")
    ap.add_argument("--baseline", help="a searchsvc source tree to measure interleaved (PYTHONPATH), on its own copy of the index")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    machine = common.machine()
    args.workdir = args.workdir or (f"/tmp/searchsvc-plain-x{args.factor}" if args.layout == "plain" else f"/tmp/searchsvc-x{args.factor}")
    base, content, index_dir = corpus_and_index(args.factor, Path(args.workdir).resolve(), layout=args.layout)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_") and k != "PYTHONPATH"}
    trees = [Tree("this tree", common.REPO, index_dir, content, env)]
    if args.baseline:
        baseline_index = base / "index-baseline"
        if not (baseline_index / "current").exists():
            shutil.rmtree(baseline_index, ignore_errors=True)
            subprocess.run(["cp", "-a", str(index_dir), str(baseline_index)], check=True)  # -a keeps the hard links
        trees.insert(0, Tree("baseline", Path(args.baseline), baseline_index, content, {**env, "PYTHONPATH": str(Path(args.baseline).resolve())}))
    new_dir = content / "bench-new"
    shutil.rmtree(new_dir, ignore_errors=True)
    for tree in trees:
        for _ in range(2):  # settle: the index now matches the folder (and a first run after a build records what it verified)
            wall(tree.reindex, tree.env)
    posts = sum(1 for _ in content.rglob("*.md"))
    python = []
    try:
        for r in range(args.repeat):
            python.append(wall([sys.executable, "-c", "pass"]))
            for tree in trees:
                tree.floor()
            for tree in trees:
                tree.run("unchanged")
            new_dir.mkdir(exist_ok=True)
            (new_dir / f"2017-06-01-bench-{r}.md").write_text(NEW_POST.format(n=r), encoding="utf-8")
            for tree in trees:
                tree.run("one_new")
            shutil.rmtree(new_dir)
            for tree in trees:
                tree.run("restore")  # one removal: back to the 15,440
            print(f"round {r + 1}: python {python[-1]:.3f} s; " + "; ".join(
                f"{t.name}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in t.rounds.items()) for t in trees), flush=True)
    finally:
        shutil.rmtree(new_dir, ignore_errors=True)
    load_end = os.getloadavg()[0]
    med = {t.name: {k: common.median(v) for k, v in t.rounds.items()} for t in trees}
    cpu = {t.name: {k: common.median(v) for k, v in t.cpu.items()} for t in trees}
    names = [t.name for t in trees]

    def cell(name: str, what: str, bold: bool = False) -> str:
        text = f"{med[name][what]:.3f} s"
        return (f"**{text}**" if bold else text) + f" (CPU {cpu[name][what]:.3f} s)"

    rows = [
        ["floor: `python -c pass`"] + [f"{common.median(python):.3f} s"] * len(trees) + [""],
        ["floor: `python -c 'import searchsvc.cli'`"] + [f"{med[n]['import']:.3f} s" for n in names] + [""],
        [f"**unchanged folder** ({posts:,} posts)"] + [cell(n, "unchanged", True) for n in names] + ["<= 0.3 s"],
        ["**one new post** added"] + [cell(n, "one_new", True) for n in names] + ["<= 0.5 s"],
        ["one post removed"] + [cell(n, "restore") for n in names] + [""],
    ]
    command = f"python bench/bench_incremental.py --layout {args.layout} --workdir {args.workdir} --repeat {args.repeat}" + (
        " --baseline SRC" if args.baseline else "")
    body = (
        f"### Incremental reindex, x{args.factor} ({posts:,} posts, layout {args.layout})\n\n"
        f"`{command}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine}, at the end {load_end:.2f}. "
        f"Wall time of the whole `searchsvc reindex CONTENT --index INDEX --quiet` process, interpreter start included "
        f"(and in brackets its CPU time, user + system, which the machine's other load inflates less); "
        f"medians of {args.repeat}" + (", the trees interleaved round by round" if args.baseline else "") + ".\n\n"
        + common.table(["run"] + names + ["target"], rows)
    )
    print(body)
    if not args.no_write:
        # (its own markers: "incremental-x10" is issue 5's baseline section, kept as it was)
        common.write_section(f"incremental-x{args.factor}-{args.layout}-issue-15", body.replace("### ", "#### ", 1))


if __name__ == "__main__":
    main()
