"""Whoosh's segment writer, a field and a term at a time (part of the fence: see __init__, section 1)."""

from __future__ import annotations

import zlib
from array import array
from datetime import datetime
from hashlib import md5
from operator import itemgetter, sub
from pickle import dumps
from struct import Struct

from whoosh import analysis, fields, formats
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.filedb.filetables import _lengths as _KEY_VALUE_LENGTHS, _pointer as _SLOT, md5_hash
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, to_sortable
from whoosh.writing import PostingPool, SegmentWriter

from . import _HEAD_TWO, _NUMBER, _ONE_POSITION, _TAIL, ENCODED_MAX, StemmedText, chain_positions, encode_positions

# A block's pickled postings shorter than this are written uncompressed (the
# block's compression byte says so; Whoosh's reader checks it per block).
# Whoosh 2.7.4 compresses every block (its "< 20 bytes" test is overwritten
# on the next line): ~37,000 blocks for the corpus, most of a few postings
# that zlib barely shrinks or grows.  Measured on the corpus's blocks
# (protocol 4, zlib level 3): all compressed 362 ms, postings 4.39 MB; from
# 50 bytes 279 ms, 4.32 MB; from 100: 245 ms, 4.40 MB.  zlib costs ~6 us a
# call whatever the size, then ~14 ns a byte; the whole flush of the corpus
# (_Blocks, later, with positions pickled as they are now): from 100 bytes
# 544 ms, postings file 5.70 MB; from 200: 516 ms, 5.86 MB; from 400:
# 481 ms, 6.15 MB (+0.46 MB, a 12.0 MB index); from 800: 471 ms, 6.65 MB;
# zlib level 1 from 100: 527 ms, 5.85 MB.
COMPRESS_MIN = 400
# A block's postings as a pickle of this protocol (Whoosh's reader loads any):
# protocol 2, Whoosh's, writes each value's bytes as a call of codecs.encode
# on a str, half as long again, slower to write, compress and read.
PROTOCOL = 4


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
        column = self.length_bytes(fieldname)
        return None if column is None else [byte_to_length(b) if b else None for b in column]

    def length_bytes(self, fieldname: str) -> bytes | None:
        """Every document's length byte of ``fieldname`` (0: none), None without the column."""
        column = f"_{fieldname}_len"  # the W3 codec's name for it
        if not self._reader.has_column(column):
            return None
        return bytes(self._reader.column_reader(column, LENGTHS_COLUMN))

    def __getattr__(self, name):
        return getattr(self._reader, name)


class _TermPool:
    """Whoosh's posting pool, with each term's postings kept together as they come.

    PostingPool keeps every posting as one tuple, sorts them all and hands
    them one by one to the postings writer: a fifth of a full build
    (profiled).  Here ``fields[name][term]`` is a flat list (docnum, weight,
    value, docnum, ...) in document order, written a block at a time
    (``IndexWriter._flush_segment``).  Past Whoosh's own memory limit the
    postings move to its pool, which spills to disk.
    """

    def __init__(self, writer: "IndexWriter", limitmb: int):
        self.writer, self.fields, self.limitmb = writer, {}, limitmb
        self.room = int(limitmb * 1024 * 1024) // 200  # (PostingPool's estimate of a posting: ~200 bytes)
        self.last, self.ordered = 0, True

    def terms_of(self, fieldname: str) -> dict:
        found = self.fields.get(fieldname)
        if found is None:
            found = self.fields[fieldname] = {}
        return found

    def add(self, item) -> None:
        """One posting (fieldname, term bytes, docnum, weight, value), as PostingPool.add."""
        terms = self.terms_of(item[0])
        found = terms.get(item[1])
        if found is None:
            terms[item[1]] = list(item[2:])
        else:
            found += item[2:]
        if item[2] < self.last:  # (a merge adds a term's postings at a time)
            self.ordered = False
        self.last = item[2]
        self.used(1)

    def used(self, postings: int) -> None:
        self.room -= postings
        if self.room < 0:  # (the rest of a document's postings go to Whoosh's pool: IndexWriter.add_document)
            self.room = 0
            if self.writer.pool is self:
                self.writer.pool = PostingPool(self.writer._tempstorage, self.writer.newsegment, limitmb=self.limitmb)
            add = self.writer.pool.add
            for fieldname in sorted(self.fields):
                terms = self.fields[fieldname]
                for key in sorted(terms):
                    flat = terms[key]
                    for i in range(0, len(flat), 3):
                        add((fieldname, key, flat[i], flat[i + 1], flat[i + 2]))
            self.fields.clear()

    def cleanup(self) -> None:
        pass  # (the postings go with the writer: a segment worker keeps it until it exits, segments.py)


class IndexWriter(SegmentWriter):
    def __init__(self, ix, limitmb: int = 128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        codec = self.codec
        # Spelling words and term vectors take other paths through the pool;
        # the block writer below is the W3 codec's, without inlined postings.
        if (
            not any(f.separate_spelling() or f.vector for _, f in self.schema.items())
            and type(codec) is W3Codec
            and codec._inlinelimit <= 1
        ):
            self.pool = _TermPool(self, limitmb)
            self._texts = {name: _text_positions(field) for name, field in self.schema.items()}
            self._ids = {name for name, field in self.schema.items() if _plain_id(field)}
            self._dates = {name for name, field in self.schema.items() if _plain_datetime(field)}

    def per_document_reader(self):
        return _FieldLengths(super().per_document_reader())

    def add_document(self, **fields):
        """SegmentWriter.add_document, the text, ID and DATETIME fields' postings put straight into the term pool."""
        pool = self.pool
        if type(pool) is not _TermPool or any(name.startswith("_") for name in fields):  # (boosts, stored values of their own)
            return super().add_document(**fields)
        self._check_state()
        perdocwriter, schema, docnum = self.perdocwriter, self.schema, self.docnum
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        for fieldname in fieldnames:
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                positions_of = self._texts.get(fieldname)
                if positions_of is not None and type(value) is str and self.pool is pool:
                    length = _pool_text(pool, fieldname, field, value, positions_of, docnum)
                elif fieldname in self._ids and self.pool is pool and _pool_id(pool, fieldname, field, value, docnum):
                    pass  # (an ID field is never scorable: no length)
                elif fieldname in self._dates and self.pool is pool and _pool_datetime(pool, fieldname, field, value, docnum):
                    pass  # (nor a DATETIME field)
                else:
                    length = _pool_whoosh(self.pool, fieldname, field, value, docnum)
            perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        """SegmentWriter's, each term's postings written as W3PostingsWriter writes them."""
        pool = self.pool
        if not isinstance(pool, _TermPool):
            return super()._flush_segment()
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        fieldwriter = self.fieldwriter
        blocks = _Blocks(fieldwriter._postfile, fieldwriter._tindex, self.codec)
        for fieldname in sorted(pool.fields):
            terms = pool.fields[fieldname]
            if not terms:
                continue
            field = self.schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            table = lengths.length_bytes(fieldname) if lengths else None
            blocks.field(fieldwriter._fieldid, terms, table, field.format.fixed_value_size(), pool.ordered)
            fieldwriter.finish_field()
        blocks.close()
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


def _text_positions(field):
    """The positions function (``chain_positions``) of a text field indexed by this package's loop, else None."""
    if type(field) not in (fields.TEXT, StemmedText) or type(field.format) is not formats.Positions:
        return None
    return chain_positions(field.analyzer)


def _pool_text(pool: _TermPool, fieldname: str, field, value: str, positions_of, docnum: int) -> int:
    """A text's postings, as TEXT.index (or StemmedText's) gives them, into ``pool``; the field's length."""
    positions, kept, last = positions_of(value)
    terms = pool.terms_of(fieldname)
    get = terms.get
    boost = field.format.field_boost
    if last < ENCODED_MAX:  # (encode_positions's tables reach it: its one and two positions put together here)
        one, two, ones, numbers = float(1) * boost, float(2) * boost, _ONE_POSITION, _NUMBER
        for word, found in positions.items():
            count = len(found)
            if count == 1:
                posting = (docnum, one, ones[found[0]])
            elif count == 2:
                posting = (docnum, two, _HEAD_TWO + numbers[found[0]] + numbers[found[1] - found[0]] + _TAIL)
            else:
                posting = (docnum, float(count) * boost, encode_positions(found))
            flat = get(word)
            if flat is None:
                terms[word] = list(posting)
            else:
                flat += posting
    else:
        for word, found in positions.items():
            posting = (docnum, float(len(found)) * boost, encode_positions(found))
            flat = get(word)
            if flat is None:
                terms[word] = list(posting)
            else:
                flat += posting
    pool.last = docnum  # (later than any pooled: documents are numbered as they come)
    pool.used(len(positions))
    return kept if field.scorable else 0


def _plain_id(field) -> bool:
    """Whether ``field`` is an ID field indexed as Whoosh's ID (each value, or each item of a list, one term)."""
    return (
        type(field) is fields.ID
        and type(field.analyzer) is analysis.IDTokenizer
        and type(field.format) is formats.Existence
        and not field.scorable
    )


def _pool_id(pool: _TermPool, fieldname: str, field, value, docnum: int) -> bool:
    """An ID field's postings, as ID.index gives them (Existence.word_values), into ``pool``; False: not done."""
    words = {value} if type(value) is str else set(value) if type(value) in (list, tuple) else None
    if words is None or not all(type(w) is str for w in words):
        return False
    weight = field.format.field_boost * 1.0  # (times Whoosh's field boost, as _pool_whoosh)
    terms = pool.terms_of(fieldname)
    for word in words:
        key = word.encode("utf-8")
        flat = terms.get(key)
        if flat is None:
            terms[key] = [docnum, weight, b""]
        else:
            flat += (docnum, weight, b"")
    pool.last = docnum
    pool.used(len(words))
    return True


def _plain_datetime(field) -> bool:
    """Whether ``field`` is a DATETIME field indexed as Whoosh's (one term a shift step of its number)."""
    return type(field) is fields.DATETIME and type(field.format) is formats.Existence and field.shift_step > 0 and not field.scorable


def _pool_datetime(pool: _TermPool, fieldname: str, field, value, docnum: int) -> bool:
    """A datetime's postings, as DATETIME.index gives them, into ``pool``; False: not done.

    DATETIME.index converts the value again for each of its 8 terms (through
    a dozen Python calls each): a tenth of the corpus's non-text indexing.
    """
    if type(value) is not datetime:
        return False
    number = to_sortable(field.numtype, field.bits, field.signed, field.prepare_number(field.prepare_datetime(value)))
    terms = pool.terms_of(fieldname)
    for shift in range(0, field.bits, field.shift_step):
        key = field.sortable_to_bytes(number, shift)
        flat = terms.get(key)
        if flat is None:
            terms[key] = [docnum, 1.0, b""]  # (NUMERIC.index's weight, whatever the format's boost)
        else:
            flat += (docnum, 1.0, b"")
    pool.last = docnum
    pool.used(field.bits // field.shift_step)
    return True


def _pool_whoosh(pool, fieldname: str, field, value, docnum: int) -> int:
    """Whoosh's own indexing of a field value into ``pool``; the field's length."""
    add, scorable, length = pool.add, field.scorable, 0
    for tbytes, freq, weight, vbytes in field.index(value):
        weight *= 1.0  # (Whoosh's field boost, which only a "_boost" field changes: those go Whoosh's way)
        if scorable:
            length += freq
        add((fieldname, tbytes, docnum, weight, vbytes))
    return length


class _Blocks:
    """A segment's postings and term table, written as W3PostingsWriter and W3FieldWriter write them.

    The postings file and the term table are built in memory and written
    once (Whoosh writes each block and each term's row with several calls).
    Every byte is Whoosh's, except a block's pickle: of PROTOCOL, and not
    compressed when shorter than COMPRESS_MIN.
    """

    def __init__(self, postfile, tindex, codec):
        self.postfile, self.tindex = postfile, tindex
        self.limit, self.level = codec._blocklimit, codec._compression
        self.posts, self.rows = [], []  # (bytes, joined once)
        self.posts_at, self.rows_at = postfile.tell(), tindex.dbfile.tell()

    def field(self, fieldid: int, terms: dict, table: bytes | None, fixedsize, ordered: bool) -> None:
        tindex, rows, posts = self.tindex, self.rows, self.posts
        prefix = pack_ushort(fieldid)
        hashfn, buckets, index = tindex.hashfn, tindex.buckets, tindex.index
        if hashfn is md5_hash:
            hashfn = _md5_hash
        if prefix + min(terms) <= tindex.lastkey:
            raise ValueError(f"fields out of order: {fieldid}")
        key = b""
        at, rows_at, limit, level = self.posts_at, self.rows_at, self.limit, self.level
        for term in sorted(terms):
            flat = terms[term] if ordered else _sorted_postings(terms[term])
            if len(flat) == 3:  # (one posting: about half the terms)
                info, at = _write_one(posts, at, flat, table, fixedsize, level)
            else:
                info, at = _write_term(posts, at, flat, table, fixedsize, limit, level)
            key = prefix + term
            index.append(rows_at)
            rows.append(_KEY_VALUE_LENGTHS.pack(len(key), len(info)) + key + info)
            found = hashfn(key)
            buckets[found & 255].append((found, rows_at))
            rows_at += 8 + len(key) + len(info)
        self.posts_at, self.rows_at = at, rows_at
        tindex.lastkey = key

    def close(self) -> None:
        self.postfile.write(b"".join(self.posts))
        tindex = self.tindex
        tindex.dbfile.write(b"".join(self.rows))
        tindex._write_hashes = lambda: _write_hashes(tindex)  # (called by its close: HashWriter.close)


def _write_hashes(tindex) -> None:
    """= HashWriter._write_hashes of ``tindex``: its 256 hash tables, in one write (Whoosh writes each slot)."""
    at = tindex.dbfile.tell()
    tables = []
    for entries in tindex.buckets:
        slots = 2 * len(entries)
        tindex.directory.append((at, slots))
        table = bytearray(_SLOT.size * slots)  # (an empty slot is (0, 0): zeros)
        taken = [False] * slots
        for found, position in entries:
            slot = (found >> 8) % slots
            while taken[slot]:
                slot = (slot + 1) % slots
            taken[slot] = True
            _SLOT.pack_into(table, _SLOT.size * slot, found, position)
        tables.append(table)
        at += len(table)
    tindex.dbfile.write(b"".join(tables))


_U32 = Struct(">I").unpack_from


def _md5_hash(key: bytes) -> int:
    """= Whoosh's md5_hash (the low 32 bits of the MD5 digest as a number), from the digest's bytes."""
    return _U32(md5(key).digest(), 12)[0]


def _sorted_postings(flat: list) -> list:
    """A term's flat postings in document order (as PostingPool sorts them: by docnum, weight, value)."""
    return [x for posting in sorted(zip(flat[0::3], flat[1::3], flat[2::3])) for x in posting]


_TERM_INFO = W3TermInfo._struct  # (flags, weight, doc frequency, min/max length bytes, max weight, first/last id)


def _write_term(posts: list, at: int, flat: list, table: bytes | None, fixedsize, limit: int, level: int) -> tuple[bytes, int]:
    """One term's postings as W3PostingsWriter's blocks appended to ``posts`` from offset ``at``: its W3TermInfo bytes, the next offset."""
    start = at
    posts.append(WHOOSH3_HEADER_MAGIC)
    at += 4
    ids, weights, values = flat[0::3], flat[1::3], flat[2::3]
    total, min_byte, max_byte, max_weight = 0, None, 0, 0
    last = len(ids)
    for first in range(0, last, limit):
        end = first + limit
        if last <= limit:
            block_ids, top_weights, block_values = ids, weights, values
        else:
            block_ids, top_weights, block_values = ids[first:end], weights[first:end], values[first:end]
        block_weights = array("f", top_weights)
        count = len(block_ids)
        total += sum(block_weights)
        top = max(0, max(top_weights))
        max_weight = max(max_weight, top)
        if table is None:
            low = high = 0
        elif count == 1:
            low = high = table[block_ids[0]]
        else:
            found = itemgetter(*block_ids)(table)
            high = max(found)
            low = min(found) if 0 not in found else min([b for b in found if b], default=0)
        if low:
            min_byte = low if min_byte is None else min(min_byte, low)
        max_byte = max(max_byte, high)
        # W3PostingsWriter._mini_ids/_mini_weights/_mini_values
        mini_ids = (block_ids[0],) if count == 1 else (block_ids[0], *map(sub, block_ids[1:], block_ids))
        one = block_weights[0]
        if block_weights.count(one) != count:
            mini_weights = tuple(block_weights)
        else:
            mini_weights = None if one == 1.0 else one
        if fixedsize is None or fixedsize < 0:
            mini_values = tuple(filter(None, block_values))
        else:
            mini_values = None if fixedsize == 0 else b"".join(filter(None, block_values))
        data = dumps((mini_ids, mini_weights, mini_values), PROTOCOL)
        comp = level if len(data) >= COMPRESS_MIN else 0
        if comp:
            data = zlib.compress(data, comp)
        info = dumps((count, block_ids[-1], top, comp, low, high), 2)
        size = len(info) + len(data)
        posts.append(pack_int(-size if end >= last else size) + info + data)
        at += 4 + size
    extent = pack_long(start) + pack_int(at - start)
    return _TERM_INFO.pack(0, total, last, min_byte or 0, max_byte, max_weight, ids[0], ids[-1]) + extent, at


_FLOAT32 = Struct("f")


def _write_one(posts: list, at: int, flat: list, table: bytes | None, fixedsize, level: int) -> tuple[bytes, int]:
    """``_write_term`` of a term with one posting, its steps done once."""
    docnum, weight, value = flat
    stored = 1.0 if weight == 1.0 else _FLOAT32.unpack(_FLOAT32.pack(weight))[0]  # (its float32, as array("f") holds it)
    if fixedsize is None or fixedsize < 0:
        mini_values = (value,) if value else ()
    else:
        mini_values = None if fixedsize == 0 else value or b""
    data = dumps(((docnum,), None if stored == 1.0 else stored, mini_values), PROTOCOL)
    comp = level if len(data) >= COMPRESS_MIN else 0
    if comp:
        data = zlib.compress(data, comp)
    top = max(0, weight)
    length = 0 if table is None else table[docnum]
    info = dumps((1, docnum, top, comp, length, length), 2)
    size = len(info) + len(data)
    posts.append(_MAGIC_LAST + pack_int(-size) + info + data)
    extent = pack_long(at) + pack_int(size + 8)
    return _TERM_INFO.pack(0, 0 + stored, 1, length, length, top, docnum, docnum) + extent, at + 8 + size


_MAGIC_LAST = WHOOSH3_HEADER_MAGIC


def open_writer(ix, **kwargs) -> IndexWriter:
    """``ix.writer(**kwargs)``, with field lengths read once per field."""
    return IndexWriter(ix, **kwargs)
