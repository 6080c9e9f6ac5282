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
import sys
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from operator import itemgetter
from pathlib import Path

from ..words import WORD
from . import lanes, store
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


def _ints(values=()) -> array:
    return array("q", values)


@dataclass
class Totals:
    """Every live post's part summed: what the file holds.

    The number fields are ``array("q")`` here (NumPy arrays in a worker,
    which maps the file): a reindex of one post combines and writes them
    without importing NumPy (~0.1 s of its start, issue 15).
    """

    words: list[str] = field(default_factory=list)  # sorted
    df: Sequence[int] = field(default_factory=_ints)
    pair_codes: Sequence[int] = field(default_factory=_ints)  # first << 32 | second, sorted
    pair_counts: Sequence[int] = field(default_factory=_ints)
    # newest first, ties by id
    title_ids: list[str] = field(default_factory=list)
    title_texts: list[str] = field(default_factory=list)
    title_urls: list[str] = field(default_factory=list)
    title_days: list[str] = field(default_factory=list)
    # word number << 32 | title number, sorted: which titles have a word
    title_words: Sequence[int] = field(default_factory=_ints)


LOW = 0xFFFFFFFF


def combine(old: Totals, tally: Tally) -> Totals:
    """``old`` with ``tally`` added: the next generation's totals.

    Word and title numbers are remapped only when they move (a new or a
    gone word, a title inserted before others), so a run of one post costs
    a few list copies and at most one pass over the stored numbers.
    """
    old_words = list(old.words)
    delta = {w: n for w, n in tally.df.items() if n}
    if old_words:
        fresh = sorted(w for w in delta if not _has(old_words, w))
        places = [bisect.bisect_left(old_words, w) for w in fresh]  # the old places the fresh words go before
    else:  # a full build: every word is fresh, before old place 0
        fresh = sorted(delta)
        places = [0] * len(fresh)
    merged = sorted(old_words + fresh) if fresh else old_words  # two sorted runs: one merge
    old_to_merged = _shifted(len(old_words), places) if fresh else None
    number = _numbering(merged, len(delta) + len(tally.pairs))
    if old_to_merged is None:
        df = list(old.df)
    else:
        df = [0] * len(merged)
        for at, count in zip(old_to_merged, old.df):
            df[at] = count
    for word, n in delta.items():
        df[number(word)] += n
    final = None  # merged number -> new number (-1: gone); None: the same
    if df and min(df) <= 0:
        final, next_number = [], 0
        for count in df:
            final.append(next_number if count > 0 else -1)
            next_number += count > 0
        words, df = [w for w, count in zip(merged, df) if count > 0], [count for count in df if count > 0]
    else:
        words = merged
    if old_to_merged is None:
        renumber = final  # old number -> new number
    else:
        renumber = old_to_merged if final is None else [final[at] for at in old_to_merged]
    new_number = number if final is None else (lambda w: final[number(w)])
    # no word gone: the renumbering is the step function of the fresh words' places (lanes.py)
    steps = None if final is not None else places
    codes, pair_counts = _pairs(old, renumber, steps, tally, new_number)
    out = Totals(words, _ints(df), codes, pair_counts)
    going = tally.removed | tally.titles.keys()  # (a changed post's title is replaced)
    if steps is not None and len(tally.titles) <= lanes.MOST_STEPS and not any(map(going.__contains__, old.title_ids)):
        _titles_inserted(out, old, steps, tally, new_number)
    else:
        _titles(out, old, renumber, tally, new_number)
    return out


def _has(words: list[str], word: str) -> bool:
    i = bisect.bisect_left(words, word)
    return i < len(words) and words[i] == word


def _shifted(count: int, inserted: list[int]) -> list[int]:
    """Old number -> merged number, ``inserted`` (sorted) the old places the fresh words go before."""
    if not count:
        return []
    out, start = [], 0
    for shift, at in enumerate(inserted):
        out.extend(range(start + shift, at + shift))
        start = max(start, at)
    out.extend(range(start + len(inserted), count + len(inserted)))
    return out


def _numbering(words: list[str], wanted: int):
    """word -> its place in ``words``: a dict when many are asked (a full build), else bisect."""
    if wanted * 8 > len(words):
        return {w: i for i, w in enumerate(words)}.__getitem__
    return lambda w: bisect.bisect_left(words, w)


def _merge_sorted(codes: Sequence[int], counts: Sequence[int] | None, more: dict[int, int]) -> tuple[array, array | None]:
    """Sorted unique ``codes`` plus ``more`` (code -> count, summed where equal), still sorted; without counts, a union."""
    if not len(codes):  # (a full build)
        keys = sorted(more)
        return _ints(keys), None if counts is None else _ints(map(more.__getitem__, keys))
    if len(more) * 16 < len(codes):  # a few: inserted in place (a memmove each)
        codes = _ints(codes)
        counts = None if counts is None else _ints(counts)
        for code in sorted(more):
            at = bisect.bisect_left(codes, code)
            if at < len(codes) and codes[at] == code:
                if counts is not None:
                    counts[at] += more[code]
            else:
                codes.insert(at, code)
                if counts is not None:
                    counts.insert(at, more[code])
        return codes, counts
    total = dict.fromkeys(codes, 0) if counts is None else dict(zip(codes, counts))
    for code, n in more.items():
        total[code] = total.get(code, 0) + n
    keys = sorted(total)
    return _ints(keys), None if counts is None else _ints(map(total.__getitem__, keys))


def _pairs(old: Totals, renumber: list[int] | None, steps: list[int] | None, tally: Tally, number) -> tuple[array, array]:
    # A pair whose word went had all its posts taken away: it is dropped on
    # both sides.  Word numbers only grow, so renumbered codes stay sorted.
    codes, counts = old.pair_codes, old.pair_counts
    if steps is not None and len(codes):
        codes = lanes.remap(_ints(codes), steps, steps)  # only new words: every pair stays
    elif renumber is not None:
        moved = [(renumber[c >> 32], renumber[c & LOW], n) for c, n in zip(codes, counts)]
        codes = [a << 32 | b for a, b, _ in moved if a >= 0 and b >= 0]
        counts = [n for a, b, n in moved if a >= 0 and b >= 0]
    # Distinct pairs of words have distinct codes (the word numbers are a
    # numbering); the words numbered by map, in C (a loop of calls was most
    # of a full build's vocabulary).
    pairs = [pair for pair, n in tally.pairs.items() if n]  # (a word of a pair counted 0 may have no number)
    firsts, seconds = map(number, map(itemgetter(0), pairs)), map(number, map(itemgetter(1), pairs))
    counts_of = map(tally.pairs.__getitem__, pairs)
    more = {a << 32 | b: n for a, b, n in zip(firsts, seconds, counts_of) if a >= 0 and b >= 0}
    codes, counts = _merge_sorted(codes, counts, more)
    if counts and min(counts) <= 0:
        codes, counts = _ints(c for c, n in zip(codes, counts) if n > 0), _ints(n for n in counts if n > 0)
    return _ints(codes), _ints(counts)
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


def _titles(out: Totals, old: Totals, renumber: list[int] | None, tally: Tally, number) -> None:
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
    place = [0] * len(order)  # entry -> its place in the new order
    for at, entry in enumerate(order):
        place[entry] = at
    old_place = [-1] * len(old.title_ids)
    for entry, title in enumerate(kept):
        old_place[title] = place[entry]
    # kept titles keep their relative order and words their order: still sorted
    renumber = renumber or range(len(old.words))
    codes = [renumber[c >> 32] << 32 | old_place[c & LOW] for c in old.title_words if old_place[c & LOW] >= 0]
    _title_words(out, codes, added, [place[len(kept) + j] for j in range(len(added))], tally, number)


def _titles_inserted(out: Totals, old: Totals, steps: list[int], tally: Tally, number) -> None:
    """``_titles`` when a few titles are only added (none goes, no word goes): inserted in place."""
    added = sorted(tally.titles)
    kept = len(old.title_ids)
    order = _newest_first(list(old.title_days) + [tally.titles[p][2] for p in added], list(old.title_ids) + added, kept)
    places = [order.index(kept + j) for j in range(len(added))]
    columns = [list(old.title_ids), list(old.title_texts), list(old.title_urls), list(old.title_days)]
    for at, j in sorted(zip(places, range(len(added)))):
        for column, value in zip(columns, (added[j],) + tally.titles[added[j]]):
            column.insert(at, value)
    out.title_ids, out.title_texts, out.title_urls, out.title_days = columns
    title_steps = [at - k for k, at in enumerate(sorted(places))]  # old title i moves up by the titles placed before it
    _title_words(out, lanes.remap(_ints(old.title_words), steps, title_steps), added, places, tally, number)


def _title_words(out: Totals, codes, added: list[str], places: list[int], tally: Tally, number) -> None:
    """The kept titles' renumbered codes (still sorted) and the added titles' words, into ``out``."""
    more = dict.fromkeys((number(w) << 32 | places[j] for j, post in enumerate(added) for w in set(WORD.findall(tally.titles[post][0].lower()))), 0)
    out.title_words = _merge_sorted(codes, None, more)[0]


# --- the file -----------------------------------------------------------


def encode_strings(values: list[str]) -> tuple[bytes, array]:
    """One UTF-8 blob and the character offsets of each string's end."""
    return "".join(values).encode("utf-8"), _ints(accumulate(map(len, values)))


def _unstrings(blob, ends) -> list[str]:
    text = bytes(blob).decode("utf-8")
    ends = ends.tolist()
    return [text[a:b] for a, b in zip([0] + ends[:-1], ends)]


STRING_LISTS = ("words", "title_ids", "title_texts", "title_urls", "title_days")
ARRAYS = ("df", "pair_codes", "pair_counts", "title_words")
INT64 = "<i8"  # the file's numbers: little-endian whatever the machine


def _int64_bytes(values) -> bytes:
    numbers = values if isinstance(values, array) and values.typecode == "q" else _ints(map(int, values))
    if sys.byteorder != "little":
        numbers = _ints(numbers)
        numbers.byteswap()
    return numbers.tobytes()


def write(gen_dir: Path, totals: Totals) -> Path:
    """The totals as ``gen_dir/FILE`` (written whole, then renamed)."""
    parts: dict[str, tuple[str, int, bytes]] = {}  # name -> (dtype, length, bytes)
    for name in ARRAYS:
        data = _int64_bytes(getattr(totals, name))
        parts[name] = (INT64, len(data) // 8, data)
    for name in STRING_LISTS:
        blob, ends = encode_strings(getattr(totals, name))
        parts[name + ".blob"], parts[name + ".ends"] = ("|u1", len(blob), blob), (INT64, len(ends), _int64_bytes(ends))
    header, offset = {}, 0
    for name, (dtype, length, data) in parts.items():
        header[name] = {"dtype": dtype, "offset": offset, "length": length}
        offset += -(-len(data) // ALIGN) * ALIGN
    head = json.dumps(header).encode("utf-8")
    start = -(-(len(MAGIC) + 8 + len(head)) // ALIGN) * ALIGN
    path = Path(gen_dir) / FILE
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(MAGIC + len(head).to_bytes(8, "little") + head)
        out.write(b"\0" * (start - out.tell()))
        for _, _, data in parts.values():
            out.write(data)
            out.write(b"\0" * (-len(data) % ALIGN))
    os.replace(tmp, path)
    return path


def _header(data) -> tuple[dict, int]:
    if data[: len(MAGIC)] != MAGIC:
        raise ValueError(f"{FILE} is not a vocabulary file")
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "little")
    return json.loads(data[len(MAGIC) + 8 : len(MAGIC) + 8 + size]), -(-(len(MAGIC) + 8 + size) // ALIGN) * ALIGN


def read_arrays(gen_dir: Path) -> dict | None:
    """The file's arrays as NumPy arrays, mapped read-only (shared by every worker); None when the generation has none."""
    import numpy as np

    try:
        with open(Path(gen_dir) / FILE, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                raise ValueError(f"{FILE} is empty")
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        return None
    header, start = _header(data)
    return {
        name: np.frombuffer(data, dtype=np.dtype(info["dtype"]), count=info["length"], offset=start + info["offset"])
        for name, info in header.items()
    }


def read(gen_dir: Path) -> Totals | None:
    """The file as Totals of lists and ``array("q")`` (a reindex: no NumPy); None when the generation has none."""
    try:
        data = (Path(gen_dir) / FILE).read_bytes()
    except FileNotFoundError:
        return None
    if not data:
        raise ValueError(f"{FILE} is empty")
    header, start = _header(data)
    view = memoryview(data)

    def part(name: str):
        info = header[name]
        at = start + info["offset"]
        if info["dtype"] == "|u1":
            return view[at : at + info["length"]]
        numbers = _ints()
        numbers.frombytes(view[at : at + 8 * info["length"]])
        if sys.byteorder != "little":
            numbers.byteswap()
        return numbers

    totals = Totals(**{name: part(name) for name in ARRAYS})
    for name in STRING_LISTS:
        setattr(totals, name, _unstrings(part(name + ".blob"), part(name + ".ends")))
    return totals


def unstring(arrays: dict, name: str) -> list[str]:
    return _unstrings(arrays[name + ".blob"], arrays[name + ".ends"])


class Strings(Sequence):
    """A stored string list read in place: a string is decoded when asked for.

    The blob stays in the mapped file, in the page cache that every worker
    shares; a list of the titles, URLs and days was ~40 MB of private memory
    per worker at 100,000 posts.  The file keeps character offsets; the byte
    offsets come from the positions of the UTF-8 continuation bytes alone
    (none for ASCII), so nothing the size of the blob is allocated.
    """

    def __init__(self, blob, ends):
        import numpy as np

        blob = np.frombuffer(blob, dtype=np.uint8) if isinstance(blob, (bytes, bytearray, memoryview)) else np.asarray(blob, dtype=np.uint8)
        self._data = memoryview(np.ascontiguousarray(blob))
        ends = np.asarray(ends, dtype=np.int64)
        follow = np.flatnonzero((blob & 0xC0) == 0x80)
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


def strings(arrays: dict, name: str) -> Strings:
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
