"""What a generation's files were when it was built, and whether they still are.

At build, ``record`` computes the size and SHA-256 of every file of the
generation (Whoosh's and ours, except meta.json, which holds the record);
``meta.json`` keeps them under ``"checksums"``.  ``verify`` reads every file
again and names each one that is missing, has another size or other bytes;
``sizes_match`` is the cheap check (a few stat calls) for where reading
everything costs too much.  SHA-256 runs at about 1 GB/s here (SHA
extensions), so verifying the 2017 corpus's index (~20 MB) takes ~20 ms.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import store

CHUNK_BYTES = 1 << 20


def _files(gen_dir: Path) -> list[os.DirEntry]:
    return sorted(
        (
            e
            for e in os.scandir(gen_dir)
            if e.is_file(follow_symlinks=False)
            and e.name not in (store.META, store.DAMAGED)
            and not e.name.endswith("_WRITELOCK")
            and not e.name.startswith(f".{store.DAMAGED}.tmp")
        ),
        key=lambda e: e.name,
    )


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def record(gen_dir: Path, previous: Path | None = None) -> dict[str, dict]:
    """name -> {"size", "sha256"} of every file of a generation but meta.json.

    ``previous``: the generation this one was linked from.  A file that is a
    hard link to the same inode there, with the same size, has the bytes
    ``previous`` recorded; only the new files are read (an incremental run
    of one post hashed the whole index again, issue 15).
    """
    known = (recorded(previous) or {}) if previous is not None else {}
    found = {}
    for entry in _files(gen_dir):
        info = entry.stat(follow_symlinks=False)
        want = known.get(entry.name)
        if want is not None and want.get("size") == info.st_size and _same_inode(info, previous / entry.name):
            found[entry.name] = {"size": info.st_size, "sha256": want["sha256"]}
        else:
            found[entry.name] = {"size": info.st_size, "sha256": sha256_of(entry.path)}
    return found


def _same_inode(info: os.stat_result, other: Path) -> bool:
    try:
        theirs = os.stat(other, follow_symlinks=False)
    except OSError:
        return False
    return (theirs.st_dev, theirs.st_ino) == (info.st_dev, info.st_ino)


def recorded(gen_dir: Path) -> dict[str, dict] | None:
    """The checksums meta.json holds, or None for a generation built before they were recorded."""
    found = (store.read_json(gen_dir / store.META, {}) or {}).get("checksums")
    return found if isinstance(found, dict) else None


def verify(gen_dir: Path, expected: dict[str, dict] | None = None, digest=sha256_of) -> list[str]:
    """One line per file that is not as recorded; [] when every byte is.

    A generation with no record at all is reported as such (it cannot be
    verified, so it is not trusted as a fallback either).  ``digest``: how a
    file is hashed (a Verifier's, to hash each inode once per run).
    """
    expected = recorded(gen_dir) if expected is None else expected
    if expected is None:
        return [f"{gen_dir.name}: no checksums recorded (built by an older searchsvc); cannot verify"]
    problems = []
    try:
        present = {e.name: e for e in _files(gen_dir)}
    except OSError as exc:
        return [f"{gen_dir.name}: cannot be listed ({exc.strerror or exc})"]
    for name, want in sorted(expected.items()):
        entry = present.get(name)
        if entry is None:
            problems.append(f"{gen_dir.name}/{name}: missing")
            continue
        try:
            size = entry.stat(follow_symlinks=False).st_size
            if size != want.get("size"):
                problems.append(f"{gen_dir.name}/{name}: {size} bytes, {want.get('size')} recorded")
            elif digest(entry.path) != want.get("sha256"):
                problems.append(f"{gen_dir.name}/{name}: content differs from its recorded checksum")
        except OSError as exc:
            problems.append(f"{gen_dir.name}/{name}: cannot be read ({exc.strerror or exc})")
    for name in sorted(set(present) - set(expected)):
        problems.append(f"{gen_dir.name}/{name}: not part of the generation as built")
    return problems


class Verifier:
    """``verify`` for one run, hashing each file (inode) at most once.

    Generations share files by hard link: a reindex verifies the live
    generation's files before linking them, then pruning verifies the
    fallback, which links most of the same inodes.
    """

    def __init__(self):
        self._seen: dict[tuple, str] = {}

    def digest(self, path: str | Path) -> str:
        info = os.stat(path, follow_symlinks=False)
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = sha256_of(path)
        return found

    def verify(self, gen_dir: Path, expected: dict[str, dict] | None = None) -> list[str]:
        return verify(gen_dir, expected, digest=self.digest)


def sizes_match(gen_dir: Path, expected: dict[str, dict] | None = None) -> bool:
    """The cheap check: every recorded file present with its recorded size."""
    expected = recorded(gen_dir) if expected is None else expected
    if expected is None:
        return False
    try:
        present = {e.name: e.stat(follow_symlinks=False).st_size for e in _files(gen_dir)}
    except OSError:
        return False
    return present == {name: want.get("size") for name, want in expected.items()}
