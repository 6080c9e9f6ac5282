"""Opening the live generation, and the state built once per generation.

Each process keeps one open ``Generation`` and, on every request, compares
the ``current`` link with it (one readlink, microseconds), so every worker
sees a new generation at its next request without a restart.  Facet tables
(value -> documents, (document, value) pairs) and the date columns change only
when the index does, so they are built here once, not per query (WHOOSH-FACTS.md:
rebuilding them per query was over half of a faceted query's time).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..index import integrity, store
from ..index.schema import facet_field
from ..words import facet_key
from ..index.whoosh_internals import open_index, read_posting
from ..index.whoosh_internals.columns import numeric_column, text_column
from .budget import not_charged
from .cache import Budget, ResultCache
from .readers import Readers, StoredFields

log = logging.getLogger(__name__)


# What a generation's caches of what a miss reads hold together, in their
# estimates of their bytes (posting lists, stored fields, result cards,
# positions, phrases; cache.py), beside the result cache's 16 MB.  Separate
# caps were 16 MB of posting lists, 2,048 posts' stored fields (~9 MB at
# 100,000 posts), 4,096 cards (~4 MB) and 50,000 positions lists (~12 MB).
CACHE_BUDGET_BYTES = 20 << 20


# A generation whose checksums were verified clean this recently is not
# verified again after an error that was therefore not damage.
REVERIFY_SECONDS = 60.0


class NoIndex(Exception):
    """There is no usable generation; the message tells staff what to run."""


class Generation:
    """One open generation: its searchers (one per concurrent read, see readers.py) and the state built from it.

    Read it inside ``with generation.reading():`` (on_live does): the block
    has a searcher of its own, ``generation.searcher``.  Outside one,
    ``searcher`` is the first searcher, for a process's only thread (the
    CLI, tests, benches).
    """

    def __init__(self, number: int, path: Path, facets: tuple[str, ...], readers: int | None = None, cache_bytes: int = CACHE_BUDGET_BYTES):
        self.number = number
        self.path = path
        self.ix, searcher = open_index(path)
        self.memory = Budget(cache_bytes)
        self.stored_fields = StoredFields(self.memory)
        # (prepare must not hold the generation: the finalizer below holds the readers)
        self.readers = Readers(self.ix, searcher, readers, self.stored_fields.install)
        # Segments are open files (not an mmap, see open_index): a generation
        # dropped without close() (an app nobody closed) closes them when it
        # is collected, instead of leaving them to the files' finalizers.
        self._closer = weakref.finalize(self, self.readers.close)
        try:
            self._load(path, facets)
        except BaseException:
            # A torn segment may open and fail only when read: close its files.
            self.close()
            raise

    @property
    def dates(self) -> list:
        """Each post's date (a datetime; datetime.min when it has none), read when first needed."""
        return self.derived("dates", lambda gen: list(gen.searcher.reader().column_reader("date")) if len(gen.date_values) else [])

    @property
    def searcher(self):
        """The searcher of this thread's ``reading()`` block (else the first: see the class)."""
        return self.readers.current()

    def reading(self):
        """A block in which this thread reads the generation with a searcher of its own."""
        return self.readers.lease()

    def _load(self, path: Path, facets: tuple[str, ...]) -> None:
        # Results depend only on the request and the generation: a new
        # generation starts with an empty cache (see cache.py).
        self.cache = ResultCache()
        self._derived: dict[str, object] = {}
        self._derived_lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        # Requests answered without state that was still being built (see
        # derived's ``wait``): their results must not be cached.
        self.incomplete_answers = 0
        self.meta = store.read_json(path / store.META, {}) or {}
        forms = store.read_json(path / store.FACETS_FILE, {}) or {}
        # The site's names and pages for values (Hugo term pages, Jekyll's
        # _data/authors.yml): shown as labels; a label is a filter too.
        terms = store.read_json(path / store.TERMS_FILE, {}) or {}
        self.terms: dict[str, dict[str, dict]] = {n: t for n, t in terms.items() if isinstance(t, dict)}
        self.label_keys: dict[str, dict[str, str]] = {
            name: {facet_key(str(term.get("label", ""))): key for key, term in table.items()} for name, table in self.terms.items()
        }
        reader = self.searcher.reader()
        self.doc_count = reader.doc_count()
        # Arrays, not sets of Python ints: a set costs ~60 bytes a post, a
        # bool 1 (at 100k posts the sets and per-post dicts were hundreds of MB).
        self.size = reader.doc_count_all()  # deleted posts keep their numbers until a merge
        self.live = np.zeros(self.size, dtype=bool)
        self.live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        # Whole columns in one read each (one call chain a post was seconds at 100,000 posts)
        days = text_column(reader, "day")
        # One array ('YYYY-MM-DD', '' without) over every document number: a
        # list of str was ~6 MB at 100,000 posts, and date ranges need the array.
        # ASCII bytes (schema.py writes strftime's digits), 1 byte a character: as str, 4 MB per worker at 100k.
        self.days = np.array(days + [""] * (self.size - len(days)), dtype=bytes)[: self.size]
        found = numeric_column(reader, "date")
        self.date_values = found if found is not None else np.zeros(0, dtype=np.uint64)  # in date order
        self.facet_names = tuple(facets) + ("year",)
        # facet -> key -> sorted live docnums (int32); facet -> key -> display form
        self.postings: dict[str, dict[str, np.ndarray]] = {}
        self.display: dict[str, dict[str, str]] = {}
        for name in facets:
            fieldname = facet_field(name)
            table: dict[str, np.ndarray] = {}
            if fieldname in self.searcher.schema:
                for key in reader.lexicon(fieldname):
                    key = key.decode("utf-8") if isinstance(key, bytes) else key
                    docs = read_posting(reader, fieldname, key)[0]
                    docs = docs[self.live[docs]]
                    if len(docs):
                        table[key] = docs
            self.postings[name] = table
            self.display[name] = {key: forms.get(name, {}).get(key, key) for key in table}
        dated = np.flatnonzero(self.live & (self.days != b""))
        year_of = self.days[dated].astype("U4")
        found, first = np.unique(year_of, return_index=True)
        # (in the order the years first appear, as posts are numbered)
        self.postings["year"] = {str(found[i]): dated[year_of == found[i]].astype(np.int32) for i in np.argsort(first, kind="stable")}
        self.display["year"] = {y: y for y in self.postings["year"]}
        # For counting a facet over a match set in one bincount: every
        # (document, value) pair as two parallel arrays, values numbered.
        self.facet_keys: dict[str, list[str]] = {}
        self.pair_docs: dict[str, np.ndarray] = {}
        self.pair_values: dict[str, np.ndarray] = {}
        for name, table in self.postings.items():
            keys = list(table)
            self.facet_keys[name] = keys
            arrays = [table[k] for k in keys]
            self.pair_docs[name] = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32)
            self.pair_values[name] = np.repeat(np.arange(len(keys), dtype=np.int32), [len(a) for a in arrays])
        self.users = 0
        self.retired = False
        self.verified_at: float | None = None  # monotonic time of the last clean checksum verification

    def derived(self, name: str, build, wait: float | None = None):
        """State computed from this generation on first use, then kept with it.

        It can only change when the index does, so it lives (and dies) with
        the generation.  It is built once: a thread that needs it while
        another builds it (a warm-up thread, see IndexHandle) waits for that
        build instead of starting a second -- for at most ``wait`` seconds
        if given, after which None is returned (and counted in
        ``incomplete_answers``).
        """
        value = self._derived.get(name)
        if value is not None:
            return value
        with self._derived_lock:
            building = self._building.setdefault(name, threading.Lock())
        if not building.acquire(timeout=-1 if wait is None else wait):
            with self._derived_lock:  # (searches run side by side: += is not atomic)
                self.incomplete_answers += 1
            return None
        try:
            value = self._derived.get(name)
            if value is None:
                with not_charged():
                    value = self._derived[name] = build(self)
        finally:
            building.release()
        return value

    def close(self) -> None:
        self._closer()
        # Derived state can map this generation's files (the stored
        # vocabulary's arrays): closed, it lets them go too, instead of
        # holding the mapping for as long as anything holds the generation.
        self.__dict__.get("_derived", {}).clear()


@dataclass
class IndexState:
    status: str = "ok"  # "ok" | "degraded"
    problems: list[str] = field(default_factory=list)


class IndexHandle:
    """The live generation of one index directory, shared by a process's threads.

    ``warm(generation)``, if given, runs in a background thread each time a
    generation is opened: per-generation state that takes long to build (the
    suggestion vocabulary of a generation without a stored one: ~27 s at
    100,000 posts; mapping the stored one: a fraction of a second) is then
    ready or under way before the first request that needs it, and requests
    that do not need it are not held up.
    """

    def __init__(self, index_dir: Path, facets: tuple[str, ...], warm=None, max_readers: int | None = None):
        self.index_dir = Path(index_dir)
        self.facets = tuple(facets)
        self.warm = warm
        self.max_readers = max_readers  # searchers a generation opens at most (readers.py; None: one per reading thread)
        self._lock = threading.Lock()
        self._verifying = threading.Lock()  # (damaged(): one checksum verification at a time)
        self._generation: Generation | None = None
        self._target: int | None = None  # what `current` pointed at when we last looked
        self.state = IndexState()
        self.closers: list = []  # what else the app holds open for as long as this handle (the analytics writer)
        self.empty_message: str | None = None  # what a replica says before anything is published

    def _open(self) -> Generation:
        """Open the current generation, falling back to the newest older one that verifies.

        A generation marked damaged (``damaged.json``: a worker's read error
        confirmed by its checksums, or a reindex) is skipped; so is one whose
        files have other sizes than recorded (a truncated segment, which
        would also kill the worker with SIGBUS when its mmap is read).  An
        older generation is only served after every file of it verifies.
        """
        target = store.current_generation(self.index_dir)
        candidates = store.generations(self.index_dir)
        if target is not None:
            candidates = [target] + [n for n in candidates if n != target and n < target]
        problems = []
        for number in candidates:
            path = self.index_dir / store.gen_name(number)
            problem = self._unusable(number, path, fallback=number != target)
            if problem:
                problems.append(problem)
                log.error("index %s: %s", self.index_dir, problem)
                continue
            try:
                generation = Generation(number, path, self.facets, self.max_readers)
            except Exception as exc:  # torn files fail in many ways: TypeError, EOFError, struct.error...
                self._confirm_damage(path, exc)
                problems.append(f"generation {number} cannot be read ({type(exc).__name__}: {exc}); run 'searchsvc reindex' to rebuild it")
                log.error("index %s: %s", self.index_dir, problems[-1])
                continue
            if number != target:
                generation.verified_at = time.monotonic()
            self.state = IndexState("degraded" if problems else "ok", problems)
            return generation
        self.state = IndexState("degraded" if problems else "ok", problems)
        if problems:
            raise NoIndex("no generation of the index can be read; run 'searchsvc reindex --full'")
        raise NoIndex(self.empty_message or f"there is no index in {self.index_dir}; run 'searchsvc reindex' to build it")

    def _unusable(self, number: int, path: Path, fallback: bool) -> str | None:
        """Why generation ``number`` must not be served, or None."""
        if store.is_damaged(path):
            found = (store.read_json(path / store.DAMAGED, {}) or {}).get("problems") or ["damaged"]
            return f"generation {number} is damaged ({'; '.join(found[:3])}); run 'searchsvc reindex' to rebuild it"
        if integrity.recorded(path) is None:
            return None  # built before checksums were recorded: opened as before
        if fallback:
            found = integrity.verify(path)
        elif not integrity.sizes_match(path):
            found = integrity.verify(path) or ["files changed size since it was built"]
        else:
            return None
        if found:
            self._mark(path, found)
            return f"generation {number} is damaged ({'; '.join(found[:3])}); run 'searchsvc reindex' to rebuild it"
        return None

    def _mark(self, path: Path, problems: list[str]) -> None:
        try:
            store.mark_damaged(path, problems, f"searchsvc worker {os.getpid()}")
        except OSError as exc:  # a read-only index: this worker still moves on, the others find it themselves
            log.error("index %s: cannot mark %s damaged: %s", self.index_dir, path.name, exc)

    def _confirm_damage(self, path: Path, exc: BaseException) -> list[str]:
        """After a failure reading ``path``: its checksums decide whether the files are damaged (then marked)."""
        if integrity.recorded(path) is None:
            return []
        problems = integrity.verify(path)
        if problems:
            self._mark(path, problems + [f"reading it raised {type(exc).__name__}: {exc}"])
        return problems

    def damaged(self, generation: Generation, exc: BaseException) -> bool:
        """Whether ``exc``, raised while reading ``generation``, came from damaged files.

        If so the generation is marked damaged for every worker and the next
        ``acquire`` opens the fallback.  A generation verified clean in the
        last minute is not read again: an error that is not damage (a bug)
        must not make every request hash the whole index.  Searches that
        fail at once (they run side by side) wait for one verification.
        """
        with self._verifying:
            if store.is_damaged(generation.path):
                return True
            if generation.verified_at is not None and time.monotonic() - generation.verified_at < REVERIFY_SECONDS:
                return False
            problems = self._confirm_damage(generation.path, exc)
            if problems:
                log.error("index %s: generation %s is damaged: %s", self.index_dir, generation.number, "; ".join(problems[:5]))
                return True
            generation.verified_at = time.monotonic()
            return False

    def verify_all(self) -> list[dict]:
        """Every generation's files against their checksums (``/healthz?deep=1``); a damaged one is marked.

        One entry per generation, newest first: number, whether it is the
        live one, whether every file verified, and what did not.
        """
        target = store.current_generation(self.index_dir)
        checked = []
        for number in store.generations(self.index_dir):
            path = self.index_dir / store.gen_name(number)
            problems = integrity.verify(path)
            if problems and integrity.recorded(path) is not None:
                self._mark(path, problems)
            checked.append({"generation": number, "live": number == target, "verified": not problems, "problems": problems})
        return checked

    def acquire(self) -> Generation:
        target = store.current_generation(self.index_dir)
        with self._lock:
            generation = self._generation
            # One stat a request: another worker may have found this generation damaged.
            if generation is None or target != self._target or store.is_damaged(generation.path):
                self._target = target
                fresh = self._open()
                if generation is not None and fresh.number != generation.number:
                    generation.retired = True
                    if generation.users == 0:
                        generation.close()
                elif generation is not None:
                    fresh.close()
                    fresh = generation
                if fresh is not generation and self.warm is not None:
                    threading.Thread(target=self._warm, args=(fresh,), name=f"warm-gen-{fresh.number}", daemon=True).start()
                self._generation = generation = fresh
            generation.users += 1
            return generation

    def _warm(self, generation: Generation) -> None:
        try:
            self.warm(generation)
        except Exception as exc:  # a request that needs it builds it again and reports the error
            log.warning("index %s: warming generation %s failed: %s", self.index_dir, generation.number, exc)

    def release(self, generation: Generation) -> None:
        with self._lock:
            generation.users -= 1
            if generation.retired and generation.users == 0:
                generation.close()

    def close(self) -> None:
        for closer in self.closers:
            closer()
        with self._lock:
            if self._generation is not None:
                self._generation.close()
                self._generation = None
                self._target = None
