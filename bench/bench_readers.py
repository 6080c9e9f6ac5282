"""What a searcher per concurrent search costs a worker (query/readers.py): file descriptors and memory.

    python bench/bench_readers.py INDEX_DIR [ROUNDS]

Starts ``gunicorn -w 1 --threads 4`` (gthread, as the systemd unit; the CPU
share off) from this checkout on INDEX_DIR, and reads the worker's VmRSS and
open descriptors (/proc) three times: after 20 plain searches one at a time
(one searcher), after ROUNDS (default 5) rounds of four expensive searches at
once (as many searchers as the worker's four search places), and after the
same 20 plain searches again.  Then, in this process, how long opening one
more searcher takes (median of 20), and the RSS of this process with one
searcher used and with four.  Run from another checkout (with
``PYTHONPATH`` set to it) the same script measures that checkout's worker.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import running_server  # noqa: E402  (the tests' server start-up: waits for readiness)
from tests.liveserver import fd_count, request, worker_pids  # noqa: E402

PREFIXES = "co re in de pr st ma se ca pa di ac me ha un ex fo tr su ne im bu an ad mo sh pl ch li wo ge".split()
PLAIN = ["customer experience", "digital services", "open data", "mobile", "plain language"]


def rss_kb(pid: int) -> int:
    return next(int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS:"))


def plain_round(port: int, offset: int) -> None:
    for i in range(20):
        request(port, "GET", "/search.json?" + urlencode({"q": PLAIN[i % len(PLAIN)], "page": offset + i // len(PLAIN)}))


def figures(worker: int) -> str:
    time.sleep(0.5)  # connections closed
    return f"RSS {rss_kb(worker) / 1024:.1f} MB, {fd_count(worker)} fds"


def main(index_dir: str, rounds: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env.update(SEARCHSVC_INDEX_DIR=index_dir, SEARCHSVC_CLIENT_CPU_MS="0", SEARCHSVC_ANALYTICS="false")
    argv = lambda port: [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"]  # noqa: E731
    segments = len(list((Path(index_dir) / "current").glob("*.seg")))
    with running_server(argv, Path("/tmp") / f"bench-readers-{os.getpid()}.log", env=env, cwd=REPO) as (base, proc):
        port = int(base.rsplit(":", 1)[1])
        (worker,) = worker_pids(proc.pid)
        plain_round(port, 1)
        one = figures(worker)
        for r in range(rounds):
            queries = [" ".join(p + "*" for p in PREFIXES[k + r :] + PREFIXES[: k + r]) for k in range(4)]
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda q: request(port, "GET", "/search.json?" + urlencode({"q": q}), timeout=120), queries))
        many = figures(worker)
        plain_round(port, 5)
        after = figures(worker)
    print(f"worker after 20 plain searches: {one}; after {rounds} x 4 expensive at once: {many}; after 20 plain again: {after} "
          f"({segments} segment files); load average {os.getloadavg()[0]:.2f}")
    try:
        from searchsvc.index.whoosh_internals import open_index, open_searcher
    except ImportError:
        return  # a checkout without open_searcher
    ix, first = open_index(Path(index_dir) / "current")
    times, opened = [], []
    for _ in range(20):
        started = time.perf_counter()
        opened.append(open_searcher(ix))
        times.append(time.perf_counter() - started)
    for searcher in [first] + opened:
        searcher.close()
    print(f"opening one more searcher: median {statistics.median(times) * 1000:.1f} ms (20)")
    in_process(index_dir)


def in_process(index_dir: str) -> None:
    """RSS with one searcher used, then four (leased at once, used one after another: no two searches' arrays at once)."""
    import threading

    from werkzeug.datastructures import MultiDict

    from searchsvc import settings as settings_mod
    from searchsvc.query import search
    from searchsvc.query.generation import IndexHandle
    from searchsvc.query.request import InvalidParameter, parse_args

    settings = dict(settings_mod.DEFAULTS, index_dir=index_dir)
    handle = IndexHandle(Path(index_dir), tuple(settings["facets"]))
    gen = handle.acquire()
    queries = PLAIN + [" ".join(p + "*" for p in PREFIXES[k:] + PREFIXES[:k]) for k in range(3)]
    turn = threading.Lock()

    def use() -> None:
        with turn:
            for q in queries:
                req = parse_args(MultiDict({"q": q}), settings, settings["facets"])
                try:
                    search.run(gen, req, settings, "/search.json")
                except InvalidParameter:
                    pass

    with gen.reading():
        use()
        use()  # (the caches shared by every searcher are full after the first)
    one = rss_kb(os.getpid())
    held = threading.Barrier(4)

    def leased() -> None:
        with gen.reading():
            held.wait()
            use()
            held.wait()

    threads = [threading.Thread(target=leased) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    four = rss_kb(os.getpid())
    print(f"in-process: RSS {one / 1024:.1f} MB with one searcher used, {four / 1024:.1f} MB with {gen.readers.open_count()} "
          f"(the same queries through each, one at a time)")
    handle.release(gen)
    handle.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
