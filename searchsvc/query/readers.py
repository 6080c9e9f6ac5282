"""A generation's Whoosh searchers: one for each search running at once in a process.

Whoosh's readers seek and then read file objects they share (segments are
read without an mmap, see whoosh_internals.open_index), so one searcher can
serve one thread at a time.  With one searcher per generation, searches took
turns: a visitor's 16 ms search that arrived while an attacker's 200-580 ms
one ran waited for it (issue 16 part 2; visitor p99 181-576 ms).  So each
read leases a searcher of its own (``Readers.lease``), opened on first need
up to ``limit`` at once and kept with the generation, which closes them all;
what is built from the index (arrays, facet tables, the vocabulary, caches)
stays shared.  A searcher costs one file descriptor per segment file and a
few hundred KB (BENCHMARKS.md, "Fair sharing under load").
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from ..index.whoosh_internals import open_searcher
from .cache import Budget, SharedLRU, strings_bytes


class StoredFields:
    """The most recently read posts' stored fields, shared by every searcher of a generation.

    Stored fields are zlib-compressed pickles: decompressing them was a
    seventh of a query (hits and the relevance re-rank read the same popular
    posts again and again), so the most recently read are kept, in the
    generation's caches' ``budget`` (~4 KB a post at 100,000 posts).
    """

    def __init__(self, budget: Budget):
        self.kept = SharedLRU(budget, strings_bytes)

    def install(self, searcher) -> None:
        """Make ``searcher.stored_fields`` read through this cache."""
        searcher.stored_fields = self.wrap(searcher.stored_fields)

    def wrap(self, stored_fields):
        """``stored_fields(docnum)`` through this cache (a copy each time: callers may change it)."""

        def lookup(docnum: int) -> dict:
            fields = self.kept.get(docnum)
            if fields is None:
                fields = stored_fields(docnum)
                self.kept.put(docnum, fields)
            return dict(fields)

        return lookup


class Readers:
    """The searchers of one open index: ``first`` (already open) and more opened as leases need them.

    ``limit``: most searchers open at once (None: one per thread that reads
    at the same moment); a lease beyond it waits for one to come back.
    ``prepare(searcher)`` runs on each before its first use.
    """

    def __init__(self, ix, first, limit: int | None, prepare):
        self._ix = ix
        self._prepare = prepare
        prepare(first)
        self._first = first
        self._all = [first]
        self._idle = [first]
        self._opening = 0
        self.limit = limit
        self._changed = threading.Condition(threading.Lock())
        self._mine = threading.local()
        self.closed = False

    def current(self):
        """The searcher this thread holds, else the first one (for a process's only thread: CLI, tests, benches)."""
        return getattr(self._mine, "searcher", None) or self._first

    def open_count(self) -> int:
        with self._changed:
            return len(self._all)

    @contextmanager
    def lease(self):
        """A searcher for this thread alone until the block ends; nested leases share the outer one."""
        held = getattr(self._mine, "searcher", None)
        if held is not None:
            yield held
            return
        searcher = self._take()
        self._mine.searcher = searcher
        try:
            yield searcher
        finally:
            self._mine.searcher = None
            with self._changed:
                if not self.closed:
                    self._idle.append(searcher)
                    self._changed.notify()

    def _take(self):
        with self._changed:
            while True:
                if self.closed:
                    raise RuntimeError("the generation's searchers are closed")
                if self._idle:
                    return self._idle.pop()  # the last returned: its blocks are the likeliest still cached
                if self.limit is None or len(self._all) + self._opening < self.limit:
                    self._opening += 1
                    break
                self._changed.wait()
        try:
            opened = open_searcher(self._ix)
        except BaseException:
            with self._changed:
                self._opening -= 1
                self._changed.notify()
            raise
        self._prepare(opened)
        with self._changed:
            self._opening -= 1
            self._changed.notify()
            if not self.closed:
                self._all.append(opened)
                return opened
        _close(opened)
        raise RuntimeError("the generation's searchers are closed")

    def close(self) -> None:
        with self._changed:
            self.closed = True
            searchers, self._all, self._idle = self._all, [], []
            self._changed.notify_all()
        for searcher in searchers:
            _close(searcher)


def _close(searcher) -> None:
    try:
        searcher.close()
    except Exception:
        pass
