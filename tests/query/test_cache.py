"""query/cache.py: the per-generation LRU of result dicts."""

from __future__ import annotations

from searchsvc.query.cache import CACHE_ENTRIES, ResultCache


def test_least_recently_used_goes_first():
    cache = ResultCache(capacity=2)
    cache.put("a", {"n": 1})
    cache.put("b", {"n": 2})
    assert cache.get("a") == {"n": 1}  # "a" is now the most recent
    cache.put("c", {"n": 3})
    assert (cache.get("b"), cache.get("a"), cache.get("c"), len(cache)) == (None, {"n": 1}, {"n": 3}, 2)
    assert cache.stats() == {"capacity": 2, "entries": 2, "hits": 3, "misses": 1, "hit_rate": 0.75}


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
    assert cache.stats() == {"capacity": 1024, "entries": 0, "hits": 0, "misses": 0, "hit_rate": 0.0}
