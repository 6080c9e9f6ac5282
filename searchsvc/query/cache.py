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

# ~10-30 KB a response dict: at most a few tens of MB per worker.
CACHE_ENTRIES = 1024


class ResultCache:
    """A thread-safe LRU mapping of request keys to result dicts."""

    def __init__(self, capacity: int = CACHE_ENTRIES):
        self.capacity = capacity
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key, value) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def stats(self) -> dict:
        looked = self.hits + self.misses
        return {
            "capacity": self.capacity,
            "entries": len(self._items),
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
