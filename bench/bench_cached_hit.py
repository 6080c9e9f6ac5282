"""In-process cost of a cached /search.json answer (the result cache's hit path: request
parsing, the editors' settings, the JSON), against the app's /healthz, through Flask's
test client, so the figure is the app's own work without a server or a network.

    python bench/bench_cached_hit.py INDEX_DIR [REQUESTS]

Prints the mean per request of REQUESTS (default 1000) cached searches and of as many
/healthz, and the load average.  Used to find (and check the fix of) a cached hit that
had grown from 0.52-0.63 to 0.84 ms (a TOC re-read and seven stats per search).
"""

from __future__ import annotations

import os
import sys
import time

from searchsvc import create_app

QUERIES = ("customer experience", "mobile", "data")


def main(index_dir: str, n: int) -> None:
    app = create_app({"TESTING": True, "index_dir": index_dir, "analytics": False})
    try:
        client = app.test_client()
        for q in QUERIES:
            client.get("/search.json", query_string={"q": q})  # fill the cache
        started = time.perf_counter()
        for i in range(n):
            client.get("/search.json", query_string={"q": QUERIES[i % len(QUERIES)]})
        hit = (time.perf_counter() - started) / n * 1000
        started = time.perf_counter()
        for _ in range(n):
            client.get("/healthz")
        health = (time.perf_counter() - started) / n * 1000
        print(f"cached /search.json {hit:.3f} ms, /healthz {health:.3f} ms per request ({n} each); load average {os.getloadavg()[0]:.2f}")
    finally:
        app.extensions["searchsvc"].close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
