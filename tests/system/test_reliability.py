"""Readers never see a reindex, and resources stay bounded
(RELIABILITY.md tests 5, R1, R7, R8; issue 6 items 1 and 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest


from ..conftest import build, open_app, write_post
from ..liveserver import fd_count, gunicorn, request, worker_pids

BASE_POSTS = 120
EXTRA_POSTS = 30
REINDEXES = 20
SMALL_POSTS = 2000


def grow_site(root: Path) -> Path:
    for i in range(BASE_POSTS):
        write_post(
            root,
            f"posts/{i:03d}.md",
            f"title: Common post {i}\ndate: 2016-{i % 12 + 1:02d}-{i % 28 + 1:02d}\ntags: [T{i % 7}]",
            f"common words in post {i}, about budgets and forms. " * 10,
        )
    return root


def toggle_extra(root: Path, present: bool, round_: int) -> None:
    for i in range(EXTRA_POSTS):
        path = root / f"extra/{i:03d}.md"
        if present:
            write_post(root, f"extra/{i:03d}.md", f"title: Extra {i} round {round_}\ndate: 2017-02-02", "common extra words")
        elif path.exists():
            path.unlink()


def publish_many(root: Path, index_dir: Path) -> list[int]:
    """20 reindexes alternating the post count, full and incremental."""
    counts = []
    for n in range(REINDEXES):
        toggle_extra(root, present=n % 2 == 0, round_=n)
        report, _ = build(root, index_dir, full=(n % 4 in (2, 3)))
        counts.append(report.documents)
    return counts


@pytest.fixture
def site(tmp_path):
    root = grow_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    return root, index_dir


@dataclass
class Readings:
    errors: list = field(default_factory=list)
    empty: int = 0
    totals: Counter = field(default_factory=Counter)

    @property
    def searches(self) -> int:
        return sum(self.totals.values())


def read_while_publishing(root: Path, index_dir: Path, fetch, paths: list[str]) -> tuple[Readings, list[int]]:
    """8 threads call ``fetch(path) -> (status, json or text)`` round the paths while 20 reindexes publish."""
    seen = Readings()
    stop = threading.Event()
    lock = threading.Lock()

    def reader(k: int):
        i = 0
        while not stop.is_set():
            status, data = fetch(paths[(i + k) % len(paths)])
            i += 1
            with lock:
                if status != 200:
                    seen.errors.append((status, str(data)[:200]))
                    continue
                seen.totals[data["total"]] += 1
                if not data["results"]:
                    seen.empty += 1

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    try:
        counts = publish_many(root, index_dir)
    finally:
        stop.set()
        for t in threads:
            t.join()
    return seen, counts


@pytest.mark.slow
def test_eight_reader_threads_during_twenty_reindexes(site):
    root, index_dir = site
    # Eight threads of one process, as a threaded server would run them: the
    # per-worker admission limit (max_concurrent_searches, issue 16) is set to
    # them, since what is tested is that a publish never fails a search.
    with open_app({"index_dir": str(index_dir), "max_concurrent_searches": 8}) as app:
        client = app.test_client()

        def fetch(path):
            response = client.get(path)
            return response.status_code, response.get_json() if response.status_code == 200 else response.get_data(as_text=True)

        paths = ["/search.json?q=common", "/search.json", "/search.json?q=common+words&sort=newest&per_page=5"]
        seen, counts = read_while_publishing(root, index_dir, fetch, paths)
    errors, empty, totals, searches = seen.errors, seen.empty, seen.totals, seen.searches
    print(f"8 threads: {searches} searches during {REINDEXES} publishes; totals seen {dict(totals)}; "
          f"{len(errors)} errors, {empty} empty result sets")
    assert set(counts) == {BASE_POSTS, BASE_POSTS + EXTRA_POSTS}
    assert errors == []
    assert empty == 0
    assert set(totals) <= {BASE_POSTS, BASE_POSTS + EXTRA_POSTS}
    assert searches >= 200


@pytest.mark.slow
def test_gunicorn_workers_during_twenty_reindexes(site):
    root, index_dir = site
    with gunicorn(index_dir, workers=3) as server:

        def fetch(path):
            try:
                status, _, data = request(server.port, "GET", path, timeout=10)
            except OSError as exc:
                status, data = None, repr(exc)
            return status, data

        paths = ["/search.json?q=common", "/search.json?sort=oldest", "/search.json?q=common+extra+OR+budgets"]
        seen, counts = read_while_publishing(root, index_dir, fetch, paths)
        # Every worker answers from the newest generation on its next request.
        last = counts[-1]
        after = [request(server.port, "GET", "/healthz")[2] for _ in range(30)]
        log = server.log_path.read_text()
    errors, empty, totals, searches = seen.errors, seen.empty, seen.totals, seen.searches
    print(f"gunicorn -w 3, 8 clients: {searches} searches during {REINDEXES} publishes; totals seen {dict(totals)}; "
          f"{len(errors)} errors, {empty} empty result sets")
    assert errors == []
    assert empty == 0
    assert set(totals) <= {BASE_POSTS, BASE_POSTS + EXTRA_POSTS}
    assert searches >= 100
    assert {(h["documents"], h["generation"], h["status"]) for h in after} == {(last, REINDEXES + 1, "ok")}
    assert "Traceback" not in log


@pytest.mark.slow
def test_fds_flat_across_1000_searches_and_100_reindexes(tmp_path):
    """Datasette's test_fd_leak, for a running server: count /proc/<worker>/fd."""
    root = tmp_path / "site"
    for i in range(6):
        write_post(root, f"posts/{i}.md", f"title: Post {i}\ndate: 2016-01-0{i + 1}\ntags: [A]", f"shared words {i}")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    with gunicorn(index_dir, workers=1) as server:
        (worker,) = worker_pids(server.pid)
        for _ in range(20):
            request(server.port, "GET", "/search.json?q=shared")
        baseline = fd_count(worker)
        peak = baseline
        searches = 0
        for n in range(100):
            write_post(root, "posts/changing.md", f"title: Changing {n}\ndate: 2016-02-01", f"shared words round{n}")
            report, _ = build(root, index_dir)
            assert report.generation == n + 2
            for k in range(10):
                status, _, data = request(server.port, "GET", f"/search.json?q=shared&page={k % 2 + 1}&per_page=5")
                assert status == 200 and data["total"] == 7
                searches += 1
            peak = max(peak, fd_count(worker))
        generation = request(server.port, "GET", "/healthz")[2]["generation"]
        segments = len(list((index_dir / "current").glob("*.seg")))
        # The last generation's vocabulary warm-up holds a reader of its own
        # until it is done (a loaded machine can still be at it): wait for it.
        final, deadline = fd_count(worker), time.monotonic() + 5
        while final > baseline + segments + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            final = fd_count(worker)
    print(f"worker fds: {baseline} before, peak {peak}, {final} after {searches} searches and 100 reindexes "
          f"(live generation {generation} has {segments} segment files)")
    assert searches == 1000 and generation == 101
    assert final <= baseline + segments + 2
    # At a switch: the old and the new generation open, each possibly with its
    # vocabulary warm-up's own reader (a loaded machine is still warming the
    # old one).  A leak would grow with the 100 reindexes instead.
    assert peak <= baseline + 4 * (segments + 1) + 4


# The reindex runs under this wrapper, which reports its own high-water
# mark (VmHWM) and its pool workers' (RUSAGE_CHILDREN).  Not wait4's
# ru_maxrss of the child: after fork+exec that keeps the *parent's* peak,
# here pytest's hundreds of MB.
PEAK_WRAPPER = """
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


def reindex_measuring_peak(root: Path, index_dir: Path) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    proc = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, "reindex", str(root), "--index", str(index_dir)], env=env, capture_output=True, text=True)
    peak = int(proc.stderr.rsplit("PEAK_KB ", 1)[1].split()[0])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr, peak


@pytest.mark.slow
def test_peak_memory_with_a_50_mb_post_and_2000_small_ones(tmp_path):
    """Peak RSS of a whole `searchsvc reindex` process (its pool included).
    bench/memory.py repeats this with 100,000 small files, by hand."""
    root = tmp_path / "site"
    (root / "big").mkdir(parents=True)
    with open(root / "big/huge.md", "wb") as handle:
        handle.write(b"---\ntitle: Huge\ndate: 2016-01-01\n---\n")
        line = b"A long line of words that repeats many times over. " * 20 + b"\n"
        for _ in range(50 * 1024 * 1024 // len(line)):
            handle.write(line)
    for i in range(SMALL_POSTS):
        folder = root / f"small/{i // 500}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.md").write_text(f"---\ntitle: Small {i}\ndate: 2016-01-{i % 28 + 1:02d}\ntags: [t{i % 50}]\n---\nword{i} small body\n")
    started = time.monotonic()
    output, peak_kb = reindex_measuring_peak(root, tmp_path / "index")
    seconds = time.monotonic() - started
    peak_mb = peak_kb / 1024
    print(f"reindex of a {(root / 'big/huge.md').stat().st_size / 2**20:.0f} MB post + {SMALL_POSTS:,} small posts: "
          f"peak RSS {peak_mb:.0f} MB, {seconds:.1f} s")
    assert "skipped big/huge.md: file is 52" in output and "over the limit of 2097152 bytes (setting max_post_bytes)" in output
    assert f"added {SMALL_POSTS}," in output and "failed 1," in output
    assert peak_mb < 150
