"""What search analytics add to each search: CPU per /search.json with SEARCHSVC_ANALYTICS on and off.

    python bench/bench_analytics.py [--workdir DIR] [--rounds 7] [--requests 400] [--no-write]

Two apps on one index of the real 2017 corpus, in one process, through Flask's
test client (the app's own work, no server or network), rounds alternating
which goes first.  Two mixes: "new" searches (each query asked once of each
app: a result-cache miss, the dearest search, so the smallest share for the
recording) and "repeated" ones (three queries again and again: a cached hit,
where the recording is the largest share of the work).  The figure is process
CPU time, which counts the analytics writer thread too; each round ends with
a pause longer than the writer's batch interval so that its writes fall in
the round that made them.  CPU time rather than wall time because the 2
cores are shared: other processes change the wall time of a round, hardly
its CPU time.  `bench_http.py --analytics on|off` gives the throughput view.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import common
import frontmatter
from bench_query import corpus_and_index

from searchsvc import create_app
from searchsvc.analytics.recorder import BATCH_SECONDS, IDLE_SECONDS
from searchsvc.web.analytics import record_search

BATCH = 21  # requests of one mix to one app before the other app's turn
REPEATED = ("customer experience", "mobile", "data")


def titles_queries(n: int) -> list[str]:
    """``n`` distinct two-word queries from the posts' titles (what visitors type most)."""
    words = []
    for path in sorted(common.CORPUS.rglob("*.md")):
        title = str(frontmatter.load(path).get("title", ""))
        words += [w.lower() for w in title.split() if w.isalpha() and len(w) > 3]
    return list(dict.fromkeys(f"{a} {b}" for a, b in zip(words, words[1:])))[:n]


def thread_cpu_of(client, requests) -> float:
    """CPU ms of this thread (the request path) per request."""
    started = time.thread_time()
    for q in requests:
        assert client.get("/search.json", query_string={"q": q}).status_code == 200
    return (time.thread_time() - started) / len(requests) * 1000


def recording_call(app, queries: list[str], times: int = 20) -> float:
    """CPU microseconds of the request path's one analytics call (what a search pays, measured alone)."""
    with app.test_request_context("/search.json"):
        started = time.thread_time()
        for _ in range(times):
            for q in queries:
                record_search({"query": q, "page": 1, "total": 3})
                time.sleep(0)  # let the writer drain the queue as it does between requests
        return (time.thread_time() - started) / (times * len(queries)) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", help="keep the index here between runs")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    machine = common.machine()
    _, _, index_dir = corpus_and_index(1, args.workdir)
    queries = titles_queries(args.requests * args.rounds)
    assert len(queries) == args.requests * args.rounds, f"only {len(queries)} distinct queries"
    apps = {
        mode: create_app({"TESTING": True, "index_dir": str(index_dir), "analytics": mode == "on"})
        for mode in ("on", "off")
    }
    cpu = {(mix, mode): [] for mix in ("new", "repeated") for mode in apps}
    try:
        clients = {mode: app.test_client() for mode, app in apps.items()}
        for mode in apps:  # open the generation, warm the caches of the repeated mix
            thread_cpu_of(clients[mode], REPEATED * 10)
        time.sleep(BATCH_SECONDS + IDLE_SECONDS + 0.5)  # the warm-up's writes and threads are done
        # Small batches, alternating which app goes first, so that both sample
        # the same moments of a shared machine.
        process_before, thread_before = time.process_time(), time.thread_time()
        for b in range(args.rounds * args.requests // BATCH):
            order = ("on", "off") if b % 2 == 0 else ("off", "on")
            fresh = queries[b * BATCH : (b + 1) * BATCH]
            for mode in order:
                cpu[("new", mode)].append(thread_cpu_of(clients[mode], fresh))
                cpu[("repeated", mode)].append(thread_cpu_of(clients[mode], REPEATED * (BATCH // 3)))
        time.sleep(BATCH_SECONDS + IDLE_SECONDS + 0.5)  # the writer's last batch
        others = (time.process_time() - process_before) - (time.thread_time() - thread_before)
        recording = recording_call(apps["on"], queries[:2000])
    finally:
        for app in apps.values():
            app.extensions["searchsvc"].close()
    recorded = Path(index_dir).glob("analytics*")
    searches_on = len(cpu[("new", "on")]) * BATCH + len(cpu[("repeated", "on")]) * (BATCH // 3) * 3
    writer = others / searches_on * 1000
    rows = []
    for mix in ("new", "repeated"):
        on, off = statistics.mean(cpu[(mix, "on")]), statistics.mean(cpu[(mix, "off")])
        rows.append([mix, f"{off:.3f}", f"{on:.3f}", f"{on - off:+.3f}", f"{writer:.3f}", f"{(on + writer) / off * 100 - 100:+.1f}%"])
    body = (
        "## Search analytics: the added cost per search (issue 12)\n\n"
        f"`python bench/bench_analytics.py --rounds {args.rounds} --requests {args.requests}`: CPU per "
        f"/search.json, means over {args.rounds * args.requests} searches of each mix and mode in batches of {BATCH}, "
        f"the two apps alternating; {machine}; load average {os.getloadavg()[0]:.2f} at the end\n\n"
        "The request path is the CPU of the thread that made the requests (the app's work); the writer is "
        "every other thread's CPU over the run (the analytics writer thread, the only one left running) "
        "divided by the searches the analytics app answered.\n\n"
        + common.table(["searches", "analytics off: request path (ms CPU)", "on: request path", "added on the request path", "writer thread per search", "added in all"], rows)
        + f"\n\nThe request path's analytics call alone (normalising the query, a tuple on the bounded queue), "
        f"timed in the analytics app 40,000 times: **{recording:.1f} us of CPU** per search.\n"
        + f"\nAnalytics files beside the index: {', '.join(sorted(p.name for p in recorded)) or 'none'}.\n"
    )
    print(body)
    if not args.no_write:
        common.write_section("analytics-issue-12", body)


if __name__ == "__main__":
    main()
