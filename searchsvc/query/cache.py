"""A result cache for repeated queries, one per open generation.

Site searches repeat: a few queries make most of the traffic (a Zipf-like
mix, bench/bench_query.py reports the hit rate).  A result depends only on
the request and the generation, so each ``Generation`` owns a cache and a
new generation starts with an empty one: invalidation needs no bookkeeping
and a stale answer cannot outlive the index it came from.  Settings that
shape a result (facets, limits) are fixed for the life of the app.

The generation's caches of what a miss reads (posting lists, stored fields,
result cards, positions, phrases) share one ``Budget`` of bytes and one
least-recently-used order: with a cap each, a worker held the sum of the
caps' worst cases, and a mix of searches that filled one could not use
another's room.  The result cache keeps a budget of its own: in the shared
order a miss's many posting lists and posts pushed out the answers the Zipf
mix repeats (at 100,000 posts, 300 Zipf queries: a repeat's mean 0.75 ->
4.7 ms, bench_scale.py's worker).
"""

from __future__ import annotations

import sys
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


class Budget:
    """The bytes several caches may hold together, and one least-recently-used order over all their entries.

    A cache's entry is weighed once, when it is put; the least recently used
    entry of any cache goes first when the total is over ``max_bytes``.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.lock = threading.Lock()
        self.order: OrderedDict = OrderedDict()  # (cache, key) -> None, least recently used first

    def make_room(self) -> None:
        """Evict the least recently used entries until the total fits (the caller holds ``lock``)."""
        while self.bytes > self.max_bytes and self.order:
            cache, key = self.order.popitem(last=False)[0]
            cache.forget(key)


class SharedLRU:
    """A thread-safe least-recently-used mapping whose entries count ``weigh(value)`` bytes against a ``Budget``.

    For the per-generation caches that searches running side by side fill
    (query/readers.py, ranking.py): two threads may read the same value at
    once; the second ``put`` replaces the first, counted once.  ``entries``
    and ``max_bytes`` bound this cache's own share too.  A value weighing
    more than that is not kept.
    """

    def __init__(self, budget: Budget, weigh, entries: int | None = None, max_bytes: int | None = None):
        self.budget = budget
        self.entries = entries
        self.max_bytes = budget.max_bytes if max_bytes is None else min(max_bytes, budget.max_bytes)
        self._weigh = weigh
        self._items: OrderedDict = OrderedDict()  # key -> (value, bytes, key in the budget's order)
        self.bytes = 0
        # (a cache without bounds of its own needs no order of its own: a get
        # is on every posting list and post a search reads)
        self._ordered = entries is not None or max_bytes is not None

    def get(self, key):
        with self.budget.lock:
            item = self._items.get(key)
            if item is None:
                return None
            if self._ordered:
                self._items.move_to_end(key)
            self.budget.order.move_to_end(item[2])
            return item[0]

    def put(self, key, value) -> None:
        size = self._weigh(value)
        budget = self.budget
        if (self.entries is not None and self.entries <= 0) or size > self.max_bytes:
            return
        with budget.lock:
            if key in self._items:
                self.forget(key)
                del budget.order[(self, key)]
            self._items[key] = (value, size, (self, key))
            budget.order[(self, key)] = None
            self.bytes += size
            budget.bytes += size
            while (self.entries is not None and len(self._items) > self.entries) or self.bytes > self.max_bytes:
                oldest = next(iter(self._items))
                self.forget(oldest)
                del budget.order[(self, oldest)]
            budget.make_room()

    def forget(self, key) -> None:
        """Drop ``key`` from this cache and its bytes from the budget (the caller holds the lock and updates ``order``)."""
        size = self._items.pop(key)[1]
        self.bytes -= size
        self.budget.bytes -= size

    def clear(self) -> None:
        with self.budget.lock:
            for key in self._items:
                del self.budget.order[(self, key)]
            self.budget.bytes -= self.bytes
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)


class ResultCache(SharedLRU):
    """The LRU of result dicts, bounded in entries and estimated bytes, within the ``budget`` it shares with other caches.

    Its own bound keeps a stream of distinct searches from pushing out the
    stored fields and posting lists that the next miss needs (a 32 MB budget
    shared freely: the x1 Zipf stream's mean 0.25 -> 0.37 ms, bench_query.py).
    """

    def __init__(self, capacity: int = CACHE_ENTRIES, max_bytes: int = CACHE_BYTES, budget: Budget | None = None):
        super().__init__(budget or Budget(max_bytes), estimated_bytes, capacity, max_bytes)
        self.capacity = capacity
        self.hits = 0
        self.misses = 0

    def get(self, key):
        with self.budget.lock:  # (searches run side by side: += is not atomic)
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self.hits += 1
            self._items.move_to_end(key)
            self.budget.order.move_to_end(item[2])
            return item[0]

    def clear(self) -> None:
        super().clear()
        self.hits = self.misses = 0

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


# What a cached entry costs beyond its data (measured with tracemalloc at
# 100,000 posts): the budget's order entry and key, the cache's own slot.
ENTRY_BYTES = 250


def array_bytes(*arrays) -> int:
    return ENTRY_BYTES + sum(112 + a.nbytes for a in arrays)


def strings_bytes(fields: dict) -> int:
    """A dict of strings, numbers and lists of strings (a post's stored fields, a result card)."""
    size = ENTRY_BYTES + sys.getsizeof(fields)
    for value in fields.values():
        size += sys.getsizeof(value)
        if isinstance(value, list):
            size += sum(map(sys.getsizeof, value))
    return size


def list_bytes(numbers: list) -> int:
    return ENTRY_BYTES + sys.getsizeof(numbers) + 32 * len(numbers)
