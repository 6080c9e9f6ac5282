"""The index's own vocabulary: type-ahead, typo candidates, did-you-mean words.

Every word of the posts as written (lower-cased, not stemmed) with the number
of posts holding it, the titles and the tag values, read once per generation
from the stored fields (about half a second for 1,500 posts) and kept with
the generation, so nothing here touches posting lists at query time.  An
unstemmed index field would give the same vocabulary but doubled the time of
a full reindex (measured: 9.6 -> 22.4 s on the real corpus).

Typo candidates come from rapidfuzz's C Levenshtein over the words that
share the first letter and roughly the length, a bounded list, rather than
Whoosh's FuzzyTerm, which walks the whole term list in Python.
"""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.analysis import STOP_WORDS

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


@dataclass(slots=True)
class Title:
    text: str
    lower: str
    words: tuple[str, ...]
    url: str
    day: str


def _prefix_index(entries: list[tuple[str, ...]]) -> dict[str, np.ndarray]:
    """Every prefix of every word -> the entries (ascending numbers) having such a word."""
    index: dict[str, list[int]] = {}
    for number, words in enumerate(entries):
        prefixes = {w[:i] for w in words for i in range(1, len(w) + 1)}
        for prefix in prefixes:
            index.setdefault(prefix, []).append(number)
    # 4 bytes a number, not a list slot and an int object (~36)
    return {prefix: np.array(numbers, dtype=np.int32) for prefix, numbers in index.items()}


class Pairs:
    """Word -> following word -> posts, as sorted arrays of word numbers.

    A dict of dicts cost ~100 bytes a pair, and summaries hold hundreds of
    thousands of distinct pairs at 100,000 posts.
    """

    def __init__(self, words: list[str], codes: np.ndarray, weights: np.ndarray):
        # codes: first word number << 32 | second word number, one per occurrence
        self.words = words
        self.numbers = {w: i for i, w in enumerate(words)}
        unique, inverse = np.unique(codes, return_inverse=True)
        self.counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(unique)).astype(np.int64)
        self.firsts = (unique >> 32).astype(np.int32)
        self.seconds = (unique & 0xFFFFFFFF).astype(np.int32)

    def following(self, word: str) -> list[tuple[str, int]]:
        number = self.numbers.get(word)
        if number is None:
            return []
        lo, hi = np.searchsorted(self.firsts, [number, number + 1])
        words = self.words
        return [(words[w], n) for w, n in zip(self.seconds[lo:hi].tolist(), self.counts[lo:hi].tolist())]


@dataclass
class Vocabulary:
    df: dict[str, int]
    # sorted words, for prefix ranges
    sorted_words: list[str]
    # (first letter, length) -> words, for typo candidates
    buckets: dict[tuple[str, int], list[str]]
    titles: list[Title]  # newest first
    tags: list[tuple[str, int, tuple[str, ...]]]  # display, count, words; most used first
    # word -> following word -> posts, from titles, summaries and tags, so a
    # completion after other words is a phrase that occurs somewhere.
    next_words: Pairs
    title_prefixes: dict[str, np.ndarray] = field(default_factory=dict)
    tag_prefixes: dict[str, np.ndarray] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict)

    def __post_init__(self):
        self.title_prefixes = _prefix_index([t.words for t in self.titles])
        self.tag_prefixes = _prefix_index([t[2] for t in self.tags])

    def prefix_words(self, prefix: str) -> list[str]:
        lo = bisect.bisect_left(self.sorted_words, prefix)
        hi = bisect.bisect_left(self.sorted_words, prefix + "\U0010ffff")
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
# on without typo corrections or type-ahead (at 100,000 posts the build takes
# half a minute; a web worker blocked that long is killed by gunicorn's
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
    # Its own reader: the generation's searcher reads shared file objects and
    # belongs to whichever request holds gen.lock; a build through it would
    # hold every request of this worker until done.
    _, searcher = open_index(gen.path)
    try:
        return _build_from(gen, searcher.reader())
    finally:
        searcher.close()


def _build_from(gen, reader) -> Vocabulary:
    df: Counter = Counter()
    numbers: dict[str, int] = {}  # words of titles, summaries and tags; one string each
    codes = array("q")  # pairs of word numbers, once per post having them
    titles = []

    def numbered(line: str) -> list[int]:
        return [numbers.setdefault(w, len(numbers)) for w in WORD.findall(line.lower())]

    for docnum, stored in reader.iter_docs():
        if not gen.live[docnum]:
            continue
        title = stored.get("title", "")
        text = "\n".join((title, stored.get("summary", ""), stored.get("body", ""))).lower()
        df.update(set(WORD.findall(text)))
        pairs = set()
        title_numbers = numbered(title)
        for line_numbers in (title_numbers, numbered(stored.get("summary", ""))):
            pairs.update(a << 32 | b for a, b in zip(line_numbers, line_numbers[1:]))
        codes.extend(pairs)
        # the words as numbers for now: their strings are shared once all are known
        titles.append(Title(title, title.lower(), tuple(title_numbers), stored.get("url", ""), stored.get("date_iso", "")[:10]))
    words = list(numbers)
    for entry in titles:
        entry.words = tuple(words[i] for i in entry.words)
    titles.sort(key=lambda t: t.day, reverse=True)
    tags = []
    table = gen.postings.get("tags", {})
    display = gen.display.get("tags", {})
    tag_codes, tag_weights = [], []
    for key, docs in table.items():
        value = display.get(key, key)
        words = tuple(WORD.findall(value.lower()))
        df.update(w for w in words if w not in df)  # a tag's words are vocabulary too
        tags.append((value, len(docs), words))
        tag_numbers = numbered(value)
        for a, b in zip(tag_numbers, tag_numbers[1:]):
            tag_codes.append(a << 32 | b)
            tag_weights.append(len(docs))
    tags.sort(key=lambda t: (-t[1], t[0].lower()))
    buckets: dict[tuple[str, int], list[str]] = {}
    for word, count in df.items():
        if count >= MIN_CORRECTION_DF and word.isalpha():
            buckets.setdefault((word[0], len(word)), []).append(word)
    all_codes = np.concatenate([np.frombuffer(codes, dtype=np.int64), np.array(tag_codes, dtype=np.int64)])
    weights = np.concatenate([np.ones(len(codes)), np.array(tag_weights, dtype=np.float64)])
    next_words = Pairs(list(numbers), all_codes, weights)
    return Vocabulary(dict(df), sorted(df), buckets, titles, tags, next_words)


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
