"""A result cache for repeated queries, one per open generation.

Site searches repeat: a few queries make most of the traffic (a Zipf-like
mix, bench/bench_query.py reports the hit rate).  A result depends only on
the request and the generation, so each ``Generation`` owns a cache and a
new generation starts with an empty one: invalidation needs no bookkeeping
and a stale answer cannot outlive the index it came from.  Settings that
shape a result (facets, limits) are fixed for the life of the app.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

CACHE_ENTRIES = 1024
# A response dict in memory (measured with tracemalloc on copies, 10,000
# posts): ~1.7 KB, ~450 B per facet value listed, ~2.3 KB per result; 59 KB
# for a page of 10 with 80 facet values, 267 KB at per_page=100.  1,024 of
# them were ~60 MB in every worker; the budget keeps ~280 such pages.
CACHE_BYTES = 16 << 20
BASE_BYTES, FACET_VALUE_BYTES, RESULT_BYTES = 1700, 450, 2300


def estimated_bytes(result: dict) -> int:
    """What a result dict holds in memory, from its shape (a walk of it would cost as much as a miss's snippets)."""
    facets = result.get("facets") or {}
    return BASE_BYTES + FACET_VALUE_BYTES * sum(len(v) for v in facets.values()) + RESULT_BYTES * len(result.get("results") or ())


class ResultCache:
    """A thread-safe LRU mapping of request keys to result dicts, bounded in entries and in estimated bytes."""

    def __init__(self, capacity: int = CACHE_ENTRIES, max_bytes: int = CACHE_BYTES):
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict = OrderedDict()  # key -> (result, estimated bytes)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key, value) -> None:
        size = estimated_bytes(value)
        if self.capacity <= 0 or size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while len(self._items) > self.capacity or self.bytes > self.max_bytes:
                _, (_, gone) = self._items.popitem(last=False)
                self.bytes -= gone

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def stats(self) -> dict:
        looked = self.hits + self.misses
        return {
            "capacity": self.capacity,
            "entries": len(self._items),
            "estimated_bytes": self.bytes,
            "max_bytes": self.max_bytes,
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": self.hits / looked if looked else 0.0,
        }


class SharedLRU:
    """A thread-safe least-recently-used mapping, bounded by entries or by a total ``weigh(value)``.

    For the per-generation caches that searches running side by side fill
    (query/readers.py): two threads may read the same value at once; the
    second ``put`` replaces the first, counted once.
    """

    def __init__(self, capacity: int, weigh=None):
        self.capacity = capacity
        self._weigh = weigh or (lambda value: 1)
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.weight = 0

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.weight -= self._weigh(old)
            self._items[key] = value
            self.weight += self._weigh(value)
            while self.weight > self.capacity and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self.weight -= self._weigh(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.weight = 0

    def __len__(self) -> int:
        return len(self._items)
