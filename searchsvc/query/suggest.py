"""The index's own vocabulary: type-ahead, typo candidates, did-you-mean words.

Every word of the posts as written (lower-cased, not stemmed) with the number
of posts holding it, the word pairs of titles and summaries, the titles and
the tag values, kept with the generation, so nothing here touches posting
lists at query time.  The posts' part is computed at reindex time and stored
in the generation (index/vocabulary.py); a worker maps that file and adds
the tags from the generation's facet table.  A generation built before the
file existed is read from its stored fields instead (half a minute at
100,000 posts).  An unstemmed index field would give the same vocabulary but
doubled the time of a full reindex (measured: 9.6 -> 22.4 s on the real corpus).

Typo candidates come from rapidfuzz's C Levenshtein over the words that
share the first letter and roughly the length, a bounded list, rather than
Whoosh's FuzzyTerm, which walks the whole term list in Python.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.analysis import STOP_WORDS

from ..index import vocabulary as stored
from ..index.whoosh_internals import open_index
from ..words import WORD
from .links import safe_link
from .urls import with_params


MAX_SUGGESTIONS = 8
# Which words a typo may be corrected to: words in at least this many posts.
# Candidates are ranked by edits, then by how many posts use them, so a rare
# misspelling in the posts loses to the common word beside it.
MIN_CORRECTION_DF = 1


def max_typo_distance(word: str) -> int:
    """Edits tolerated in a word: none under 4 letters, 1 up to 7, 2 beyond."""
    n = len(word)
    if n < 4:
        return 0
    return 1 if n <= 7 else 2


class Title:
    """A stored title; its URL and day are read from the stored lists only when asked for
    (type-ahead looks at many titles and shows a few)."""

    __slots__ = ("text", "lower", "words", "_titles", "_number")

    def __init__(self, text: str, lower: str, words: tuple[str, ...], titles: "Titles", number: int):
        self.text, self.lower, self.words, self._titles, self._number = text, lower, words, titles, number

    @property
    def url(self) -> str:
        return self._titles.urls[self._number]

    @property
    def day(self) -> str:
        return self._titles.days[self._number]


def _prefix_index(entries: list[tuple[str, ...]]) -> dict[str, np.ndarray]:
    """Every prefix of every word -> the entries (ascending numbers) having such a word."""
    index: dict[str, list[int]] = {}
    for number, words in enumerate(entries):
        prefixes = {w[:i] for w in words for i in range(1, len(w) + 1)}
        for prefix in prefixes:
            index.setdefault(prefix, []).append(number)
    # 4 bytes a number, not a list slot and an int object (~36)
    return {prefix: np.array(numbers, dtype=np.int32) for prefix, numbers in index.items()}


def _has(words: list[str], word: str) -> bool:
    i = bisect.bisect_left(words, word)
    return i < len(words) and words[i] == word


def _prefix_range(sorted_words: list[str], prefix: str) -> tuple[int, int]:
    return bisect.bisect_left(sorted_words, prefix), bisect.bisect_left(sorted_words, prefix + "\U0010ffff")


class TitlePrefixes:
    """Prefix -> the titles (ascending numbers) having a word with it, from the stored (word, title) codes.

    Answers what ``_prefix_index`` over the titles would, without building
    its millions of entries when a generation opens.
    """

    def __init__(self, sorted_words: list[str], codes: np.ndarray):
        self.sorted_words = sorted_words
        self.codes = codes  # word number << 32 | title number, sorted

    def get(self, prefix: str, default=None):
        lo, hi = _prefix_range(self.sorted_words, prefix)
        a, b = np.searchsorted(self.codes, [lo << 32, hi << 32])
        if a == b:
            return default
        return np.unique((self.codes[a:b] & 0xFFFFFFFF).astype(np.int32))


class Titles(Sequence):
    """The stored titles, newest first; a ``Title`` is made when one is asked for."""

    def __init__(self, texts: list[str], urls: list[str], days: list[str]):
        self.texts, self.urls, self.days = texts, urls, days

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, number):
        if isinstance(number, slice):
            return [self[i] for i in range(*number.indices(len(self)))]
        text = self.texts[number]
        lower = text.lower()
        return Title(text, lower, tuple(WORD.findall(lower)), self, number)


class WordCounts(Mapping):
    """word -> posts, over the sorted word list and its counts (no dict of every word at load)."""

    def __init__(self, words: list[str], counts: np.ndarray):
        self.words, self.counts = words, counts

    def __getitem__(self, word: str) -> int:
        i = bisect.bisect_left(self.words, word)
        if i < len(self.words) and self.words[i] == word:
            return int(self.counts[i])
        raise KeyError(word)

    def __len__(self) -> int:
        return len(self.words)

    def __iter__(self):
        return iter(self.words)


class Buckets:
    """(first letter, length) -> the words eligible as corrections; each list made when first asked for."""

    def __init__(self, words: list[str], counts: np.ndarray):
        self.words, self.counts = words, counts
        self.lengths = np.fromiter(map(len, words), dtype=np.int32, count=len(words))
        self._made: dict[tuple[str, int], list[str]] = {}

    def get(self, key: tuple[str, int], default=()):
        found = self._made.get(key)
        if found is None:
            letter, length = key
            lo, hi = _prefix_range(self.words, letter)
            where = lo + np.flatnonzero((self.lengths[lo:hi] == length) & (self.counts[lo:hi] >= MIN_CORRECTION_DF))
            found = [w for w in map(self.words.__getitem__, where.tolist()) if w.isalpha()]
            if len(self._made) > 4096:
                self._made.clear()
            self._made[key] = found
        return found or default


class Pairs:
    """Word -> following word -> posts, as sorted arrays of word numbers (numbers: places in ``words``, sorted).

    A dict of dicts cost ~100 bytes a pair, and summaries hold hundreds of
    thousands of distinct pairs at 100,000 posts.  ``extra``: the tags'
    pairs (word, word) -> posts, few, added to the stored ones.
    """

    def __init__(self, words: list[str], codes: np.ndarray, counts: np.ndarray, extra: dict | None = None):
        self.words = words
        # word << 32 | next word, sorted: a word's pairs are one range of it (the
        # stored, mapped array; two int32 copies of its halves were ~11 MB per worker at 100k posts)
        self.codes = codes
        self.counts = counts
        self.extra: dict[str, dict[str, int]] = {}
        for (a, b), n in (extra or {}).items():
            self.extra.setdefault(a, {})[b] = self.extra.get(a, {}).get(b, 0) + n

    def following(self, word: str) -> list[tuple[str, int]]:
        """(next word, posts), in the order of the words."""
        words = self.words
        number = bisect.bisect_left(words, word)
        found: dict[str, int] = {}
        if number < len(words) and words[number] == word:
            lo, hi = np.searchsorted(self.codes, [number << 32, (number + 1) << 32])
            found = {words[w]: n for w, n in zip((self.codes[lo:hi] & 0xFFFFFFFF).tolist(), self.counts[lo:hi].tolist())}
        extra = self.extra.get(word)
        if extra:
            for w, n in extra.items():
                found[w] = found.get(w, 0) + n
            return sorted(found.items())
        return list(found.items())


@dataclass
class Vocabulary:
    df: Mapping[str, int]
    # sorted words, for prefix ranges
    sorted_words: list[str]
    # (first letter, length) -> words, for typo candidates
    buckets: Buckets
    titles: Sequence[Title]  # newest first, ties by post id
    tags: list[tuple[str, int, tuple[str, ...]]]  # display, count, words; most used first
    # word -> following word -> posts, from titles, summaries and tags, so a
    # completion after other words is a phrase that occurs somewhere.
    next_words: Pairs
    title_prefixes: TitlePrefixes
    tag_prefixes: dict[str, np.ndarray] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict)

    def __post_init__(self):
        self.tag_prefixes = _prefix_index([t[2] for t in self.tags])

    def prefix_words(self, prefix: str) -> list[str]:
        lo, hi = _prefix_range(self.sorted_words, prefix)
        return self.sorted_words[lo:hi]

    def corrections(self, word: str, limit: int = 3) -> list[tuple[str, int, int]]:
        """Vocabulary words within the typo distance of ``word``: (word, edits, posts).

        Closest first, then the most used.  Words must share the first letter
        (the letter people rarely get wrong), which bounds the candidate list.
        """
        word = word.lower()
        maxdist = max_typo_distance(word)
        if maxdist == 0 or not word.isalpha():
            return []
        key = (word, limit)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        candidates: list[str] = []
        for length in range(len(word) - maxdist, len(word) + maxdist + 1):
            candidates.extend(self.buckets.get((word[0], length), ()))
        found = []
        for candidate, distance, _ in process.extract(
            word, candidates, scorer=DamerauLevenshtein.distance, score_cutoff=maxdist, limit=None
        ):
            if candidate != word and distance <= maxdist:
                found.append((candidate, int(distance), self.df[candidate]))
        found.sort(key=lambda c: (c[1], -c[2], c[0]))
        found = found[:limit]
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = found
        return found


# A request waits this long for a vocabulary under construction, then goes
# on without typo corrections or type-ahead (at 100,000 posts, a generation
# without the stored file takes half a minute to read; a web worker blocked that long is killed by gunicorn's
# 30 s timeout, and its successor starts the build over).
REQUEST_WAIT_SECONDS = 5.0


def vocabulary(gen, wait: float | None = None) -> Vocabulary | None:
    """The vocabulary of a generation, built once (see warm) and kept with it.

    With ``wait``, None if another thread is still building it after that
    many seconds.
    """
    return gen.derived("vocabulary", _build, wait)


def warm(gen) -> None:
    """Build the vocabulary of a newly opened generation (IndexHandle runs this in a thread)."""
    vocabulary(gen)


def _build(gen) -> Vocabulary:
    """The generation's stored vocabulary (index/vocabulary.py), or one computed from its stored posts if it has none."""
    arrays = stored.read_arrays(gen.path)
    if arrays is not None:
        return _assemble(gen, _stored_totals(arrays))
    # Its own reader: this runs in the warm-up thread, which leases none of
    # the generation's searchers (each is one request's at a time, readers.py),
    # and leasing one would keep it from the requests until done.
    _, searcher = open_index(gen.path)
    try:
        return _build_from(gen, searcher.reader())
    finally:
        searcher.close()


def _stored_totals(arrays: dict[str, np.ndarray]) -> stored.Totals:
    totals = stored.Totals(**{name: arrays[name] for name in stored.ARRAYS})
    totals.words = stored.unstring(arrays, "words")  # bisected and merged: a list
    for name in ("title_texts", "title_urls", "title_days"):
        setattr(totals, name, stored.strings(arrays, name))
    return totals


def _build_from(gen, reader) -> Vocabulary:
    """A generation built before its vocabulary was stored: every live post read once."""
    return _assemble(gen, stored.combine(stored.Totals(), stored.tally_stored(reader)))


def _assemble(gen, totals: stored.Totals) -> Vocabulary:
    """The posts' totals and the generation's tag table -> the Vocabulary."""
    words = totals.words
    counts = np.asarray(totals.df)
    tags, tag_pairs, tag_only = [], Counter(), set()
    table = gen.postings.get("tags", {})
    display = gen.display.get("tags", {})
    for key, docs in table.items():
        value = display.get(key, key)
        tag_words = tuple(WORD.findall(value.lower()))
        tag_only.update(tag_words)  # a tag's words are vocabulary too (1 post if no post has them)
        tags.append((value, len(docs), tag_words))
        for pair in zip(tag_words, tag_words[1:]):
            tag_pairs[pair] += len(docs)
    tags.sort(key=lambda t: (-t[1], t[0].lower()))
    extra = sorted(w for w in tag_only if not _has(words, w))
    sorted_words = words
    if extra:
        # The tags' own words join the word list and counts (small); the
        # stored pair and title codes keep the stored numbering: renumbered,
        # they were private copies, ~16 MB per worker at 100,000 posts.
        sorted_words = sorted(words + extra)  # two sorted runs: one merge
        inserted = np.array([bisect.bisect_left(words, w) for w in extra], dtype=np.int64)
        where = np.arange(len(words), dtype=np.int64) + np.searchsorted(inserted, np.arange(len(words)), side="right")
        merged = np.ones(len(sorted_words), dtype=np.int64)
        merged[where] = counts
        counts = merged
    df = WordCounts(sorted_words, counts)
    buckets = Buckets(sorted_words, counts)
    return Vocabulary(
        df,
        sorted_words,
        buckets,
        Titles(totals.title_texts, totals.title_urls, totals.title_days),
        tags,
        # (the tags' pairs are ``extra``, by word; no stored pair or title has a tag-only word)
        Pairs(words, np.asarray(totals.pair_codes), np.asarray(totals.pair_counts), tag_pairs),
        TitlePrefixes(words, np.asarray(totals.title_words)),
    )


# --- type-ahead ---------------------------------------------------------


def typeahead(gen, q: str, page_path: str = "/search", limit: int = MAX_SUGGESTIONS) -> list[dict]:
    """Completions of what a visitor has typed so far, most useful first.

    The last word is taken as unfinished.  Word completions come first (they
    finish the query), then tag values (a filter), then post titles (a direct
    hit); a kind with fewer matches leaves its places to the others.
    """
    words = WORD.findall(q.lower())
    if not words:
        return []
    vocab = vocabulary(gen, wait=REQUEST_WAIT_SECONDS)
    if vocab is None:
        return []  # still being built: no suggestions rather than a stalled search box
    *done, partial = words
    if q[-1:].isspace():  # "customer " : the last word is finished
        done, partial = words, ""
    lead = " ".join(done)

    terms: list[dict] = []
    if partial:
        if done:
            following = vocab.next_words.following(done[-1])
            pool = [(n, w) for w, n in following if w.startswith(partial)]
        else:
            pool = [(vocab.df[w], w) for w in vocab.prefix_words(partial) if w not in STOP_WORDS]
        for _, word in heapq.nlargest(limit, pool, key=lambda nw: (nw[0], -len(nw[1]))):
            text = f"{lead} {word}".strip()
            terms.append({"text": text, "kind": "term", "url": with_params(page_path, [("q", text)])})

    def candidates(prefixes: dict[str, list[int]]) -> list[int]:
        """Entries having every finished word and a word starting with the unfinished one."""
        keys = done + ([partial] if partial else [])
        lists = [prefixes.get(k) for k in keys]
        if not lists or any(found is None for found in lists):
            return []
        lists.sort(key=len)
        found = lists[0]
        for other in lists[1:]:
            found = np.intersect1d(found, other, assume_unique=True)
        return found.tolist()

    tags = []
    for number in candidates(vocab.tag_prefixes):
        value, _count, tag_words = vocab.tags[number]
        if all(w in tag_words for w in done):
            tags.append({"text": value, "kind": "tag", "url": with_params(page_path, [("tags", value)])})
            if len(tags) >= limit:
                break

    typed = " ".join(words)
    starts, inside = [], []
    for number in candidates(vocab.title_prefixes):
        title = vocab.titles[number]
        if all(w in title.words for w in done):
            (starts if " ".join(title.words).startswith(typed) else inside).append(title)
            if len(starts) >= limit:
                break
    titles = [{"text": t.text, "kind": "title", "url": safe_link(t.url)} for t in (starts + inside)[:limit] if safe_link(t.url)]

    quotas = {"term": 3, "tag": 2, "title": 3}
    groups = {"term": terms, "tag": tags, "title": titles}
    chosen = {kind: group[: quotas[kind]] for kind, group in groups.items()}
    spare = limit - sum(len(c) for c in chosen.values())
    for kind in ("title", "term", "tag"):
        if spare <= 0:
            break
        extra = groups[kind][len(chosen[kind]) : len(chosen[kind]) + spare]
        chosen[kind] += extra
        spare -= len(extra)
    out = chosen["term"] + chosen["tag"] + chosen["title"]
    seen, unique = set(), []
    for item in out:
        key = (item["kind"], item["text"].lower())
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique[:limit]
