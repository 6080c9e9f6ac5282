"""searchsvc/index/whoosh_internals/, the one package that uses private
parts of Whoosh: each hook gives exactly what Whoosh's own code gives.

The indexing shortcuts (one-loop stemmed text, lengths read once) give
exactly Whoosh's index; read_posting reads exactly Whoosh's postings.
(Moved from tests/index/test_schema.py and tests/system/test_perf_contracts.py.)
"""

from __future__ import annotations

import io
import pickle
import re
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from whoosh import analysis, fields, formats
from whoosh import index as whoosh_index

from searchsvc import settings as settings_mod
from searchsvc.words import LOWER_ASCII_WORD, NON_WORD_PUNCTUATION, WORD
from searchsvc.ingest.post import load_post
from searchsvc.ingest.walk import iter_post_paths
from searchsvc.index.schema import build_schema, text_analyzer, to_fields
from searchsvc.index import whoosh_internals
# _stemming_chain is the fenced module's own dispatch test: checked here so the
# comparisons below cannot be Whoosh compared with itself.
from searchsvc.index.whoosh_internals import StemmedText, _stemming_chain, encode_positions, open_writer
from searchsvc.index.whoosh_internals import writer as writer_module
from searchsvc.index.whoosh_internals.writer import COMPRESS_MIN
from searchsvc.index.whoosh_internals import columns
from searchsvc.query.generation import IndexHandle

from ..conftest import build, conf, write_post
from ..site import synthetic_site

PLAIN = fields.TEXT(analyzer=text_analyzer(), phrase=True)
FAST = StemmedText(analyzer=text_analyzer(), phrase=True)


def postings(field, value):
    return sorted(field.index(value))


def test_service_analyzer_takes_the_one_loop_path():
    # Otherwise every comparison below would compare Whoosh with itself.
    assert _stemming_chain(FAST.analyzer) is not None
    assert _stemming_chain(analysis.StemmingAnalyzer()) is None  # minsize 2
    assert _stemming_chain(analysis.SimpleAnalyzer()) is None
    # The writer's own loops (the authors field's SimpleAnalyzer, the date's DATETIME), compared with Whoosh's below.
    assert whoosh_internals.chain_positions(analysis.SimpleAnalyzer()) is whoosh_internals.lowered_positions
    assert whoosh_internals.chain_positions(analysis.StemmingAnalyzer()) is None
    assert whoosh_internals.chain_positions(analysis.SimpleAnalyzer(gaps=True)) is None
    assert writer_module._plain_datetime(build_schema(())["date"])


def test_stemmed_words_positions_and_weights():
    # "the" and "of" are stop words: the first word kept keeps its place (1),
    # the later ones are renumbered to follow it.
    got = {word: (freq, weight) for word, freq, weight, _ in FAST.index("The Testing of tests, TESTED")}
    assert got == {b"test": (3, 3.0)}
    assert FAST.format.decode_positions(dict((w, v) for w, _, _, v in FAST.index("The Testing of tests, TESTED"))[b"test"]) == [1, 2, 3]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "the of and",
        "U.S. a11y 5 g 3.141 big-time under_score",
        "ΟΔΟΣ ΟΔΟΣ.Σ aΣ Σa",  # a final sigma stays final
        "İstanbul ǅemal straße ẞ café ﬁle",  # lower-casing that changes length
        "Government Customer Service Update—Webinar Recap “quoted” it’s",
        "word " * 300,
    ],
)
def test_same_postings_as_whoosh(value):
    assert postings(FAST, value) == postings(PLAIN, value)


def test_same_postings_on_every_sample_post():
    root = Path(settings_mod.SAMPLE_CONTENT_DIR)
    conf = settings_mod.load()
    checked = 0
    for path in iter_post_paths(root):
        try:
            doc = load_post(path, root, conf)
        except Exception:
            continue
        for value in (doc.title, doc.summary, doc.body, " ; ".join(doc.facets.get("tags", []))):
            assert postings(FAST, value) == postings(PLAIN, value)
        checked += 1
    assert checked >= 25


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("aAbΣσİiß. -_’1\u0307é") + ["the ", "of ", "Test", "ing "]), max_size=30).map("".join))
def test_same_postings_on_generated_text(value):
    assert postings(FAST, value) == postings(PLAIN, value)


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("a1_.. -é̇") + ["u.s.", "..", "a.b", "3.14"]), max_size=30).map("".join))
def test_word_pattern_finds_whoosh_words(value):
    # searchsvc.words.WORD is written differently from Whoosh's default token pattern
    assert WORD.findall(value) == [m.group(0) for m in analysis.tokenizers.default_pattern.finditer(value)]
    assert WORD.findall("u.s. a..b 3.14. x.y_z") == ["u.s", "a", "b", "3.14", "x.y_z"]


@hsettings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_word_pattern_is_word_on_ascii(value):
    assert LOWER_ASCII_WORD.findall(value.lower()) == WORD.findall(value.lower())


WHOOSH_WORDS = analysis.RegexTokenizer() | analysis.LowercaseFilter()


def test_non_word_punctuation_is_no_part_of_a_word():
    assert [mark for mark in NON_WORD_PUNCTUATION if re.match(r"[\w.]", mark)] == []
    assert whoosh_internals._as_ascii("it\u2019s \u201cfine\u201d\u2014ok") == "it s  fine  ok"
    assert whoosh_internals._as_ascii("caf\u00e9\u2019s") is None


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(NON_WORD_PUNCTUATION + "aZ9_. -\u00e9\u0130\u03a3\u2020") + ["u.s.", "Test"]), max_size=30).map("".join))
def test_lowered_words_are_whoosh_tokens_lowered(value):
    expected = [t.text for t in WHOOSH_WORDS(value)]
    assert whoosh_internals._lowered_words(value) == expected
    assert whoosh_internals._lowered_words(value + "\u2019") == expected  # (a text made ASCII by its punctuation)


def test_other_analyzers_use_whoosh_own_code():
    field = StemmedText(analyzer=analysis.StemmingAnalyzer(), phrase=True)  # minsize 2: not the fast path
    assert postings(field, "a test of 5 g") == postings(fields.TEXT(analyzer=analysis.StemmingAnalyzer(), phrase=True), "a test of 5 g")
    assert [w for w, *_ in postings(field, "a test of 5 g")] == [b"test"]


def _contents(index_dir):
    """Everything a search reads from an index: every term's postings, lengths, stored fields."""
    reader = whoosh_index.open_dir(str(index_dir)).reader()
    out = []
    for fieldname, text in reader.all_terms():
        matcher = reader.postings(fieldname, text)
        postings = []
        while matcher.is_active():
            postings.append((matcher.id(), matcher.value(), matcher.weight()))
            matcher.next()
        info = reader.term_info(fieldname, text)  # min/max length: from the lengths the writer looked up
        stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight(), info.min_id(), info.max_id())
        out.append((fieldname, text, postings, stats))
    for name in ("title", "summary", "body", "tags", "authors"):
        out.append((name, reader.field_length(name), [reader.doc_field_length(d, name) for d in range(reader.doc_count_all())]))
    out.append(list(reader.all_stored_fields()))
    reader.close()
    return out


def _blocks(index_dir):
    """Every term's postings blocks as written: (last block?, its info without the compression
    byte, its pickle unpickled), and which blocks were compressed: (pickle's size, compressed?)."""
    reader = whoosh_index.open_dir(str(index_dir)).reader()
    out, compression = [], []
    for leaf, _ in reader.leaf_readers():
        postfile = leaf._terms._postfile
        for fieldname, text in leaf.all_terms():
            offset, (length,) = leaf.term_info(fieldname, text).extent()  # (Whoosh reads the length as a 1-tuple)
            raw = postfile.get(offset, length)
            assert raw[:4] == b"W3Bl"
            at, blocks = 4, []
            while at < len(raw):
                (size,) = struct.unpack("!i", raw[at : at + 4])
                stream = io.BytesIO(raw[at + 4 : at + 4 + abs(size)])
                at += 4 + abs(size)
                info = pickle.load(stream)
                data = zlib.decompress(stream.read()) if info[3] else stream.read()
                blocks.append((size < 0, info[:3] + info[4:], pickle.loads(data)))
                compression.append((len(data), info[3]))
            assert at == len(raw)
            out.append((fieldname, text, blocks))
    reader.close()
    return out, compression


# (limit in MB, commits): all postings held by term; past the limit moved to
# Whoosh's pool (which then spills to disk); a second commit merging the first segment.
@pytest.mark.parametrize("limitmb, commits", [(16, 1), (0.05, 1), (16, 2)])
def test_index_writer_writes_what_whoosh_writes(tmp_path, limitmb, commits):
    root = Path(settings_mod.SAMPLE_CONTENT_DIR)
    conf = settings_mod.load()
    docs = []
    for path in iter_post_paths(root):
        try:
            docs.append(load_post(path, root, conf))
        except Exception:
            continue
    facets = tuple(conf["facets"])
    built = {}
    ways = (("whoosh", fields.TEXT, lambda ix: ix.writer(limitmb=limitmb)), ("ours", StemmedText, lambda ix: open_writer(ix, limitmb=limitmb)))
    for name, text, open_it in ways:
        folder = tmp_path / name
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), build_schema(facets, text=text))
        for part in range(commits):
            writer = open_it(ix)
            for doc in docs[part::commits]:
                writer.add_document(**to_fields(doc, facets))
            writer.commit(optimize=part == commits - 1)
        built[name] = _contents(folder), *_blocks(folder)
    (ours, ours_blocks, ours_compression), (whoosh, whoosh_blocks, whoosh_compression) = built["ours"], built["whoosh"]
    assert len(ours) > 500 and len(ours_blocks) > 500
    assert ours == whoosh
    # The postings file differs only in how blocks are stored: Whoosh
    # compresses every block; ours leaves a block whose pickle is under
    # COMPRESS_MIN bytes uncompressed (except past the memory limit, where
    # Whoosh's own writer writes the segment), and a block's pickle is of
    # protocol 4, not 2, and may refer back to an equal value's first copy
    # (the positions' bytes of one position are one object): unpickled,
    # every block is Whoosh's.
    assert ours_blocks == whoosh_blocks
    assert {comp for _, comp in whoosh_compression} == {3}
    spilled = limitmb < 1 and commits == 1
    assert [comp for _, comp in ours_compression] == [3 if spilled or size >= COMPRESS_MIN else 0 for size, _ in ours_compression]
    assert spilled or 0 in {comp for _, comp in ours_compression}


@pytest.mark.parametrize(
    "positions",
    [[0], [1], [7], [255], [256], [65535], [65536], [1_000_000], [0, 1], [255, 256], [3, 9, 200], [300, 70_000],
     list(range(0, 3000, 7)), list(range(1000)), list(range(1001)), list(range(2001))],
)
def test_positions_bytes_are_whoosh_own(positions):
    assert encode_positions(positions) == formats.Positions().encode(positions)
    assert encode_positions(positions) == formats.Positions().encode(positions)  # (the second from the cache)


class _Kept(io.BytesIO):
    def close(self):  # (a HashWriter closes its file: its bytes are read after)
        pass


@pytest.mark.parametrize("keys", [0, 1, 3000])
def test_term_hash_tables_are_whoosh_own(keys):
    from whoosh.filedb.filetables import OrderedHashWriter
    from whoosh.filedb.structfile import StructFile

    from searchsvc.index.whoosh_internals import writer

    written = []
    for ours in (False, True):
        buf = _Kept()
        tindex = OrderedHashWriter(StructFile(buf))
        for n, key in enumerate(sorted(b"k%06d" % (n * 7919 % 100_000) for n in range(keys))):
            tindex.add(key, b"v" * (n % 5))
        if ours:
            tindex._write_hashes = lambda tindex=tindex: writer._write_hashes(tindex)
        tindex.close()
        written.append(buf.getvalue())
    assert len(written[0]) > 1000 + 20 * keys
    assert written[0] == written[1]


@pytest.mark.parametrize("words", [700, 70_000])  # the last position under and past ENCODED_MAX
def test_index_writer_positions_of_long_texts(tmp_path, words):
    """The writer's own bytes of one and two positions, far apart, and a text past encode_positions's tables."""
    body = " ".join(["alpha"] + [f"w{n % 600}" for n in range(words)] + ["alpha", "beta", "the", "beta", "gamma"])
    assert (words > whoosh_internals.ENCODED_MAX) == (words == 70_000)
    built = []
    for text, open_it in ((fields.TEXT, lambda ix: ix.writer()), (StemmedText, open_writer)):
        folder = tmp_path / text.__name__
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), build_schema((), text=text))
        writer = open_it(ix)
        writer.add_document(id="a", title="Beta beta", summary="", body=body, tags="")
        writer.add_document(id="b", title="beta", summary="gamma", body=body[: len(body) // 3], tags="alpha")
        writer.commit()
        built.append(_contents(folder))
    assert built[0] == built[1]


@pytest.mark.keeps_resources  # the module's generation opens segment files on first use
def test_postings_read_a_block_at_a_time_equal_whoosh_items(corpus_generation, tmp_path):
    """read_posting = Whoosh's items_as("weight"), on the corpus and on an index with a deleted post."""
    generation, _ = corpus_generation
    root = synthetic_site(tmp_path / "site", n=60)
    index_dir = tmp_path / "index"
    build(root, index_dir)
    (root / "0" / "2019-03-01-post-0.md").unlink()
    write_post(root, "extra.md", "title: Budget data extra\ndate: 2019-04-01", "budget data mobile " * 50)
    report, _ = build(root, index_dir)
    assert (report.added, report.removed) == (1, 1)
    handle = IndexHandle(index_dir, ("tags",))
    small = handle.acquire()
    try:
        # every 15th term of the corpus and its long lists; every term of the small index
        for reader, step in ((generation.searcher.reader(), 15), (small.searcher.reader(), 1)):
            checked = 0
            for name in ("title", "body"):
                for i, term in enumerate(reader.lexicon(name)):
                    stem = term.decode("utf-8")
                    if i % step and reader.doc_frequency(name, stem) < 200:
                        continue
                    expected = list(reader.postings(name, stem).items_as("weight"))
                    ids, weights = whoosh_internals.read_posting(reader, name, stem)
                    assert list(zip(ids.tolist(), weights.tolist())) == expected, (name, stem)
                    checked += 1
            assert checked > 20
        reader = small.searcher.reader()
        # the removed post is still numbered (a deletion), so the general path was taken too
        assert (reader.doc_count(), reader.doc_count_all()) == (60, 61)
    finally:
        handle.release(small)
        handle.close()


@pytest.mark.keeps_resources  # the module's generation opens segment files on first use
def test_whole_columns_equal_whoosh_per_document(corpus_generation, tmp_path):
    """columns.* = Whoosh's per-document answers: on the corpus (two segments of a parallel
    build) and on an index with a deleted post and a post with an empty body."""
    generation, _ = corpus_generation
    root = synthetic_site(tmp_path / "site", n=40)
    index_dir = tmp_path / "index"
    build(root, index_dir)
    (root / "0" / "2019-03-01-post-0.md").unlink()
    write_post(root, "empty.md", "title: Front matter only\ndate: 2019-04-01", "")
    write_post(root, "undated.md", "title: Undated ünïcode\ntags: [x]", "No date here.")
    report, _ = build(root, index_dir)
    assert (report.added, report.removed) == (2, 1)
    handle = IndexHandle(index_dir, ("tags",))
    small = handle.acquire()
    try:
        for reader in (generation.searcher.reader(), small.searcher.reader()):
            size = reader.doc_count_all()
            for name in ("title", "summary", "body", "tags"):
                assert columns.length_column(reader, name).tolist() == [reader.doc_field_length(d, name, 0) or 0 for d in range(size)], name
            assert columns.numeric_column(reader, "date").tolist() == list(reader.column_reader("date", translate=False))
            assert columns.text_column(reader, "day") == list(reader.column_reader("day"))
            assert columns.numeric_column(reader, "title") is None and columns.text_column(reader, "title") == []  # no column
        reader = small.searcher.reader()
        assert (len(reader.leaf_readers()), reader.doc_count(), reader.doc_count_all()) == (2, 41, 42)
        assert columns.length_column(reader, "body").tolist()[-2:] == [0, 3]
    finally:
        handle.release(small)
        handle.close()
