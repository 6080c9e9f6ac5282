"""Every use of a private part of a pinned library, in one fenced package.

Whoosh 2.7.4 is the last release (2016) and is pinned exactly in setup.cfg;
this module refuses any other version on import, so an upgrade fails loudly
here instead of silently somewhere else (this ``__init__`` runs before any
module of the package: writer.py holds section 1, files.py sections 4-6,
columns.py section 8).  Each hook below says what it
replaces, what it buys (measured) and the test that proves it equal to
Whoosh's own path.  Nothing outside this package touches ``whoosh.filedb``,
``whoosh.codec``, ``whoosh.matching`` or a private Whoosh name
(tests/test_layout.py checks).

1. ``IndexWriter`` (writer.py; Whoosh's SegmentWriter): reads each field's lengths
   column once per segment (not once per posting: 4.56 -> 3.58 s for the corpus
   build), pools postings by term (``_TermPool``: CPU 5.46 -> 4.40 s), writes or
   publishes segments built by several processes (``finish_segment``/``commit_segments``,
   with ``_finalize_segment``/``_commit_toc``).  Its ``add_document`` puts a
   stemmed text field's postings straight into the pool (a flat list per
   term: no 5-tuple and no call per posting; a posting's positions bytes put
   together from pieces cached by number, ``encode_positions``, not pickled;
   stop words dropped and words stemmed in one pass in C, ``_KeptStems``:
   add_document of the corpus 1.03 -> 0.92 s CPU); so do a SimpleAnalyzer
   text field (``chain_positions``: the authors) and a DATETIME field
   (``_pool_datetime``: its number converted once, not once a term):
   0.92 -> 0.83 s; and ``_flush_segment`` writes the
   W3 codec's blocks and term rows itself, in memory, one write each
   (``_Blocks``), leaving a block whose pickle is under COMPRESS_MIN bytes
   uncompressed (Whoosh compresses all ~37,000 blocks, most of them a few
   postings): the service's build from parsed documents (the 2017 corpus),
   CPU 4.04-4.31 -> 2.65-2.86 s (3 alternating rounds, load 2.0-2.2),
   index 16.09 -> 15.70 MB.  A block's postings are pickled with protocol 4,
   not 2 (Whoosh's reader unpickles whatever the protocol; protocol 2 writes
   each value's bytes as a call of codecs.encode on a str): 2.85-2.99 ->
   2.33-2.47 s, index 15.70 -> 12.02 MB.  The blocks and rows are joined
   once (not appended to a growing bytearray), the term table's hash tables
   are written in one write (``_write_hashes``: Whoosh's HashWriter writes
   each slot), a block's length bytes taken by one itemgetter call and a
   term's one block not sliced again: finish_segment of the corpus
   0.68-0.73 -> 0.59-0.67 s CPU, every part of the segment byte-identical.
   COMPRESS_MIN was 100 bytes; from 400 the flush is 544 -> 481 ms CPU for
   a segment of 12.02 -> 12.47 MB (writer.py has the other thresholds).
   Anything else (boosts, other codecs, spelling, vectors, past the memory
   limit) goes Whoosh's way.  Test: tests/index/test_whoosh_internals.py
   compares every term's postings, statistics, lengths and stored fields
   with Whoosh's own writer (also spilled to disk, and merged), and every
   block unpickled (they differ only in compression and in the pickle's protocol and back-references).
2. ``StemmedText``: the stemming chain (tokenizer, lower case, stop words,
   Porter) in one loop, emitting the Positions format's bytes itself
   (analysis 2.4 -> 1.05 s on the corpus).  Its words (``lower_words``, the
   vocabulary's too) are found in ASCII text by a character class
   (``LOWER_ASCII_WORD``), a text whose only other characters are common
   punctuation (``NON_WORD_PUNCTUATION``: curly quotes, dashes) made ASCII
   first: the vocabulary's tally of the corpus 0.49 -> 0.38 s CPU.  Test:
   tests/index/test_whoosh_internals.py, postings identical to Whoosh's on the
   sample posts and Hypothesis text, the words Whoosh's tokens lowered.
3. ``read_posting``: a term's postings a block at a time from the W3 block
   matcher's arrays (``_read_weights``/``_data``/``_next_block``): a common
   word at 100,000 posts 75 -> 38 ms.  Test: tests/index/test_whoosh_internals.py,
   equal to ``items_as("weight")`` on the corpus and with deletions.
4. ``install_mapped_buffers``: compound segment parts read through the
   mmap instead of a private copy per process (a worker at 100,000 posts:
   2.4 GB -> 570 MB).  Installed explicitly by ``create_app`` and the CLI,
   never as a side effect of an import; in effect only with ``MMAP`` (off:
   see 5).
5. ``open_index``/``open_searcher``: open an index and searchers on it,
   closing every file opened on the way when a torn file makes it fail
   (Whoosh leaks them), and reading segments without an mmap (a truncated
   mapped file is SIGBUS).
6. ``segment_parts``: where each part lies in a segment file.
8. ``columns.length_column``/``numeric_column``/``text_column``: a whole
   column of every segment in one read (the lengths byte column, a
   DATETIME column's raw values, an ID column's texts) instead of a Python
   call chain a document (opening a generation of 100,000 posts spent 2.6 s
   in ``doc_field_length`` and 1.3 s in column reads).  Test:
   tests/index/test_whoosh_internals.py, equal to Whoosh's per-document
   answers with several segments and with deletions.
7. ``import_whoosh`` (whoosh_import.py, called before any Whoosh import):
   Whoosh without urllib.request.  Test: tests/index/test_startup.py.
"""

from __future__ import annotations

import pickle
from functools import partial
from operator import sub
from typing import TYPE_CHECKING

from ..whoosh_import import import_whoosh

import_whoosh()  # (see 7.)
import whoosh  # noqa: E402
from whoosh import analysis, fields, formats
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.lang.porter import stem
from whoosh.system import pack_uint

from ...words import LOWER_ASCII_WORD, NON_WORD_PUNCTUATION, WORD

if TYPE_CHECKING:
    import numpy as np

PINNED = (2, 7, 4)
if tuple(whoosh.__version__[:3]) != PINNED:
    raise ImportError(
        f"searchsvc needs Whoosh {'.'.join(map(str, PINNED))} exactly (its private parts are used in "
        f"searchsvc/index/whoosh_internals/); found {'.'.join(map(str, whoosh.__version__))}"
    )


# --- 2. stemmed text in one loop --------------------------------------------


def text_analyzer():
    """The text fields' analyzer; StemmedText recognises it and takes its one-loop path.

    >>> [t.text for t in text_analyzer()("Searching the posts")]
    ['search', 'post']
    """
    # Whoosh's StemmingAnalyzer drops words under 2 letters; "5 g" or "a11y"
    # should survive, so minsize is 1.
    return analysis.StemmingAnalyzer(minsize=1)


class StemmedText(fields.TEXT):
    """A TEXT field whose indexing runs the stemming chain in one loop.

    Whoosh analyses a value through four chained generators (tokenizer,
    lower case, stop words, stemmer) and then groups the tokens by word:
    about half of building the index (profiled on the real corpus).  The
    loop below does the same steps in the same order, so the postings are
    identical (tests/index/test_whoosh_internals.py compares them on the sample
    posts); any other analyzer, or a call with options (query time,
    highlighting), goes through Whoosh's own code.
    """

    def index(self, value, **kwargs):
        stops = _stemming_chain(self.analyzer)
        if stops is None or kwargs or type(value) is not str or type(self.format) is not formats.Positions:
            return super().index(value, **kwargs)
        return _index_stemmed(value, stops, self.format)


class _KeptStems(dict):
    """word -> its Porter stem's UTF-8 bytes, None for a stop word; computed on first sight.

    (Whoosh's own stem cache is an LFU in Python.)  A stop word's None lets
    ``filter(None, map(...))`` drop the stop words and stem the rest in one
    pass in C (a stem is never empty: Porter leaves words under 3 letters as
    they are and never strips a longer one bare).
    """

    def __init__(self, stops: frozenset):
        super().__init__()
        self.stops = stops

    def __missing__(self, word: str) -> bytes | None:
        found = self[word] = None if word in self.stops else stem(word).encode("utf-8")
        return found


_KEPT_STEMS: dict[frozenset, _KeptStems] = {}  # by stop words (one set, the text analyzer's)
_MAX_STEMS = 200_000


def _kept_stems(stops: frozenset) -> _KeptStems:
    found = _KEPT_STEMS.get(stops)
    if found is None or len(found) > _MAX_STEMS:
        found = _KEPT_STEMS[stops] = _KeptStems(stops)
    return found


def _stemming_chain(analyzer):
    """(pattern, stop words) of a StemmingAnalyzer(minsize=1), else None."""
    items = getattr(analyzer, "items", None)
    if (
        not isinstance(items, list)
        or len(items) != 4
        or [type(i) for i in items]
        != [analysis.RegexTokenizer, analysis.LowercaseFilter, analysis.StopFilter, analysis.StemFilter]
        or items[0].gaps
        or items[0].expression.pattern != analysis.tokenizers.default_pattern.pattern
        or (items[2].min, items[2].max, items[2].renumber) != (1, None, True)
        or items[3].ignore
        or items[3].stemfn is not stem
        or items[3].lang
    ):
        return None
    return items[2].stops


def _lowercase_chain(analyzer) -> bool:
    """Whether ``analyzer`` is Whoosh's SimpleAnalyzer() (its tokenizer and lower case, nothing else)."""
    items = getattr(analyzer, "items", None)
    return (
        isinstance(items, list)
        and [type(i) for i in items] == [analysis.RegexTokenizer, analysis.LowercaseFilter]
        and not items[0].gaps
        and items[0].expression.pattern == analysis.tokenizers.default_pattern.pattern
    )


def chain_positions(analyzer):
    """``value -> (term -> positions, words kept, last position)`` for an analyzer indexed by this package's loop, else None."""
    stops = _stemming_chain(analyzer)
    if stops is not None:
        return partial(stemmed_positions, stops=stops)
    return lowered_positions if _lowercase_chain(analyzer) else None


# Whoosh's default token pattern without its capturing group, so findall
# returns whole words.
_WORDS = WORD


# The words of a string about to be indexed, found once for the vocabulary's
# tally as well (index/vocabulary.py; a second pass over every body was a
# tenth of a full build): id -> (that very string, its words).
_TOKENISED: dict[int, tuple[str, list[str]]] = {}


def lower_words(value: str) -> list[str]:
    """``WORD.findall(value.lower())``, kept for the indexing of this very string (``stemmed_positions``).

    Without "İ" (the one letter whose lower case is two characters, the
    second no word character), finding the words before or after lower-casing
    gives the same list, so the indexer's own way is used for both.
    """
    if "\u0130" in value:
        return _WORDS.findall(value.lower())
    words = _lowered_words(value)
    if len(_TOKENISED) >= 8:  # a string tallied but never indexed (a removed post's) is not kept long
        _TOKENISED.clear()
    _TOKENISED[id(value)] = (value, words)
    return words


def _lowered_words(value: str) -> list[str]:
    if value.isascii():
        return LOWER_ASCII_WORD.findall(value.lower())
    plain = _as_ascii(value)
    if plain is not None:
        return LOWER_ASCII_WORD.findall(plain.lower())
    # Words are found before lower-casing, as Whoosh does ("İ" lowers to
    # "i" and a combining dot, which is no word character); they are
    # lowered in one call, NUL-separated, which keeps a word's end its
    # own (a final sigma stays final).
    words = _WORDS.findall(value)
    return "\0".join(words).lower().split("\0") if words else words


def _as_ascii(value: str) -> str | None:
    """``value`` with each NON_WORD_PUNCTUATION character a space, if that leaves it ASCII; else None.

    The words are the same (those characters are no part of a word, nor is a
    space), and finding them in ASCII text is faster: the corpus's words
    0.28 -> 0.15 s, most of its bodies having curly quotes or dashes.
    """
    for mark in NON_WORD_PUNCTUATION:
        if mark in value:
            value = value.replace(mark, " ")
    return value if value.isascii() else None


def stemmed_positions(value: str, stops) -> tuple[dict[bytes, list[int]], int, int]:
    """The stemming chain's terms of ``value``: stem (UTF-8) -> its positions, how many words were kept, the last position.

    The position tables of ``encode_positions`` then reach the last position
    (below ENCODED_MAX).
    """
    given = _TOKENISED.pop(id(value), None)
    words = given[1] if given is not None and given[0] is value else _lowered_words(value)
    first = 0
    while first < len(words) and words[first] in stops:
        first += 1
    # The stop filter renumbers: the first word kept keeps its place, each
    # later one follows it.
    positions, last = _positions(filter(None, map(_kept_stems(stops).__getitem__, words[first:] if first else words)), first)
    return positions, last + 1 - first, last


def lowered_positions(value: str) -> tuple[dict[bytes, list[int]], int, int]:
    """``stemmed_positions`` of SimpleAnalyzer's chain: each word lowered (UTF-8) -> its positions, how many, the last position."""
    positions, last = _positions(map(str.encode, _lowered_words(value)), 0)
    return positions, last + 1, last


def _positions(terms, first: int) -> tuple[dict[bytes, list[int]], int]:
    """Each of ``terms`` -> its positions, numbered from ``first``; the last position (the tables reaching it)."""
    positions: dict[bytes, list[int]] = {}
    get = positions.get
    pos = first - 1
    for pos, term in enumerate(terms, first):
        found = get(term)
        if found is None:
            positions[term] = [pos]
        else:
            found.append(pos)
    if len(_NUMBER) <= pos < ENCODED_MAX:
        _extend_tables(pos)
    return positions, pos


# Positions.encode's bytes (the count, then a pickle of protocol 2 of the
# position deltas) put together from cached pieces, by position or number
# up to the last position seen (below ENCODED_MAX): one pickle.dumps call a
# posting was a tenth of indexing.  Most postings have one position (72% of
# the corpus's): their bytes, by position.
ENCODED_MAX = 1 << 16
_ONE_POSITION: list[bytes] = []
# n -> n as protocol 2 pickles it: BININT1 below 256, BININT2 below 65536
_NUMBER: list[bytes] = []
# count -> its bytes, then the pickle up to the list's first item: a list of
# 2 to 1000 items is written MARK, items, APPENDS (pickle.dumps batches a list
# by 1000), an empty list then BINPUT 0 before it
_HEAD = [pack_uint(n) + b"\x80\x02]q\x00(" for n in range(1001)]
_HEAD_TWO = _HEAD[2]
_TAIL = b"e."


def _extend_tables(last: int) -> None:
    _NUMBER.extend(b"K" + bytes((n,)) if n < 256 else b"M" + n.to_bytes(2, "little") for n in range(len(_NUMBER), last + 1))
    _ONE_POSITION.extend(pack_uint(1) + b"\x80\x02]q\x00" + _NUMBER[n] + b"a." for n in range(len(_ONE_POSITION), last + 1))


def encode_positions(found: list[int]) -> bytes:
    """= ``formats.Positions().encode(found)`` of ascending positions: the count, then the pickled position deltas."""
    last, count = found[-1], len(found)
    if last >= len(_NUMBER):
        if last >= ENCODED_MAX:
            return pack_uint(count) + pickle.dumps([found[0], *map(sub, found[1:], found)], 2)
        _extend_tables(last)
    if count == 1:
        return _ONE_POSITION[last]
    if count > 1000:
        return pack_uint(count) + pickle.dumps([found[0], *map(sub, found[1:], found)], 2)
    return b"".join([_HEAD[count], _NUMBER[found[0]], *map(_NUMBER.__getitem__, map(sub, found[1:], found)), _TAIL])


def _index_stemmed(value: str, stops, fmt):
    positions, _, _ = stemmed_positions(value, stops)
    boost = fmt.field_boost
    for word, found in positions.items():
        yield (word, len(found), float(len(found)) * boost, encode_positions(found))


# --- 3. postings a block at a time --------------------------------------------

def read_posting(reader, name: str, stem: str) -> tuple[np.ndarray, np.ndarray]:
    """(docnums, weights) of a term: = ``reader.postings(name, stem).items_as("weight")``.

    Whoosh yields one posting at a time through several Python calls (at
    100,000 posts a common word took ~100 ms); a segment's own matcher holds
    each block's ids and weights as arrays, so those are taken a block at a
    time (Whoosh 2.7.4's block reader, pinned in setup.cfg; other matchers,
    e.g. a segment with deletions, go the general way).
    """
    import numpy as np  # (here: a reindex, which never reads postings, does without it)

    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for leaf, offset in reader.leaf_readers():
        if (name, stem) not in leaf:
            continue
        matcher = leaf.postings(name, stem)
        if type(matcher) is W3LeafMatcher:
            while matcher.is_active():
                matcher._read_weights()  # (also reads the block)
                block_ids = np.asarray(matcher._data[0], dtype=np.int64)
                if not matcher._byteids:  # delta-coded, as whoosh.util.numlists.delta_decode undoes
                    block_ids = np.cumsum(block_ids)
                ids.append(block_ids + offset)
                weights.append(np.asarray(matcher._weights, dtype=np.float64))
                matcher._next_block()
        else:
            pairs = list(matcher.items_as("weight"))
            ids.append(np.fromiter((d + offset for d, _ in pairs), dtype=np.int64, count=len(pairs)))
            weights.append(np.fromiter((w for _, w in pairs), dtype=np.float64, count=len(pairs)))
    if not ids:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
    return np.concatenate(ids).astype(np.int32), np.concatenate(weights)


# Sections 4-6 (files.py) and 8 (columns.py: imports NumPy, so it is imported
# by the query side that uses it, not here) are modules of this package, so
# that none is over 500 lines; they import this module first (its version
# check and Whoosh's import without urllib.request).
from .files import MMAP, install_mapped_buffers, open_index, open_searcher, segment_parts  # noqa: E402,F401
from .writer import IndexWriter, open_writer  # noqa: E402,F401
