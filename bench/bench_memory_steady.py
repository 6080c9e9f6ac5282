"""A worker's memory once every per-generation cache is full: many distinct searches.

    python bench/bench_memory_steady.py INDEX_DIR [SEARCHES]

``bench_scale.py`` measures a worker after a Zipf mix of 300 queries, which
fills few caches.  Here one app opens the generation of INDEX_DIR (e.g. the
100,000-post index bench_scale.py built in its --workdir) and answers
SEARCHES (default 3,000) distinct searches of 1-3 random words of its
vocabulary (seen in at least 5 posts), each a result-cache miss; the
resident and private memory (resident minus the file-backed pages the page
cache shares between workers) are printed five times on the way.
"""

from __future__ import annotations

import os
import random
import sys
import time

import common  # noqa: F401  (puts the repository first on sys.path)

from searchsvc import create_app
from searchsvc.query import suggest


def memory() -> tuple[float, float]:
    """(private MB, resident MB) of this process."""
    pages = open("/proc/self/statm").read().split()
    return (int(pages[1]) - int(pages[2])) * 4096 / 1e6, int(pages[1]) * 4096 / 1e6


def distinct_searches(vocab, searches: int):
    """``searches`` queries of 1-3 random words seen in at least 5 posts (the same ones every run)."""
    words = [w for w in vocab.sorted_words if w.isalpha() and vocab.df[w] >= 5]
    rng = random.Random(3)
    for _ in range(searches):
        yield " ".join(rng.sample(words, rng.choice((1, 1, 2, 2, 3))))


def main(index_dir: str, searches: int) -> None:
    app = create_app({"index_dir": index_dir, "TESTING": True})
    try:
        client = app.test_client()
        client.get("/search.json", query_string={"q": "data"})
        handle = app.extensions["searchsvc"]
        gen = handle.acquire()
        vocab = suggest.vocabulary(gen)
        handle.release(gen)
        print("generation open: private %.0f MB, resident %.0f MB" % memory(), flush=True)
        started = time.perf_counter()
        for i, q in enumerate(distinct_searches(vocab, searches), 1):
            assert client.get("/search.json", query_string={"q": q}).status_code == 200
            if i % max(1, searches // 5) == 0:
                print(f"{i} distinct searches: private %.0f MB, resident %.0f MB" % memory(), f"({time.perf_counter() - started:.0f} s)", flush=True)
        gen = handle.acquire()
        print("result cache:", gen.cache.stats(), f"load average {os.getloadavg()[0]:.2f}")
        handle.release(gen)
    finally:
        app.extensions["searchsvc"].close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3000)
