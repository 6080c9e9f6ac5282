"""What a generation's files were when it was built, and whether they still are.

At build, ``record`` computes the size and SHA-256 of every file of the
generation (Whoosh's and ours, except meta.json, which holds the record);
``meta.json`` keeps them under ``"checksums"``.  ``verify`` reads every file
again and names each one that is missing, has another size or other bytes;
``sizes_match`` is the cheap check (a few stat calls) for where reading
everything costs too much.  SHA-256 runs at about 1 GB/s here (SHA
extensions), so verifying the 2017 corpus's index (~20 MB) takes ~20 ms.

A reindex verifies the live generation before it links its files, and at
x10 that was every byte of 110 MB on every run of one new post (issue 15).
So each recorded file may also carry a ``stamp``, ``[st_dev, st_ino,
st_mtime_ns]``, taken when its bytes were last hashed (or found unchanged
since), and a reindex's ``Verifier(trust_stamps=True)`` takes a file whose
stat still shows that stamp (and the recorded size) as holding the recorded
bytes without reading it.  Why that is sound: every change made through the
kernel — a write, a truncation, a write through a mapping, a copy over the
file — sets the file's mtime to the current time, and a new file (a file
replaced by rename, restored from a backup) has another inode; so a file
whose (device, inode, size, mtime) are the same has not been written since.
Two limits, both handled: timestamps have a granularity (a jiffy; seconds on
some filesystems), so a stamp is only recorded when the file's mtime was more
than ``CLEAN_AFTER_NS`` old at the time it was hashed (a later write cannot
then reuse the same mtime, the racy-git rule; the index folder is on a local
filesystem, whose timestamps come from this host's clock); and a write that
deliberately sets the mtime back (``utimensat``) with the same size is not
seen.  Damage below the filesystem (a disk returning other bytes for a block)
does not change the stamp either: that is what the full ``verify`` (no
stamps: ``/healthz?deep=1``, ``searchsvc publish`` and its pruning on the
replica) is for, and a worker that fails to read a segment marks the
generation damaged.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from . import store

CHUNK_BYTES = 1 << 20
# A file modified less than this before it was hashed gets no stamp (see above).
CLEAN_AFTER_NS = 2_000_000_000


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


def record(gen_dir: Path, previous: Path | None = None, verifier: "Verifier | None" = None) -> dict[str, dict]:
    """name -> {"size", "sha256"[, "stamp"]} of every file of a generation but meta.json.

    ``previous``: the generation this one was linked from.  A file that is a
    hard link to the same inode there, with the same size, has the bytes
    ``previous`` recorded; only the new files are read (an incremental run
    of one post hashed the whole index again, issue 15).  ``verifier``: the
    run's, which verified ``previous`` before linking; a linked file keeps a
    stamp only when the verifier saw it with that very stamp.
    """
    known = (recorded(previous) or {}) if previous is not None else {}
    verifier = verifier or Verifier()
    found = {}
    for entry in _files(gen_dir):
        info = entry.stat(follow_symlinks=False)
        want = known.get(entry.name)
        if want is not None and want.get("size") == info.st_size and _same_inode(info, previous / entry.name):
            found[entry.name] = {"size": info.st_size, "sha256": want["sha256"]}
            stamp = verifier.clean_stamp(info, want["sha256"])
        else:
            digest, stamp = verifier.hash_with_stamp(entry.path)
            found[entry.name] = {"size": info.st_size, "sha256": digest}
        if stamp is not None:
            found[entry.name]["stamp"] = stamp
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
    fallback, which links most of the same inodes.  ``trust_stamps``: a file
    whose stat shows its recorded stamp is taken as verified without being
    read (a reindex's checks; see the module's docstring for why).
    """

    def __init__(self, trust_stamps: bool = False):
        self.trust_stamps = trust_stamps
        self._seen: dict[tuple, tuple[str, bool]] = {}  # (dev, ino, size, mtime_ns) -> (sha256, clean)

    def hash_with_stamp(self, path: str | Path) -> tuple[str, list | None]:
        """(sha256, stamp or None): the stamp only when the file was old enough and unchanged while read."""
        info = os.stat(path, follow_symlinks=False)
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        found = self._seen.get(key)
        if found is None:
            started = time.time_ns()
            digest = sha256_of(path)
            after = os.stat(path, follow_symlinks=False)
            unchanged = (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns) == key
            found = (digest, unchanged and info.st_mtime_ns < started - CLEAN_AFTER_NS)
            if unchanged:
                self._seen[key] = found
        return found[0], ([info.st_dev, info.st_ino, info.st_mtime_ns] if found[1] else None)

    def digest(self, path: str | Path) -> str:
        return self.hash_with_stamp(path)[0]

    def clean_stamp(self, info: os.stat_result, digest: str) -> list | None:
        """The stamp of a file this run verified (hashed or trusted) with that stat and those bytes, else None."""
        found = self._seen.get((info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns))
        if found is None or found[0] != digest or not found[1]:
            return None
        return [info.st_dev, info.st_ino, info.st_mtime_ns]

    def _trusted(self, path: str, want: dict) -> str:
        """The recorded digest when the file still shows its recorded stamp; else the file's bytes hashed."""
        stamp = want.get("stamp")
        if self.trust_stamps and isinstance(stamp, list) and len(stamp) == 3:
            info = os.stat(path, follow_symlinks=False)
            if [info.st_dev, info.st_ino, info.st_mtime_ns] == stamp and info.st_size == want.get("size"):
                self._seen.setdefault((info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns), (want.get("sha256"), True))
                return want.get("sha256")
        return self.digest(path)

    def verify(self, gen_dir: Path, expected: dict[str, dict] | None = None) -> list[str]:
        expected = recorded(gen_dir) if expected is None else expected
        wants = {os.path.join(gen_dir, name): want for name, want in (expected or {}).items()}
        return verify(gen_dir, expected, digest=lambda path: self._trusted(str(path), wants.get(str(path), {})))


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
