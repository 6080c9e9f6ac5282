"""The vocabulary stored in the generation at reindex time (index/vocabulary.py).

It must be the vocabulary the workers used to build from every stored post:
the reference below is that build as it was (searchsvc before issue 15's
stored vocabulary), kept here as the oracle.
"""

from __future__ import annotations

import mmap
import shutil
from collections import Counter

import numpy as np
import pytest

from searchsvc.index import integrity, store
from searchsvc.index import vocabulary as stored
from searchsvc.index.whoosh_internals import open_index
from searchsvc.query import suggest
from searchsvc.query.generation import IndexHandle
from searchsvc.words import WORD

from ..conftest import SAMPLE, build, conf, write_post

TYPED = ["cust", "gov", "acc", "section 5", "mobile a", "open d", "plain lang", "customer ", "x", "508", "data", "zzz", "user exp"]
TYPOS = ["goverment", "custommer", "accesibility", "anlytics", "mobil", "experiance", "plian", "desgin", "recieve"]


def reference(gen, reader):
    """df, pairs {(word, next): posts}, titles [(text, url, day)] newest first: the former per-worker build."""
    df: Counter = Counter()
    pairs: Counter = Counter()
    titles = []
    for docnum, fields in reader.iter_docs():
        if not gen.live[docnum]:
            continue
        title = fields.get("title", "")
        text = "\n".join((title, fields.get("summary", ""), fields.get("body", ""))).lower()
        df.update(set(WORD.findall(text)))
        found = set()
        for line in (title, fields.get("summary", "")):
            words = WORD.findall(line.lower())
            found.update(zip(words, words[1:]))
        pairs.update(found)
        titles.append((title, fields.get("url", ""), fields.get("date_iso", "")[:10]))
    titles.sort(key=lambda t: t[2], reverse=True)
    for key, docs in gen.postings.get("tags", {}).items():
        words = WORD.findall(gen.display["tags"].get(key, key).lower())
        df.update(w for w in words if w not in df)
        for pair in zip(words, words[1:]):
            pairs[pair] += len(docs)
    return dict(df), dict(pairs), titles


def all_pairs(vocab) -> dict:
    return {(first, second): n for first in vocab.sorted_words for second, n in vocab.next_words.following(first)}


def opened(index_dir):
    handle = IndexHandle(index_dir, conf(index_dir=str(index_dir))["facets"])
    return handle, handle.acquire()


def drop_stored_vocabulary(path):
    """The generation at ``path`` as an older searchsvc built it: no vocabulary file."""
    (path / stored.FILE).unlink()
    meta = store.read_json(path / store.META, {})
    del meta["checksums"][stored.FILE]
    store.write_json(path / store.META, meta)


def assert_as_reference(gen, scratch):
    """The vocabulary loaded from the generation's file equals the former build from its stored posts,
    and equals what a worker builds from the stored posts of a generation without the file."""
    assert (gen.path / stored.FILE).is_file()
    loaded = suggest.vocabulary(gen)
    _, searcher = open_index(gen.path)
    with searcher:
        df, pairs, titles = reference(gen, searcher.reader())
    assert loaded.df == df
    assert loaded.sorted_words == sorted(df)
    assert all_pairs(loaded) == pairs
    got = [(t.text, t.url, t.day) for t in loaded.titles]
    assert sorted(got) == sorted(titles)
    assert [t[2] for t in got] == [t[2] for t in titles]  # newest first (ties: by post id)
    shutil.copytree(gen.path.parent, scratch, symlinks=True)
    drop_stored_vocabulary(scratch / gen.path.name)
    handle, older = opened(scratch)
    try:
        rebuilt = suggest.vocabulary(older)
        assert not (older.path / stored.FILE).exists()
        for word in TYPOS:
            assert loaded.corrections(word) == rebuilt.corrections(word), word
        assert [suggest.typeahead(gen, q) for q in TYPED] == [suggest.typeahead(older, q) for q in TYPED]
    finally:
        handle.release(older)
        handle.close()
    return loaded


def test_the_generation_holds_its_vocabulary_and_checksums_it(sample_index, tmp_path):
    index_dir, _ = sample_index
    handle, gen = opened(index_dir)
    try:
        assert stored.FILE in integrity.recorded(gen.path)
        vocab = assert_as_reference(gen, tmp_path / "older")
        assert vocab.corrections("goverment") == [("government", 1, 10), ("governments", 2, 1)]
        assert vocab.next_words.following("section") == [("508", 3)]
        assert [s["text"] for s in suggest.typeahead(gen, "section 5")][:2] == ["section 508", "Section 508"]
    finally:
        handle.release(gen)
        handle.close()


def test_the_2017_corpus_vocabulary_is_the_former_build(corpus_index, tmp_path):
    index_dir, _ = corpus_index
    handle, gen = opened(index_dir)
    try:
        vocab = assert_as_reference(gen, tmp_path / "older")
        assert vocab.corrections("goverment")[0] == ("government", 1, 1098)
    finally:
        handle.release(gen)
        handle.close()


def arrays_of(index_dir) -> dict:
    path = index_dir / store.gen_name(store.current_generation(index_dir))
    totals = stored.read(path)
    return {name: (list(v) if isinstance(v, list) else np.asarray(v).tolist()) for name, v in vars(totals).items()}


def test_an_incremental_reindex_gives_the_vocabulary_of_a_full_one(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(SAMPLE, content)
    posts = sorted(p for p in content.rglob("*.md") if "date:" in p.read_text(encoding="utf-8"))
    build(content, tmp_path / "inc")
    # add, change (title and body), delete
    write_post(content, "content/posts/2016-12-01-zebra-crossings.md", "title: Zebra Crossings for Civic Tech\ndate: 2016-12-01\ntags: [Zebra Stripes]", "Quokka words appear here.")
    changed = posts[0]
    changed.write_text(changed.read_text(encoding="utf-8").replace("\n---\n", "\n---\n\nNarwhal paragraph added.\n", 1), encoding="utf-8")
    gone = posts[1]
    gone.unlink()
    report, _ = build(content, tmp_path / "inc")
    assert (report.full, report.added, report.updated, report.removed) == (False, 1, 1, 1)
    build(content, tmp_path / "full")
    assert arrays_of(tmp_path / "inc") == arrays_of(tmp_path / "full")
    handle, gen = opened(tmp_path / "inc")
    try:
        vocab = assert_as_reference(gen, tmp_path / "older")
        assert (vocab.df["quokka"], vocab.df["narwhal"]) == (1, 1)
        assert [s["text"] for s in suggest.typeahead(gen, "zebra")] == ["zebra", "Zebra Stripes", "Zebra Crossings for Civic Tech"]
    finally:
        handle.release(gen)
        handle.close()


def mapped(array) -> bool:
    """Whether ``array`` reads the generation's mapped file in place (shared pages), not a private copy."""
    while isinstance(array, (np.ndarray, memoryview)):
        array = array.base if isinstance(array, np.ndarray) else array.obj
    return isinstance(array, mmap.mmap)


def test_tag_only_words_join_the_vocabulary_and_the_stored_codes_stay_mapped(tmp_path):
    """A tag's words that no post has are words of the vocabulary (1 post), completed after the tag's
    first word; the stored pair and title codes are still the mapped file's, not renumbered copies
    (those were ~16 MB of every worker's private memory at 100,000 posts)."""
    content = tmp_path / "content"
    shutil.copytree(SAMPLE, content)
    write_post(content, "content/posts/2016-12-01-zebra-crossings.md", "title: Zebra Crossings for Civic Tech\ndate: 2016-12-01\ntags: [Zebra Stripes]", "Quokka words appear here.")
    build(content, tmp_path / "ix")
    handle, gen = opened(tmp_path / "ix")
    try:
        vocab = assert_as_reference(gen, tmp_path / "older")
        assert "stripes" not in stored.read(gen.path).words
        assert (vocab.df["stripes"], vocab.df["zebra"], vocab.df["crossings"]) == (1, 1, 1)
        assert vocab.next_words.following("zebra") == [("crossings", 1), ("stripes", 1)]
        assert vocab.next_words.following("stripes") == []
        assert [s["text"] for s in suggest.typeahead(gen, "zebra s")] == ["zebra stripes", "Zebra Stripes"]
        assert [s["text"] for s in suggest.typeahead(gen, "stripe")] == ["stripes", "Zebra Stripes"]
        assert [vocab.titles[n].text for n in vocab.title_prefixes.get("crossi")] == ["Zebra Crossings for Civic Tech"]
        assert mapped(vocab.next_words.codes) and mapped(vocab.next_words.counts) and mapped(vocab.title_prefixes.codes)
    finally:
        handle.release(gen)
        handle.close()


def test_a_generation_without_the_file_builds_it_as_before(tmp_path):
    """A generation built by an older searchsvc has no vocabulary file: the worker reads the posts,
    and the next incremental run stores the file, as a full run would."""
    content = tmp_path / "content"
    shutil.copytree(SAMPLE, content)
    build(content, tmp_path / "ix")
    drop_stored_vocabulary(tmp_path / "ix" / store.gen_name(1))
    handle, gen = opened(tmp_path / "ix")
    try:
        assert [s["text"] for s in suggest.typeahead(gen, "cust")][:3] == ["customer", "customers", "custom"]
    finally:
        handle.release(gen)
        handle.close()
    write_post(content, "content/posts/2016-12-02-quokka.md", "title: Quokka Census\ndate: 2016-12-02")
    report, _ = build(content, tmp_path / "ix")
    assert (report.full, report.added, report.generation) == (False, 1, 2)
    build(content, tmp_path / "full")
    assert arrays_of(tmp_path / "ix") == arrays_of(tmp_path / "full")


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_vocabulary_file_is_found_by_the_checksums(tmp_path, damage):
    build(SAMPLE, tmp_path / "ix")
    path = tmp_path / "ix" / store.gen_name(1)
    target = path / stored.FILE
    data = bytearray(target.read_bytes())
    if damage == "truncate":
        target.write_bytes(bytes(data[: len(data) // 2]))
    else:
        data[-3] ^= 0xFF
        target.write_bytes(bytes(data))
    assert [p for p in integrity.verify(path) if stored.FILE in p] != []
