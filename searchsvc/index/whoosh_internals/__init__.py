"""Every use of a private part of a pinned library, in one fenced package.

Whoosh 2.7.4 is the last release (2016) and is pinned exactly in setup.cfg;
this module refuses any other version on import, so an upgrade fails loudly
here instead of silently somewhere else (this ``__init__`` runs before any
module of the package: files.py holds sections 4-6, columns.py section 8).  Each hook below says what it
replaces, what it buys (measured) and the test that proves it equal to
Whoosh's own path.  Nothing outside this package touches ``whoosh.filedb``,
``whoosh.codec``, ``whoosh.matching`` or a private Whoosh name
(tests/test_layout.py checks).

1. ``IndexWriter`` (Whoosh's SegmentWriter): reads each field's lengths
   column once per segment (not once per posting: 4.56 -> 3.58 s for the corpus
   build), pools postings by term (``_TermPool``: CPU 5.46 -> 4.40 s), writes or
   publishes segments built by several processes (``finish_segment``/``commit_segments``,
   with ``_finalize_segment``/``_commit_toc``).  Test: tests/index/test_whoosh_internals.py
   compares every term's postings, lengths and stored fields with Whoosh's
   own writer (also spilled to disk, and merged).
2. ``StemmedText``: the stemming chain (tokenizer, lower case, stop words,
   Porter) in one loop, emitting the Positions format's bytes itself
   (analysis 2.4 -> 1.05 s on the corpus).  Test: tests/index/test_whoosh_internals.py,
   postings identical to Whoosh's on the sample posts and Hypothesis text.
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
from array import array
from typing import TYPE_CHECKING

from ..whoosh_import import import_whoosh

import_whoosh()  # (see 7.)
import whoosh  # noqa: E402
from whoosh import analysis, fields, formats
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.lang.porter import stem
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

from ...words import WORD

if TYPE_CHECKING:
    import numpy as np

PINNED = (2, 7, 4)
if tuple(whoosh.__version__[:3]) != PINNED:
    raise ImportError(
        f"searchsvc needs Whoosh {'.'.join(map(str, PINNED))} exactly (its private parts are used in "
        f"searchsvc/index/whoosh_internals/); found {'.'.join(map(str, whoosh.__version__))}"
    )


# --- 1. the segment writer ---------------------------------------------------


class _FieldLengths:
    """A per-document reader whose ``doc_field_length`` reads each column once."""

    def __init__(self, reader):
        self._reader = reader
        self._tables: dict[str, list | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default=0):
        try:
            table = self._tables[fieldname]
        except KeyError:
            table = self._tables[fieldname] = self._load(fieldname)
        if table is None:
            return default
        return table[docnum]

    def _load(self, fieldname: str) -> list | None:
        column = f"_{fieldname}_len"  # the W3 codec's name for it
        if not self._reader.has_column(column):
            return None
        return [byte_to_length(b) if b else None for b in self._reader.column_reader(column, LENGTHS_COLUMN)]

    def __getattr__(self, name):
        return getattr(self._reader, name)


class _TermPool:
    """Whoosh's posting pool, with each term's postings kept together as they come.

    PostingPool keeps every posting as one tuple, sorts them all and hands
    them one by one to the postings writer: a fifth of a full build
    (profiled).  Here a term's postings are already in document order and
    are written a block at a time (``IndexWriter._flush_segment``), the same
    bytes.  Past Whoosh's own memory limit they move to its pool, which
    spills to disk.
    """

    def __init__(self, writer: "IndexWriter", limitmb: int):
        self.writer, self.terms, self.limitmb = writer, {}, limitmb
        self.room = int(limitmb * 1024 * 1024) // 200  # (PostingPool's estimate of a posting: ~200 bytes)
        self.last, self.ordered = 0, True

    def add(self, item) -> None:
        found = self.terms.get(item[:2])
        if found is None:
            self.terms[item[:2]] = [item]
        else:
            found.append(item)
        if item[2] < self.last:  # (a merge adds a term's postings at a time)
            self.ordered = False
        self.last = item[2]
        self.room -= 1
        if self.room < 0:  # (the rest of a document's postings still come here)
            self.room = 0
            if self.writer.pool is self:
                self.writer.pool = PostingPool(self.writer._tempstorage, self.writer.newsegment, limitmb=self.limitmb)
            for key in sorted(self.terms):
                for posting in self.terms[key]:
                    self.writer.pool.add(posting)
            self.terms.clear()

    def cleanup(self) -> None:
        pass  # (the postings go with the writer: a segment worker keeps it until it exits, segments.py)


class IndexWriter(SegmentWriter):
    def __init__(self, ix, limitmb: int = 128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        # Spelling words and term vectors take other paths through the pool.
        if not any(f.separate_spelling() or f.vector for _, f in self.schema.items()):
            self.pool = _TermPool(self, limitmb)

    def per_document_reader(self):
        return _FieldLengths(super().per_document_reader())

    def _flush_segment(self):
        """SegmentWriter's, with FieldWriter.add_postings' walk a term at a time."""
        if not isinstance(self.pool, _TermPool):
            return super()._flush_segment()
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        fieldwriter, terms, lastfield = self.fieldwriter, self.pool.terms, None
        for key in sorted(terms):
            if key[0] != lastfield:
                if lastfield is not None:
                    fieldwriter.finish_field()
                lastfield = key[0]
                fieldwriter.start_field(lastfield, self.schema[lastfield])
                table = lengths._load(lastfield) if lengths else None
            postings = terms[key] if self.pool.ordered else sorted(terms[key])
            fieldwriter.start_term(key[1])
            _write_term(fieldwriter._postwriter, postings, table)
            fieldwriter.finish_term()
        if lastfield is not None:
            fieldwriter.finish_field()
        fieldwriter.close()
        if lengths:
            lengths.close()

    # A full build in several processes (index/segments.py) is what
    # Whoosh's MultiSegmentWriter does, with the parsing moved into the
    # processes too: each writes a segment (``finish_segment``), and one
    # writer then publishes them all in a new table of contents.

    def finish_segment(self):
        """Write this writer's documents as a segment, not yet listed in any TOC; None if empty."""
        if not self.docnum:
            self._close_segment()
            return None
        return self._finalize_segment()

    def commit_segments(self, segments: list) -> None:
        """Publish ``segments`` (in document order) as the whole index; this writer adds nothing."""
        if self.segments or self.docnum:
            raise ValueError("commit_segments() is for a new, empty index")
        self._close_segment()
        self._commit_toc(list(segments))
        self._finish()


def _write_term(writer, postings: list, lengths: list | None) -> None:
    """W3PostingsWriter.add_posting for each of a term's postings, a block at a time."""
    limit = writer._blocklimit
    for start in range(0, len(postings), limit):
        if start:
            writer._write_block()
        _, _, ids, weights, values = zip(*postings[start : start + limit])
        writer._ids, writer._weights = array("I", ids), array("f", weights)
        writer._values = [v for v in values if v]
        writer._maxweight = max(0, max(weights))
        found = [n for n in map(lengths.__getitem__, ids) if n] if lengths else None
        if found:
            writer._minlength, writer._maxlength = min(found), max(found)


def open_writer(ix, **kwargs) -> IndexWriter:
    """``ix.writer(**kwargs)``, with field lengths read once per field."""
    return IndexWriter(ix, **kwargs)


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


class _Stems(dict):
    """word -> Porter stem, computed on first sight (Whoosh's own cache is an LFU in Python)."""

    def __missing__(self, word: str) -> str:
        found = self[word] = stem(word)
        return found


_STEMS = _Stems()
_MAX_STEMS = 200_000


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


# Whoosh's default token pattern without its capturing group, so findall
# returns whole words.
_WORDS = WORD


# The words of a string about to be indexed, found once for the vocabulary's
# tally as well (index/vocabulary.py; a second pass over every body was a
# tenth of a full build): id -> (that very string, its words).
_TOKENISED: dict[int, tuple[str, list[str]]] = {}


def lower_words(value: str) -> list[str]:
    """``WORD.findall(value.lower())``, kept for the indexing of this very string (``_index_stemmed``).

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
        return _WORDS.findall(value.lower())
    # Words are found before lower-casing, as Whoosh does ("İ" lowers to
    # "i" and a combining dot, which is no word character); they are
    # lowered in one call, NUL-separated, which keeps a word's end its
    # own (a final sigma stays final).
    words = _WORDS.findall(value)
    return "\0".join(words).lower().split("\0") if words else words


def _index_stemmed(value: str, stops, fmt):
    given = _TOKENISED.pop(id(value), None)
    words = given[1] if given is not None and given[0] is value else _lowered_words(value)
    first = 0
    while first < len(words) and words[first] in stops:
        first += 1
    # The stop filter renumbers: the first word kept keeps its place, each
    # later one follows it.
    kept = [w for w in words[first:] if w not in stops]
    if len(_STEMS) > _MAX_STEMS:
        _STEMS.clear()
    positions: dict[str, list[int]] = {}
    get = positions.get
    for pos, word in enumerate(map(_STEMS.__getitem__, kept), first):
        found = get(word)
        if found is None:
            positions[word] = [pos]
        else:
            found.append(pos)
    boost = fmt.field_boost
    for word, found in positions.items():
        count = len(found)
        if count > 1:
            found = [found[0]] + [b - a for a, b in zip(found, found[1:])]
        # Positions.encode: the count, then the pickled position deltas.
        yield (word.encode("utf-8"), count, float(count) * boost, pack_uint(count) + pickle.dumps(found, 2))


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
