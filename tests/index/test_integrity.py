"""index/integrity.py: every file of a generation as built, checked byte for byte."""

from __future__ import annotations

import os

from searchsvc.index import integrity, store

from ..conftest import build, write_post


def _generation(tmp_path):
    root = tmp_path / "site"
    write_post(root, "posts/a.md", "title: Alpha\ndate: 2016-01-01", "alpha words")
    write_post(root, "posts/b.md", "title: Beta\ndate: 2016-01-02", "beta words")
    index_dir = tmp_path / "index"
    report, _ = build(root, index_dir)
    return index_dir / store.gen_name(report.generation)


def _largest_segment(gen):
    return max((p for p in gen.iterdir() if p.suffix == ".seg"), key=lambda p: p.stat().st_size)


def test_a_fresh_generation_verifies(tmp_path):
    gen = _generation(tmp_path)
    checksums = integrity.recorded(gen)
    assert sorted(checksums) == sorted(p.name for p in gen.iterdir() if p.name != "meta.json" and not p.name.endswith("_WRITELOCK"))
    assert {"manifest.json", "facets.json", "facet-counts.json"} <= set(checksums)
    assert integrity.verify(gen) == []
    assert integrity.sizes_match(gen)


def test_bytes_overwritten_in_place_are_found_by_the_checksum_not_the_size(tmp_path):
    gen = _generation(tmp_path)
    segment = _largest_segment(gen)
    size = segment.stat().st_size
    with open(segment, "r+b") as handle:
        handle.seek(size // 2)
        byte = handle.read(1)
        handle.seek(size // 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert segment.stat().st_size == size
    assert integrity.sizes_match(gen)  # the cheap check cannot see it
    assert integrity.verify(gen) == [f"{gen.name}/{segment.name}: content differs from its recorded checksum"]


def test_truncated_missing_and_extra_files_are_each_named(tmp_path):
    gen = _generation(tmp_path)
    segment = _largest_segment(gen)
    recorded_size = integrity.recorded(gen)[segment.name]["size"]
    os.truncate(segment, 10)
    (gen / "facets.json").unlink()
    (gen / "stray.bin").write_bytes(b"x")
    assert integrity.verify(gen) == [  # recorded files in name order ("MAIN_" sorts first), then strays
        f"{gen.name}/{segment.name}: 10 bytes, {recorded_size} recorded",
        f"{gen.name}/facets.json: missing",
        f"{gen.name}/stray.bin: not part of the generation as built",
    ]
    assert not integrity.sizes_match(gen)


def test_a_generation_without_a_record_cannot_be_verified(tmp_path):
    gen = _generation(tmp_path)
    meta = store.read_json(gen / store.META)
    del meta["checksums"]
    store.write_json(gen / store.META, meta)
    assert integrity.verify(gen) == [f"{gen.name}: no checksums recorded (built by an older searchsvc); cannot verify"]


def test_an_incremental_generation_takes_the_linked_files_checksums_and_hashes_only_its_new_files(tmp_path):
    gen = _generation(tmp_path)
    write_post(tmp_path / "site", "posts/c.md", "title: Gamma\ndate: 2016-01-03", "gamma words")
    report, _ = build(tmp_path / "site", tmp_path / "index")
    new = tmp_path / "index" / store.gen_name(report.generation)
    assert not report.full and new != gen
    assert integrity.verify(new) == []  # every recorded checksum is the file's real one
    assert integrity.recorded(new) == integrity.record(new)  # same as hashing everything again
    linked = _largest_segment(gen)
    assert os.path.samefile(linked, new / linked.name)
    # The linked file's checksum is the previous generation's record, not a new read:
    meta = store.read_json(gen / store.META)
    meta["checksums"][linked.name]["sha256"] = "0" * 64
    store.write_json(gen / store.META, meta)
    assert integrity.record(new, gen)[linked.name]["sha256"] == "0" * 64
    fresh = [name for name in integrity.record(new, gen) if not os.path.exists(gen / name) or not os.path.samefile(gen / name, new / name)]
    assert "manifest.json" in fresh and integrity.record(new, gen)["manifest.json"] == integrity.record(new)["manifest.json"]
