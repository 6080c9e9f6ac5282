"""Index generations on disk: layout, the reindex lock, durable publishing.

Layout of an index directory::

    index/
      gen-000007/        a complete Whoosh index + manifest.json + meta.json
      gen-000008/        the newest published generation
      current -> gen-000008
      .reindex.lock      flock held by the running reindex (holds its pid)
      gen-000009.building/   a reindex in progress (or left by a killed one)

Every reindex builds a new generation directory beside the live one and
publishes it by atomically replacing the ``current`` symlink, so a searcher
always opens one complete generation (RELIABILITY.md tests 5-8).  Whoosh never
fsyncs; we fsync every file and directory before the switch.  The previous
generation is kept as a fallback for a torn live generation.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

CURRENT = "current"
LOCK_NAME = ".reindex.lock"
MANIFEST = "manifest.json"
META = "meta.json"
_GEN_RE = re.compile(r"^gen-(\d{6,})$")


class IndexError_(Exception):
    """Base for index-directory problems; messages say what to do."""


class ReindexRunning(IndexError_):
    def __init__(self, pid: str):
        self.pid = pid
        super().__init__(f"another reindex is running (pid {pid}); try again when it finishes")


class UnsafeIndexDir(IndexError_):
    pass


def gen_name(number: int) -> str:
    return f"gen-{number:06d}"


def gen_number(name: str) -> int | None:
    match = _GEN_RE.match(name)
    return int(match.group(1)) if match else None


def generations(index_dir: Path) -> list[int]:
    """Numbers of the complete generation directories, newest first."""
    try:
        names = os.listdir(index_dir)
    except FileNotFoundError:
        return []
    numbers = [n for n in (gen_number(name) for name in names) if n is not None]
    return sorted(numbers, reverse=True)


def current_generation(index_dir: Path) -> int | None:
    try:
        target = os.readlink(index_dir / CURRENT)
    except OSError:
        return None
    return gen_number(os.path.basename(target))


def check_permissions(index_dir: Path) -> None:
    """Refuse an index directory others can write to.

    Whoosh's table of contents is a pickle: whoever can write into the
    directory can make the web process run their code.
    """
    try:
        info = index_dir.stat()
    except FileNotFoundError:
        return
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeIndexDir(
            f"index directory {index_dir} is writable by its group or by others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); Whoosh's index files are pickles, "
            f"so that would let them run code here. Fix it with: chmod go-w {index_dir}"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid() and os.getuid() != 0:
        raise UnsafeIndexDir(
            f"index directory {index_dir} belongs to another user (uid {info.st_uid}); "
            f"run searchsvc as that user or give the directory to this one"
        )


def ensure_index_dir(index_dir: Path) -> None:
    index_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    check_permissions(index_dir)


class ReindexLock:
    """An exclusive flock on ``.reindex.lock``; dies with its process.

    A lock left by a killed process is therefore free at once; the pid in
    the file is only for the message shown to a second reindex.
    """

    def __init__(self, index_dir: Path):
        self.path = index_dir / LOCK_NAME
        self._fd: int | None = None
        self.stale_pid: str | None = None

    def acquire(self) -> "ReindexLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
            try:
                pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            finally:
                os.close(fd)
            raise ReindexRunning(pid) from None
        previous = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if previous and previous != str(os.getpid()):
            self.stale_pid = previous
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(directory: Path) -> None:
    for entry in os.scandir(directory):
        if entry.is_file(follow_symlinks=False):
            fsync_path(Path(entry.path))
    fsync_path(directory)


def building_dir(index_dir: Path, number: int) -> Path:
    return index_dir / f"{gen_name(number)}.building"


def remove_leftovers(index_dir: Path) -> list[str]:
    """Remove what killed runs left: unfinished builds and temporary links.

    Only called while holding the reindex lock, so nothing here is in use.
    """
    removed = []
    for entry in os.scandir(index_dir):
        if entry.name.endswith(".building") or entry.name.startswith(f"{CURRENT}.tmp"):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
    return removed


def publish(index_dir: Path, building: Path, number: int) -> Path:
    """Make a finished build the live generation, durably and atomically."""
    fsync_tree(building)
    final = index_dir / gen_name(number)
    os.rename(building, final)
    fsync_path(index_dir)
    tmp_link = index_dir / f"{CURRENT}.tmp{os.getpid()}"
    if os.path.lexists(tmp_link):
        os.unlink(tmp_link)
    os.symlink(final.name, tmp_link)
    os.replace(tmp_link, index_dir / CURRENT)
    fsync_path(index_dir)
    return final


def prune(index_dir: Path, keep: int = 2) -> list[int]:
    """Delete all but the newest ``keep`` generations (current + fallback).

    A worker still reading a pruned generation keeps its open files (POSIX
    unlink semantics) and moves to the new one at its next request.
    """
    live = current_generation(index_dir)
    numbers = generations(index_dir)
    kept = set(numbers[:keep])
    if live is not None:
        kept.add(live)
    removed = []
    for number in numbers:
        if number not in kept:
            shutil.rmtree(index_dir / gen_name(number), ignore_errors=True)
            removed.append(number)
    return removed


def read_json(path: Path, default=None):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default


def write_json(path: Path, data) -> None:
    # dumps, not dump: dump streams through the pure-Python encoder, which
    # took over a second for the manifest of 15,440 posts (BENCHMARKS.md).
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
