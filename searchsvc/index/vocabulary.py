"""The posts' vocabulary, computed at reindex time and stored in the generation.

What type-ahead and typo correction need from every post (query/suggest.py)
is additive per post: the set of its words (each word's post count), the
pairs of adjacent words of its title and of its summary (each pair's post
count), and its title, URL and day.  So a reindex tallies only the posts it
adds, changes or deletes (``Tally``) and ``combine``s that with the previous
generation's totals, instead of each web worker reading every stored post
when a generation opens (28 s at 100,000 posts, issue 15).

The totals are one file of the generation (``FILE``): a JSON header naming
arrays, then the arrays, so that a worker maps it rather than parses it.
Word numbers are positions in the sorted word list, and titles are kept
newest first, ties by post id: the same content gives the same file
whether it was built in full or by any sequence of incremental runs.
"""

from __future__ import annotations

import bisect
import json
import mmap
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..words import WORD
from . import store
from .whoosh_internals import lower_words

FILE = store.VOCABULARY_FILE
MAGIC = b"searchsvc-vocabulary 1\n"
ALIGN = 16


class Tally:
    """What some posts add to (or, removed, take from) the totals; additive."""

    def __init__(self):
        self.df: Counter = Counter()
        self.pairs: Counter = Counter()  # (word, next word) -> posts
        self.titles: dict[str, tuple[str, str, str]] = {}  # id -> (title, url, day) of posts added
        self.removed: set[str] = set()  # ids whose earlier title goes

    def add(self, fields: dict, sign: int = 1) -> None:
        """One post, as its stored fields (or schema.to_fields' record); ``sign=-1`` takes it away."""
        title = fields.get("title", "") or ""
        summary = fields.get("summary", "") or ""
        lines = [lower_words(title), lower_words(summary)]
        pairs = set()
        for words in lines:
            pairs.update(zip(words, words[1:]))
        # Counter.update/subtract of an iterable count in C (a loop of += here was most of a tally)
        count = self.df.update if sign > 0 else self.df.subtract
        count(set(lines[0]).union(lines[1], lower_words(fields.get("body", "") or "")))
        (self.pairs.update if sign > 0 else self.pairs.subtract)(pairs)
        post = fields.get("id", "")
        if sign > 0:
            self.titles[post] = (title, fields.get("url", "") or "", (fields.get("date_iso", "") or "")[:10])
        else:
            self.titles.pop(post, None)
            self.removed.add(post)

    def remove(self, fields: dict) -> None:
        self.add(fields, -1)

    def update(self, other: "Tally") -> None:
        """Add another tally made of other posts (a segment worker's)."""
        self.df.update(other.df)
        self.pairs.update(other.pairs)
        self.removed |= other.removed
        self.titles.update(other.titles)


@dataclass
class Totals:
    """Every live post's part summed: what the file holds."""

    words: list[str] = field(default_factory=list)  # sorted
    df: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # first << 32 | second, sorted
    pair_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # newest first, ties by id
    title_ids: list[str] = field(default_factory=list)
    title_texts: list[str] = field(default_factory=list)
    title_urls: list[str] = field(default_factory=list)
    title_days: list[str] = field(default_factory=list)
    # word number << 32 | title number, sorted: which titles have a word
    title_words: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def combine(old: Totals, tally: Tally) -> Totals:
    """``old`` with ``tally`` added: the next generation's totals.

    The old totals are renumbered with array operations, so an incremental
    run of one post costs a few list copies, not a rebuild (100,000 posts).
    """
    old_words = list(old.words)
    delta = {w: n for w, n in tally.df.items() if n}
    fresh = sorted(w for w in delta if not _has(old_words, w))
    merged = sorted(old_words + fresh) if fresh else old_words  # two sorted runs: one merge
    # old word number -> merged number: plus the fresh words sorting before it
    inserted = np.array([bisect.bisect_left(old_words, w) for w in fresh], dtype=np.int64)
    old_to_merged = np.arange(len(old_words), dtype=np.int64) + np.searchsorted(inserted, np.arange(len(old_words)), side="right")
    number = _numbering(merged, len(delta) + len(tally.pairs))
    df = np.zeros(len(merged), dtype=np.int64)
    df[old_to_merged] = np.asarray(old.df, dtype=np.int64)
    if delta:
        np.add.at(df, np.array([number(w) for w in delta], dtype=np.int64), np.array(list(delta.values()), dtype=np.int64))
    keep = df > 0
    final = np.cumsum(keep) - 1
    final[~keep] = -1
    words = merged if keep.all() else [w for w, k in zip(merged, keep.tolist()) if k]
    renumber = final[old_to_merged]  # old number -> new number (-1: gone)
    codes, pair_counts = _pairs(old, renumber, tally, lambda w: final[number(w)])
    out = Totals(words, df[keep], codes, pair_counts)
    _titles(out, old, renumber, tally, lambda w: int(final[number(w)]))
    return out


def _has(words: list[str], word: str) -> bool:
    i = bisect.bisect_left(words, word)
    return i < len(words) and words[i] == word


def _numbering(words: list[str], wanted: int):
    """word -> its place in ``words``: a dict when many are asked (a full build), else bisect."""
    if wanted * 8 > len(words):
        return {w: i for i, w in enumerate(words)}.__getitem__
    return lambda w: bisect.bisect_left(words, w)


def _merge_sorted(codes: np.ndarray, counts: np.ndarray, more: np.ndarray, more_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique ``codes`` plus some more (summed where equal), still sorted; an np.unique of the whole was most of a one-post run."""
    if len(more) == 0:
        return codes, counts
    more, inverse = np.unique(more, return_inverse=True)
    more_counts = np.bincount(inverse.ravel(), weights=more_counts, minlength=len(more)).astype(np.int64)
    at = np.searchsorted(codes, more)
    found = at < len(codes)
    found[found] = codes[at[found]] == more[found]
    counts = counts.copy()
    np.add.at(counts, at[found], more_counts[found])
    return np.insert(codes, at[~found], more[~found]), np.insert(counts, at[~found], more_counts[~found])


def _pairs(old: Totals, renumber: np.ndarray, tally: Tally, number) -> tuple[np.ndarray, np.ndarray]:
    # A pair whose word went had all its posts taken away: it is dropped on
    # both sides.  Word numbers only grow, so renumbered codes stay sorted.
    old_codes = np.asarray(old.pair_codes)
    first, second = renumber[old_codes >> 32], renumber[old_codes & 0xFFFFFFFF]
    alive = (first >= 0) & (second >= 0)
    codes, counts = first[alive] << 32 | second[alive], np.asarray(old.pair_counts, dtype=np.int64)[alive]
    changed = [(pair, n) for pair, n in tally.pairs.items() if n]
    flat = np.array([number(w) for pair, _ in changed for w in pair], dtype=np.int64).reshape(-1, 2)
    live = (flat[:, 0] >= 0) & (flat[:, 1] >= 0)
    more = flat[live, 0] << 32 | flat[live, 1]
    codes, counts = _merge_sorted(codes, counts, more, np.array([n for _, n in changed], dtype=np.float64)[live])
    keep = counts > 0
    return codes[keep], counts[keep]


def _newest_first(days: list[str], ids: list[str], kept: int) -> list[int]:
    """Entries (the first ``kept`` already in order) by day, newest first, then by id."""
    if (len(days) - kept) * 32 > kept:
        order = sorted(range(len(ids)), key=ids.__getitem__)
        order.sort(key=days.__getitem__, reverse=True)  # stable: ties stay by id
        return order
    order = list(range(kept))
    for entry in sorted(range(kept, len(ids)), key=ids.__getitem__):
        day, post = days[entry], ids[entry]
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            other = order[mid]
            if days[other] > day or (days[other] == day and ids[other] < post):
                lo = mid + 1
            else:
                hi = mid
        order.insert(lo, entry)
    return order


def _titles(out: Totals, old: Totals, renumber: np.ndarray, tally: Tally, number) -> None:
    """The titles newest first (ties by id), and which titles have which word, into ``out``."""
    kept = [i for i, post in enumerate(old.title_ids) if post not in tally.removed and post not in tally.titles]
    added = sorted(tally.titles)
    ids = [old.title_ids[i] for i in kept] + added
    texts = [old.title_texts[i] for i in kept] + [tally.titles[i][0] for i in added]
    urls = [old.title_urls[i] for i in kept] + [tally.titles[i][1] for i in added]
    days = [old.title_days[i] for i in kept] + [tally.titles[i][2] for i in added]
    order = _newest_first(days, ids, len(kept))
    out.title_ids, out.title_texts = [ids[i] for i in order], [texts[i] for i in order]
    out.title_urls, out.title_days = [urls[i] for i in order], [days[i] for i in order]
    place = np.empty(len(order), dtype=np.int64)
    place[np.array(order, dtype=np.int64)] = np.arange(len(order))  # entry -> its place in the new order
    old_codes = np.asarray(old.title_words)
    old_place = np.full(len(old.title_ids), -1, dtype=np.int64)
    old_place[np.array(kept, dtype=np.int64)] = place[: len(kept)]
    # kept titles keep their relative order and words their order: still sorted
    titles = old_place[old_codes & 0xFFFFFFFF]
    alive = titles >= 0
    codes = renumber[old_codes >> 32][alive] << 32 | titles[alive]
    new_codes = [
        number(w) << 32 | int(place[len(kept) + j]) for j, post in enumerate(added) for w in set(WORD.findall(tally.titles[post][0].lower()))
    ]
    more = np.array(new_codes, dtype=np.int64)
    out.title_words, _ = _merge_sorted(codes, np.zeros(len(codes), dtype=np.int64), more, np.zeros(len(more)))


# --- the file -----------------------------------------------------------


def encode_strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """One UTF-8 blob and the character offsets of each string's end."""
    text = "".join(values)
    ends = np.cumsum(np.fromiter(map(len, values), dtype=np.int64, count=len(values)))  # (map: a generator here was a third of a write)
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8), ends


def _unstrings(blob: np.ndarray, ends: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8")
    starts = [0] + ends[:-1].tolist()
    return [text[a:b] for a, b in zip(starts, ends.tolist())]


STRING_LISTS = ("words", "title_ids", "title_texts", "title_urls", "title_days")
ARRAYS = ("df", "pair_codes", "pair_counts", "title_words")


def write(gen_dir: Path, totals: Totals) -> Path:
    """The totals as ``gen_dir/FILE`` (written whole, then renamed)."""
    arrays: dict[str, np.ndarray] = {name: np.ascontiguousarray(getattr(totals, name), dtype=np.int64) for name in ARRAYS}
    for name in STRING_LISTS:
        arrays[name + ".blob"], arrays[name + ".ends"] = encode_strings(getattr(totals, name))
    header, offset = {}, 0
    for name, array in arrays.items():
        header[name] = {"dtype": array.dtype.str, "offset": offset, "length": len(array)}
        offset += -(-array.nbytes // ALIGN) * ALIGN
    head = json.dumps(header).encode("utf-8")
    start = -(-(len(MAGIC) + 8 + len(head)) // ALIGN) * ALIGN
    path = Path(gen_dir) / FILE
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(MAGIC + len(head).to_bytes(8, "little") + head)
        out.write(b"\0" * (start - out.tell()))
        for array in arrays.values():
            out.write(array.tobytes())
            out.write(b"\0" * (-array.nbytes % ALIGN))
    os.replace(tmp, path)
    return path


def read_arrays(gen_dir: Path) -> dict[str, np.ndarray] | None:
    """The file's arrays, mapped read-only (shared by every worker); None when the generation has none."""
    try:
        with open(Path(gen_dir) / FILE, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                raise ValueError(f"{FILE} is empty")
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        return None
    if data[: len(MAGIC)] != MAGIC:
        raise ValueError(f"{FILE} is not a vocabulary file")
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "little")
    header = json.loads(data[len(MAGIC) + 8 : len(MAGIC) + 8 + size])
    start = -(-(len(MAGIC) + 8 + size) // ALIGN) * ALIGN
    return {
        name: np.frombuffer(data, dtype=np.dtype(info["dtype"]), count=info["length"], offset=start + info["offset"])
        for name, info in header.items()
    }


def read(gen_dir: Path) -> Totals | None:
    arrays = read_arrays(gen_dir)
    if arrays is None:
        return None
    totals = Totals(**{name: arrays[name] for name in ARRAYS})
    for name in STRING_LISTS:
        setattr(totals, name, unstring(arrays, name))
    return totals


def unstring(arrays: dict[str, np.ndarray], name: str) -> list[str]:
    return _unstrings(arrays[name + ".blob"], arrays[name + ".ends"])


class Strings(Sequence):
    """A stored string list read in place: a string is decoded when asked for.

    The blob stays in the mapped file, in the page cache that every worker
    shares; a list of the titles, URLs and days was ~40 MB of private memory
    per worker at 100,000 posts.  The file keeps character offsets; the byte
    offsets come from the positions of the UTF-8 continuation bytes alone
    (none for ASCII), so nothing the size of the blob is allocated.
    """

    def __init__(self, blob: np.ndarray, ends: np.ndarray):
        self._data = memoryview(np.ascontiguousarray(blob, dtype=np.uint8))
        ends = np.asarray(ends, dtype=np.int64)
        follow = np.flatnonzero((np.asarray(blob) & 0xC0) == 0x80)
        if len(follow):
            # the j-th continuation byte belongs to character (position - j - 1)
            owners = follow - np.arange(len(follow)) - 1
            ends = ends + np.searchsorted(owners, ends, side="left")
        self._keep = ends
        self._ends = memoryview(np.ascontiguousarray(ends))  # indexing gives Python ints (numpy scalars are slower)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, number):
        if isinstance(number, slice):
            return [self[i] for i in range(*number.indices(len(self)))]
        if number < 0:
            number += len(self._ends)
        if not 0 <= number < len(self._ends):
            raise IndexError(number)
        return str(self._data[self._ends[number - 1] if number else 0 : self._ends[number]], "utf-8")


def strings(arrays: dict[str, np.ndarray], name: str) -> Strings:
    return Strings(arrays[name + ".blob"], arrays[name + ".ends"])


def tally_stored(reader) -> Tally:
    """Every live post of a Whoosh reader (a generation without the file, or a check)."""
    tally = Tally()
    for docnum in reader.all_doc_ids():
        tally.add(reader.stored_fields(docnum))
    return tally


def remove_stored(tally: Tally, gen_dir: Path, ids: set[str]) -> list[dict]:
    """Take the posts ``ids`` as ``gen_dir`` stores them out of ``tally`` (a changed or deleted post's old part).

    Returns their stored fields (the facet counts take their values away too).
    """
    from .whoosh_internals import open_index

    removed = []
    _, searcher = open_index(gen_dir)
    with searcher:
        for post in sorted(ids):
            fields = searcher.document(id=post)
            if fields is not None:
                tally.remove(fields)
                removed.append(fields)
    return removed


def write_next(building: Path, live_dir: Path | None, tally: Tally) -> None:
    """``building``'s file: ``live_dir``'s totals (None: a full build) plus ``tally``.

    A live generation without the file (an older searchsvc) gives no totals
    to start from: then every post of the new generation is read once.
    """
    previous = read(live_dir) if live_dir is not None else None
    if previous is None and live_dir is not None:
        from .whoosh_internals import open_index

        _, searcher = open_index(building)
        with searcher:
            tally = tally_stored(searcher.reader())
    write(building, combine(previous or Totals(), tally))
