"""Issue 16 F5: damage never costs the last good generation.

Driven as the finding was: a real index of a few hundred generated posts,
bytes of a live segment overwritten or the segment truncated on disk, then
the real ``searchsvc reindex`` run as a process.  Before the fix the plain
reindex hard-linked the damaged segment into the new generation (every
search failed) and pruned the good one; ``--full`` after a truncation kept
the damaged generation as the fallback and deleted the good one.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from searchsvc.index import integrity, store

from ..conftest import open_app, searchsvc_exe, write_post

POSTS = 240
WORDS = [f"{a}{b}" for a in ("lorem", "ipsum", "dolor", "amet", "magna", "porta", "velit", "nulla") for b in ("ar", "es", "on", "ix", "ul", "em")]


def make_site(root: Path, posts: int = POSTS) -> Path:
    rng = random.Random(16)
    for i in range(posts):
        body = " ".join(rng.choice(WORDS) for _ in range(120))
        write_post(root, f"posts/post-{i:04d}.md", f"title: Post number {i}\ndate: 2016-02-{1 + i % 28:02d}\ntags: [t{i % 5}]", f"uniqueterm{i} {body}")
    return root


def reindex(site: Path, index_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    return subprocess.run([searchsvc_exe(), "reindex", str(site), "--index", str(index_dir), "-q", *extra], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def copy(tmp_path):
    """A site and an index with two independently built generations (no shared files).

    (Built for each test: the site's folder is part of the settings'
    fingerprint, so a copied site would be rebuilt in full whatever happened.)
    """
    site = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    for extra in ((), ("--full",)):
        done = reindex(site, index_dir, *extra)
        assert done.returncode == 0, done.stderr
    assert store.generations(index_dir) == [2, 1]
    return site, index_dir


def largest_segment(gen_dir: Path) -> Path:
    return max((p for p in gen_dir.iterdir() if p.suffix == ".seg"), key=lambda p: p.stat().st_size)


def overwrite_inside(path: Path) -> None:
    """Same size, other bytes: what a bad disk block or a stray write does."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 20)
        handle.write(random.Random(5).randbytes(size // 3))
    assert path.stat().st_size == size


def answers(index_dir: Path, numbers) -> dict[int, object]:
    """uniqueterm<i> -> the titles found (or the HTTP status when not 200)."""
    found = {}
    with open_app({"index_dir": str(index_dir)}) as app:
        client = app.test_client()
        for i in numbers:
            response = client.get(f"/search.json?q=uniqueterm{i}")
            found[i] = [r["title"] for r in response.json["results"]] if response.status_code == 200 else response.status_code
    return found


@pytest.mark.slow  # fault injection: real reindex commands over damaged files
def test_a_plain_reindex_rebuilds_a_damaged_live_generation_instead_of_linking_it(copy):
    site, index_dir = copy
    overwrite_inside(largest_segment(index_dir / "gen-000002"))
    write_post(site, "posts/post-0007.md", "title: Post number 7 edited\ndate: 2016-02-08", "uniqueterm7 freshword")

    done = reindex(site, index_dir)

    assert done.returncode == 0, done.stderr
    assert "generation 2 is damaged (gen-000002/" in done.stderr and "rebuilt in full from the content instead of linking its files" in done.stderr
    assert store.current_generation(index_dir) == 3
    assert integrity.verify(index_dir / "gen-000003") == []
    sample = [0, 1, 7, 50, 119, 120, 200, 239]
    assert answers(index_dir, sample) == {i: ["Post number 7 edited" if i == 7 else f"Post number {i}"] for i in sample}
    # The fallback is the newest generation that verifies; the damaged one is evidence only.
    assert store.generations(index_dir) == [3, 1]
    assert integrity.verify(index_dir / "gen-000001") == []
    evidence = index_dir / "gen-000002.damaged"
    assert "content differs from its recorded checksum" in store.read_json(evidence / store.DAMAGED)["problems"][0]


@pytest.mark.slow  # fault injection: real reindex commands over damaged files
def test_a_full_rebuild_after_a_truncation_keeps_the_good_generation_as_fallback(copy):
    site, index_dir = copy
    segment = largest_segment(index_dir / "gen-000002")
    os.truncate(segment, segment.stat().st_size // 2)

    done = reindex(site, index_dir, "--full")

    assert done.returncode == 0, done.stderr
    assert store.current_generation(index_dir) == 3
    assert store.generations(index_dir) == [3, 1]  # before: [3, 2], the good generation 1 deleted
    assert integrity.verify(index_dir / "gen-000001") == []
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-")) == ["gen-000001", "gen-000002.damaged", "gen-000003"]
    # A later run keeps one piece of evidence at most, and always a fallback that verifies.
    write_post(site, "posts/post-0300.md", "title: A new post\ndate: 2016-03-01", "uniqueterm300")
    assert reindex(site, index_dir).returncode == 0
    assert store.generations(index_dir) == [4, 3]
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-")) == ["gen-000002.damaged", "gen-000003", "gen-000004"]
    assert answers(index_dir, [300, 5]) == {300: ["A new post"], 5: ["Post number 5"]}
