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

import json
import mmap
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..words import WORD
from . import store

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
        text = "\n".join((title, summary, fields.get("body", "") or "")).lower()
        for word in set(WORD.findall(text)):
            self.df[word] += sign
        pairs = set()
        for line in (title, summary):
            words = WORD.findall(line.lower())
            pairs.update(zip(words, words[1:]))
        for pair in pairs:
            self.pairs[pair] += sign
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
    """``old`` with ``tally`` added: the next generation's totals."""
    counts = dict(zip(old.words, np.asarray(old.df).tolist()))
    for word, n in tally.df.items():
        if n:
            counts[word] = counts.get(word, 0) + n
    words = sorted(w for w, n in counts.items() if n > 0)
    number = {w: i for i, w in enumerate(words)}
    df = np.array([counts[w] for w in words], dtype=np.int64)
    codes, pair_counts = _pairs(old, number, tally)
    texts = {i: (t, u, d) for i, t, u, d in zip(old.title_ids, old.title_texts, old.title_urls, old.title_days) if i not in tally.removed}
    texts.update(tally.titles)
    order = sorted(texts)
    order.sort(key=lambda i: texts[i][2], reverse=True)  # stable: ties stay by id
    titles = [texts[i][0] for i in order]
    out = Totals(words, df, codes, pair_counts, order, titles, [texts[i][1] for i in order], [texts[i][2] for i in order])
    out.title_words = _title_words(number, titles)
    return out


def _pairs(old: Totals, number: dict[str, int], tally: Tally) -> tuple[np.ndarray, np.ndarray]:
    # A word that went has number -1; its pairs went with it (their counts sum to 0).
    parts, weights = [], []
    if len(old.pair_codes):
        renumber = np.array([number.get(w, -1) for w in old.words], dtype=np.int64)
        old_codes = np.asarray(old.pair_codes)
        parts.append(renumber[old_codes >> 32] << 32 | (renumber[old_codes & 0xFFFFFFFF] & 0xFFFFFFFF))
        weights.append(np.asarray(old.pair_counts, dtype=np.int64))
    changed = [(number.get(a, -1) << 32 | (number.get(b, -1) & 0xFFFFFFFF), n) for (a, b), n in tally.pairs.items() if n]
    if changed:
        parts.append(np.array([c for c, _ in changed], dtype=np.int64))
        weights.append(np.array([n for _, n in changed], dtype=np.int64))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes = np.concatenate(parts)
    unique, inverse = np.unique(codes, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=np.concatenate(weights), minlength=len(unique)).astype(np.int64)
    keep = (counts > 0) & (unique >= 0)
    return unique[keep], counts[keep]


def _title_words(number: dict[str, int], titles: list[str]) -> np.ndarray:
    codes = [number[w] << 32 | t for t, title in enumerate(titles) for w in set(WORD.findall(title.lower()))]
    return np.unique(np.array(codes, dtype=np.int64))


# --- the file -----------------------------------------------------------


def _strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """One UTF-8 blob and the character offsets of each string's end."""
    text = "".join(values)
    ends = np.cumsum(np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values)))
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
        arrays[name + ".blob"], arrays[name + ".ends"] = _strings(getattr(totals, name))
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


def tally_stored(reader) -> Tally:
    """Every live post of a Whoosh reader (a generation without the file, or a check)."""
    tally = Tally()
    for docnum in reader.all_doc_ids():
        tally.add(reader.stored_fields(docnum))
    return tally


def remove_stored(tally: Tally, gen_dir: Path, ids: set[str]) -> None:
    """Take the posts ``ids`` as ``gen_dir`` stores them out of ``tally`` (a changed or deleted post's old part)."""
    from .whoosh_internals import open_index

    _, searcher = open_index(gen_dir)
    with searcher:
        for post in sorted(ids):
            fields = searcher.document(id=post)
            if fields is not None:
                tally.remove(fields)


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
