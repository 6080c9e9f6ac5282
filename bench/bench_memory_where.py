"""Where a worker's private memory goes once every cache is full: tracemalloc, per cache.

    python bench/bench_memory_where.py INDEX_DIR [SEARCHES]

The same app and searches as bench_memory_steady.py (SEARCHES distinct
searches, default 3,000), under tracemalloc (one frame; it slows the
searches about 2x).  Printed: what Python allocated by the imports and
create_app, by opening the generation and its vocabulary, and by the
searches; then each per-generation cache emptied in turn, what that freed
(its real bytes) beside the cache's own estimate of them; then what the
searches left that no cache listed here accounts for, by source line.
NumPy arrays over the mapped files (the stored vocabulary) are not
allocations and do not appear: they are shared pages.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc

tracemalloc.start(1)

import common  # noqa: E402,F401  (puts the repository first on sys.path)
from bench_memory_steady import distinct_searches, memory  # noqa: E402

from searchsvc import create_app  # noqa: E402
from searchsvc.query import ranking, snippets, suggest  # noqa: E402

MB = 1e6


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def top(snapshot, base=None, limit: int = 25) -> None:
    found = snapshot.compare_to(base, "lineno") if base is not None else snapshot.statistics("lineno")
    for stat in found[:limit]:
        frame = stat.traceback[0]
        size, count = (stat.size_diff, stat.count_diff) if base is not None else (stat.size, stat.count)
        print(f"  {size / MB:7.2f} MB  {count:8d} blocks  {frame.filename.split('/searchsvc/')[-1].split('/site-packages/')[-1]}:{frame.lineno}")


def caches(gen):
    """(name, empty it, its own estimate of its bytes or None) for each per-generation and per-process cache."""
    stats = ranking.field_stats(gen)
    vocab = suggest.vocabulary(gen)
    derived = gen.__dict__["_derived"]

    def emptied(name):
        return lambda: derived.get(name, {}).clear()

    return [
        ("result cache (query/cache.py)", gen.cache.clear, gen.cache.bytes),
        ("posting lists (ranking FieldStats.postings)", stats.postings.clear, stats.postings.bytes),
        ("positions (sequence.py)", stats.positions.clear, stats.positions.bytes),
        ("phrases", stats.phrases.clear, stats.phrases.bytes),
        ("stored fields (readers.StoredFields)", gen.stored_fields.kept.clear, gen.stored_fields.kept.bytes),
        ("result cards (hits.py)", emptied("result_cards"), derived["result_cards"].bytes if "result_cards" in derived else None),
        ("sub-result pages (subresults.py)", emptied("sub_result_pages"), None),
        ("page refs", emptied("page_refs"), None),
        ("doc frequencies", stats.__dict__["_doc_frequencies"].clear, None),
        ("norms and damping", lambda: (stats.__dict__["_norms"].clear(), stats.__dict__["_damping"].clear()), None),
        ("snippet word forms (snippets._FORMS)", snippets.__dict__["_FORMS"].clear, None),
        ("snippet patterns (lru_cache)", snippets.__dict__["_candidates"].cache_clear, None),
        ("typo corrections (Vocabulary._cache)", vocab.__dict__["_cache"].clear, None),
        ("typo buckets (Buckets._made)", vocab.buckets.__dict__["_made"].clear, None),
    ]


def main(index_dir: str, searches: int) -> None:
    start = traced()
    app = create_app({"index_dir": index_dir, "TESTING": True})
    client = app.test_client()
    after_app = traced()
    client.get("/search.json", query_string={"q": "data"})
    handle = app.extensions["searchsvc"]
    gen = handle.acquire()
    vocab = suggest.vocabulary(gen)
    opened = traced()
    opened_snapshot = tracemalloc.take_snapshot()
    print(f"imports before the app: {start / MB:.1f} MB traced; create_app: {(after_app - start) / MB:.1f} MB; "
          f"generation open + vocabulary: {(opened - after_app) / MB:.1f} MB; private {memory()[0]:.0f} MB", flush=True)
    for q in distinct_searches(vocab, searches):
        assert client.get("/search.json", query_string={"q": q}).status_code == 200
    full = traced()
    full_snapshot = tracemalloc.take_snapshot()
    print(f"after {searches} distinct searches: {full / MB:.1f} MB traced (+{(full - opened) / MB:.1f}); private {memory()[0]:.0f} MB, resident {memory()[1]:.0f} MB", flush=True)
    print("what opening the generation allocated, by line:")
    top(opened_snapshot, None, 30)
    print("each cache emptied in turn: freed (its own estimate)")
    freed_total = 0
    for name, empty, estimate in caches(gen):
        before = traced()
        empty()
        freed = before - traced()
        freed_total += freed
        print(f"  {freed / MB:7.2f} MB  {name}" + (f"  (estimate {estimate / MB:.2f} MB)" if estimate is not None else ""), flush=True)
    print(f"  {freed_total / MB:7.2f} MB  all of them; the searches added {(full - opened) / MB:.2f} MB")
    print("what the searches left beyond those caches, by line:")
    top(tracemalloc.take_snapshot(), opened_snapshot, 15)
    del full_snapshot
    handle.release(gen)
    handle.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3000)
