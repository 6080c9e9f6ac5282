"""What the most expensive queries found by tests/query/test_cost.py's search cost now.

    python bench/bench_worst_queries.py [--rounds 5] [--no-write]

Each query of tests/query/worst_queries.txt (read by tests/attackers.py's parser) (the issue's F1 examples first,
then what the bounded search found) through /search.json on the real 2017
corpus in-process (Flask's test client), every request a result-cache miss
(the cache is emptied before each); the figure is the CPU time of the
request (``time.thread_time``), the median of --rounds, with the answer's
status and whether it was cut at the time limit (``truncated``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import common
from bench_query import corpus_and_index

from searchsvc import create_app
from tests.attackers import worst_queries  # (the file's one parser: the load test replays it too)

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", help="keep the index here between runs")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    machine = common.machine()
    _, _, index_dir = corpus_and_index(1, Path(args.workdir) if args.workdir else None)
    app = create_app({"TESTING": True, "index_dir": str(index_dir), "analytics": False})
    costs: dict[int, list[float]] = {}
    answers: dict[int, tuple] = {}
    queries = worst_queries()
    try:
        client = app.test_client()
        client.get("/search.json", query_string={"q": "goverment"})  # the vocabulary, once per generation
        handle = app.extensions["searchsvc"]
        for _ in range(args.rounds):
            for i, params in enumerate(queries):
                gen = handle.acquire()
                gen.cache.clear()
                handle.release(gen)
                started = time.thread_time()
                response = client.get("/search.json", query_string=params)
                costs.setdefault(i, []).append((time.thread_time() - started) * 1000)
                body = response.get_json() or {}
                answers[i] = (response.status_code, bool(body.get("truncated")), body.get("total"))
    finally:
        app.extensions["searchsvc"].close()
    order = sorted(range(len(queries)), key=lambda i: -statistics.median(costs[i]))
    rows = []
    for rank, i in enumerate(order[:10], 1):
        q = queries[i]["q"]
        shown = (q[:70] + "…") if len(q) > 70 else q
        extra = f" (per_page={queries[i]['per_page']})" if "per_page" in queries[i] else ""
        status, truncated, total = answers[i]
        rows.append([rank, f"`{shown.replace('|', '/')}`{extra}", f"{statistics.median(costs[i]):.0f}", f"{max(costs[i]):.0f}", status, "yes" if truncated else "no", total])
    body = (
        "## The most expensive queries found, and what they cost now (issue 16)\n\n"
        f"`python bench/bench_worst_queries.py --rounds {args.rounds}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{machine}; load average {os.getloadavg()[0]:.2f} at the end. The real 2017 corpus, /search.json in-process, "
        f"every request a cache miss; CPU ms of the request, median and max of {args.rounds} rounds; "
        "SEARCHSVC_QUERY_TIME_LIMIT_MS at its default (200).\n\n"
        + common.table(["#", "query", "CPU ms (median)", "max", "status", "truncated", "total"], rows)
        + "\n"
    )
    print(body)
    if not args.no_write:
        common.write_section("worst-queries-issue-16", body)


if __name__ == "__main__":
    main()
