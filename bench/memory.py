"""Peak memory of a reindex: a 50 MB post (skipped by max_post_bytes) and
100,000 small posts, in a temporary folder.

    python bench/memory.py [--small 100000] [--no-write]

Issue 6, item 3.  The reindex runs in a child process under a wrapper that
reports its own high-water mark (VmHWM) and its parse pool's
(RUSAGE_CHILDREN) — not wait4's ru_maxrss, which after fork+exec keeps the
parent's peak.  Also reported: the same run with a tenth of the small posts,
so the growth per post can be read off.  Figures go into BENCHMARKS.md
between ``<!-- memory-issue-6 -->`` markers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

WRAPPER = """
import resource, sys
from searchsvc.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(f"PEAK_KB {max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)}", file=sys.stderr)
sys.exit(code)
"""


def make_site(root: Path, small: int) -> None:
    (root / "big").mkdir(parents=True)
    line = b"A long line of words that repeats many times over. " * 20 + b"\n"
    with open(root / "big/huge.md", "wb") as handle:
        handle.write(b"---\ntitle: Huge\ndate: 2016-01-01\n---\n")
        for _ in range(50 * 1024 * 1024 // len(line)):
            handle.write(line)
    for i in range(small):
        folder = root / f"small/{i // 1000}"
        if i % 1000 == 0:
            folder.mkdir(parents=True)
        (folder / f"{i}.md").write_text(
            f"---\ntitle: Small post {i}\ndate: 2016-{i % 12 + 1:02d}-{i % 28 + 1:02d}\ntags: [t{i % 500}, all]\n---\n"
            f"word{i} and a few ordinary words about forms, budgets and services.\n"
        )


def tree_rss_kb(root_pid: int) -> int:
    """Resident KB of a process and all its descendants, now."""
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(") ", 1)[1].split()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(p, 0) for p in tree)


def run(root: Path, index_dir: Path) -> tuple[float, float, float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, "reindex", str(root), "--index", str(index_dir), "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    total = 0
    while proc.poll() is None:  # the reindex's worker processes run at the same time: their sum counts
        total = max(total, tree_rss_kb(proc.pid))
        time.sleep(0.05)
    out, err = proc.communicate()
    seconds = time.monotonic() - started
    peak = int(err.rsplit("PEAK_KB ", 1)[1].split()[0]) / 1024
    summary = (out.strip().splitlines() or [""])[-1]
    return peak, total / 1024, seconds, summary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=100_000)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    machine = common.machine()
    rows = []
    for count in (args.small // 10, args.small):
        base = Path(tempfile.mkdtemp(prefix="searchsvc-mem-"))
        try:
            make_site(base / "content", count)
            peak, total, seconds, summary = run(base / "content", base / "index")
        finally:
            shutil.rmtree(base, ignore_errors=True)
        print(f"{count:,} small posts + a 50 MB post: peak RSS {peak:.0f} MB a process, {total:.0f} MB all processes, in {seconds:.0f} s; {summary}", flush=True)
        rows.append([f"{count:,}", f"{peak:.0f} MB", f"{total:.0f} MB", f"{seconds:.0f} s", summary.split(";")[0]])
    if not args.no_write:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        body = f"""## Peak memory of a reindex (issue 6)

`python bench/memory.py` — one `searchsvc reindex` (full: its worker processes each parse and
index a share of the posts) of a folder holding a 50 MB post (skipped: over `max_post_bytes`) and
N small posts. "A process": the larger of the reindex process's VmHWM and its workers' maxrss;
"all processes": the largest sum of the resident sizes of the reindex and its workers, sampled
every 50 ms. Measured {when}; {machine}.

{common.table(["small posts", "peak RSS, a process", "peak RSS, all processes", "time", "summary"], rows)}

Peak RSS grows with the number of posts, not with their size: a post over `max_post_bytes` is
never read. Most of it is Whoosh's writer in each worker: its posting pool (`limitmb=64` a worker;
Whoosh's own size estimate runs well under the real one) and per-document arrays, and the
workers' manifest entries until they hand them to the parent. (Before the full build moved into
worker processes, 2026-11-25 11:17 UTC, one writer in the parent: 124 MB at 10,000 posts and
443 MB at 100,000, in 18 and 139 s.)
"""
        common.write_section("memory-issue-6", body)
        print("wrote BENCHMARKS.md section memory-issue-6")


if __name__ == "__main__":
    main()
