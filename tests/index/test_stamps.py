"""A reindex's cheaper verification: files whose (device, inode, size, mtime) are as recorded are not read again.

Issue 15: verifying before linking read every byte of the live generation
(110 MB at x10) on every run of one new post.  integrity's docstring says
why trusting a stamp is sound; these tests pin what it sees and what only the
full check sees.
"""

from __future__ import annotations

import os
import time

from searchsvc.index import integrity, store

from ..conftest import build, write_post

HOUR_NS = 3600 * 10**9


def _site(tmp_path):
    root = tmp_path / "site"
    for i in range(6):
        write_post(root, f"posts/p{i}.md", f"title: Post {i}\ndate: 2016-01-0{i + 1}", f"word{i} common words")
    return root


def _age(gen):
    """The generation's files as if written an hour ago (a stamp is only kept for files older than 2 s)."""
    then = time.time_ns() - HOUR_NS
    for path in gen.iterdir():
        os.utime(path, ns=(then, then), follow_symlinks=False)


def _segments(gen):
    return sorted((p for p in gen.iterdir() if p.suffix == ".seg"), key=lambda p: -p.stat().st_size)


def _two_generations(tmp_path):
    """gen 1 built in full (no stamps: its files were fresh), aged; gen 2 one new post later."""
    root, index_dir = _site(tmp_path), tmp_path / "index"
    first, _ = build(root, index_dir)
    _age(index_dir / store.gen_name(first.generation))
    write_post(root, "posts/new.md", "title: New\ndate: 2016-02-01", "freshword")
    second, _ = build(root, index_dir)
    assert (first.generation, second.generation, second.full) == (1, 2, False)
    return root, index_dir, index_dir / "gen-000001", index_dir / "gen-000002"


def test_stamps_are_recorded_only_for_linked_files_verified_old_enough(tmp_path):
    _, _, gen1, gen2 = _two_generations(tmp_path)
    assert all("stamp" not in want for want in integrity.recorded(gen1).values())  # hashed as written: too fresh
    recorded = integrity.recorded(gen2)
    linked = _segments(gen1)[0]
    info = (gen2 / linked.name).stat()
    assert (gen2 / linked.name).stat().st_ino == linked.stat().st_ino
    assert recorded[linked.name]["stamp"] == [info.st_dev, info.st_ino, info.st_mtime_ns]
    fresh = [name for name in recorded if not (gen1 / name).exists() or (gen1 / name).stat().st_ino != (gen2 / name).stat().st_ino]
    assert "manifest.json" in fresh and fresh
    assert [name for name in fresh if "stamp" in recorded[name]] == []  # written by this run: no stamp yet


def test_a_write_into_a_stamped_segment_is_still_found_before_linking(tmp_path):
    root, index_dir, _, gen2 = _two_generations(tmp_path)
    segment = _segments(gen2)[0]
    assert "stamp" in integrity.recorded(gen2)[segment.name]
    size = segment.stat().st_size
    with open(segment, "r+b") as handle:  # a stray write: the kernel sets a new mtime
        handle.seek(size // 2)
        byte = handle.read(1)
        handle.seek(size // 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    write_post(root, "posts/newer.md", "title: Newer\ndate: 2016-02-02", "newerword")
    third, _ = build(root, index_dir)
    assert third.full and third.generation == 3
    assert any(n.startswith(f"generation 2 is damaged (gen-000002/{segment.name}: content differs from its recorded checksum)") for n in third.notices)
    assert integrity.verify(index_dir / "gen-000003") == []


def test_only_the_full_check_sees_bytes_changed_behind_a_restored_mtime(tmp_path):
    """The documented limit: a write that sets the mtime back (or a disk returning
    other bytes) keeps the stamp; the reindex's check trusts it, the full check does not."""
    _, _, _, gen2 = _two_generations(tmp_path)
    segment = _segments(gen2)[0]
    info = segment.stat()
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with open(segment, "r+b") as handle:
        handle.write(data)
    os.utime(segment, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert integrity.Verifier(trust_stamps=True).verify(gen2) == []
    assert integrity.Verifier().verify(gen2) == [f"gen-000002/{segment.name}: content differs from its recorded checksum"]
    assert integrity.verify(gen2) == [f"gen-000002/{segment.name}: content differs from its recorded checksum"]


def test_a_file_modified_within_two_seconds_of_being_hashed_gets_no_stamp(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1000)
    digest, stamp = integrity.Verifier().hash_with_stamp(path)
    assert (digest, stamp) == (integrity.sha256_of(path), None)
    then = time.time_ns() - HOUR_NS
    os.utime(path, ns=(then, then))
    info = path.stat()
    assert integrity.Verifier().hash_with_stamp(path) == (digest, [info.st_dev, info.st_ino, then])
