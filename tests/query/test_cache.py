"""query/cache.py: the per-generation LRU of result dicts."""

from __future__ import annotations

import pickle
import tracemalloc

from searchsvc.query.cache import CACHE_ENTRIES, ResultCache, estimated_bytes


def test_least_recently_used_goes_first():
    cache = ResultCache(capacity=2)
    cache.put("a", {"n": 1})
    cache.put("b", {"n": 2})
    assert cache.get("a") == {"n": 1}  # "a" is now the most recent
    cache.put("c", {"n": 3})
    assert (cache.get("b"), cache.get("a"), cache.get("c"), len(cache)) == (None, {"n": 1}, {"n": 3}, 2)
    assert cache.stats() == {"capacity": 2, "entries": 2, "estimated_bytes": 3400, "max_bytes": 16 << 20, "hits": 3, "misses": 1, "hit_rate": 0.75}


def test_a_put_again_refreshes_and_replaces():
    cache = ResultCache(capacity=2)
    cache.put("a", {"n": 1})
    cache.put("b", {"n": 2})
    cache.put("a", {"n": 10})
    cache.put("c", {"n": 3})
    assert (cache.get("a"), cache.get("b")) == ({"n": 10}, None)


def test_capacity_0_keeps_nothing_and_clear_forgets_counts():
    off = ResultCache(capacity=0)
    off.put("a", {"n": 1})
    assert (off.get("a"), len(off)) == (None, 0)
    cache = ResultCache()
    assert cache.capacity == CACHE_ENTRIES == 1024
    cache.put("a", {})
    cache.get("a")
    cache.clear()
    assert cache.stats() == {"capacity": 1024, "entries": 0, "estimated_bytes": 0, "max_bytes": 16 << 20, "hits": 0, "misses": 0, "hit_rate": 0.0}


def page(results: int, facet_values: int) -> dict:
    return {"results": [{"n": i} for i in range(results)], "facets": {"tags": [{"v": i} for i in range(facet_values)]}}


def test_the_bytes_bound_keeps_the_most_recent_and_never_an_oversized_answer():
    one = estimated_bytes(page(10, 80))
    assert one == 1700 + 450 * 80 + 2300 * 10 == 60700
    cache = ResultCache(capacity=100, max_bytes=3 * one)
    for key in "abcd":
        cache.put(key, page(10, 80))
    assert ([cache.get(k) is not None for k in "abcd"], cache.bytes) == ([False, True, True, True], 3 * one)
    cache.put("huge", page(100, 200))  # larger than the whole budget: not kept, nothing evicted
    assert (cache.get("huge"), len(cache), cache.bytes) == (None, 3, 3 * one)
    cache.put("b", page(0, 0))  # replaced: its old size is given back
    assert (len(cache), cache.bytes) == (3, 2 * one + 1700)


def test_the_estimate_is_near_what_a_real_answer_holds(client):
    for params in ({"q": "data"}, {"q": "mobile", "per_page": 50}, {"q": "accessibility", "tags": "508"}):
        answer = client.get("/search.json", query_string=params).get_json()
        cached = {k: answer[k] for k in ("results", "facets", "query", "page", "per_page", "total")}
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            copy = pickle.loads(pickle.dumps(cached))
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert copy == cached
        assert 0.5 <= estimated_bytes(cached) / held <= 2.0, (params, estimated_bytes(cached), held)
