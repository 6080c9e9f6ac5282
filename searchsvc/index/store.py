"""Index generations on disk: layout, the reindex lock, durable publishing.

Layout of an index directory::

    index/
      gen-000007/        a complete Whoosh index (one segment per reindex worker after
                         a full build) + manifest.json (size, mtime, status of
                         each post) + facet-counts.json + facets.json + meta.json
                         (which records the size of each Whoosh file)
      gen-000008/        the newest published generation
      current -> gen-000008
      .reindex.lock      flock held by the running reindex (holds its pid)
      gen-000009.building/   a reindex in progress (or left by a killed one)
      gen-000006.deleting/   an old generation being pruned
      gen-000005.damaged/    a generation that failed its checksums, kept as
                             evidence (never opened, never a fallback)

A generation found damaged (a worker's read error confirmed by its checksums,
or a reindex verifying what it links) gets a ``damaged.json`` marker: every
worker sees it at its next request and moves to the fallback, and the next
reindex rebuilds instead of linking its files.

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
import threading
from pathlib import Path

CURRENT = "current"
LOCK_NAME = ".reindex.lock"
MANIFEST = "manifest.json"
META = "meta.json"
# The display spelling of each facet value (most used in the posts).
FACETS_FILE = "facets.json"
# How many posts use each spelling of each facet value (manifest.count_facets):
# what facets.json's display forms are chosen from, updated by each run with
# the posts it adds and removes (the old posts' values come from the index).
FACET_COUNTS_FILE = "facet-counts.json"
# Each indexed post's facet values, written by generations before
# facet-counts.json (read once to start the counts from; no longer written).
POST_FACETS_FILE = "post-facets.json"
# The site's display names and pages of taxonomy terms (Hugo term pages,
# Jekyll's _data/authors.yml): facet -> value key -> {"label", "url"}.
TERMS_FILE = "terms.json"
# Files of ours in a generation; the rest are Whoosh's.
# Written into a generation found damaged (never part of it as built).
DAMAGED = "damaged.json"
# The posts' vocabulary (vocabulary.py; named here so store need not import numpy).
VOCABULARY_FILE = "vocabulary.bin"
OWN_FILES = (MANIFEST, META, FACETS_FILE, FACET_COUNTS_FILE, POST_FACETS_FILE, TERMS_FILE, DAMAGED, VOCABULARY_FILE)
DELETING = ".deleting"
EVIDENCE = ".damaged"
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
    """Refuse an index that others could change: the index folder, every
    generation folder and every file in them must be writable by nobody but
    their owner, and owned by this user.

    Whoosh's table of contents is a pickle: whoever can write any file or
    folder of a generation can make the web process run their code.
    """
    try:
        top = index_dir.stat()
    except FileNotFoundError:
        return
    _check_one(index_dir, top, index_dir)
    with os.scandir(index_dir) as entries:
        folders = [e.path for e in entries if not e.is_symlink() and e.is_dir(follow_symlinks=False)]
    for folder in folders:
        _check_one(Path(folder), os.lstat(folder), index_dir)
        with os.scandir(folder) as inner:
            for entry in inner:
                if not entry.is_symlink():
                    _check_one(Path(entry.path), entry.stat(follow_symlinks=False), index_dir)


def _check_one(path: Path, info: os.stat_result, index_dir: Path) -> None:
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeIndexDir(
            f"index {'directory' if stat.S_ISDIR(info.st_mode) else 'file'} {path} is writable by its group or by others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); Whoosh's index files are pickles, "
            f"so that would let them run code here. Fix it with: chmod -R go-w {index_dir}"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid() and os.getuid() != 0:
        raise UnsafeIndexDir(
            f"index {'directory' if stat.S_ISDIR(info.st_mode) else 'file'} {path} belongs to another user (uid {info.st_uid}); "
            f"run searchsvc as that user or give the index to this one: chown -R $(id -u) {index_dir}"
        )


def owner_only_writable(directory: Path) -> None:
    """Take group and other write off a generation and its files, whatever the umask was."""
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.is_symlink():
                mode = stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode)
                if mode & 0o022:
                    os.chmod(entry.path, mode & ~0o022)
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o022:
        os.chmod(directory, mode & ~0o022)


def ensure_index_dir(index_dir: Path) -> None:
    if not index_dir.exists():
        index_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
        owner_only_writable(index_dir)
    check_permissions(index_dir)


# Lock descriptors this process holds.  A forked child (the parse pool)
# inherits them, and an flock lives while any copy of its descriptor is open:
# a SIGKILLed reindex whose pool workers survived kept the lock held for ever
# (found by tests/system/test_crash.py).  Pool workers call detach_worker().
_HELD_LOCK_FDS: set[int] = set()
PID_WIDTH = 16  # the lock file's pid field (spaces when free)
_PR_SET_PDEATHSIG = 1


def detach_worker(parent_pid: int | None = None) -> None:
    """Initializer for forked helper processes of a reindex.

    Drops the inherited lock descriptors, and on Linux asks the kernel to kill
    the helper when its parent dies, so a killed reindex leaves no orphans.
    """
    for fd in list(_HELD_LOCK_FDS):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCK_FDS.clear()
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the helper exits when it finds its task queue closed
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent died before prctl took effect


class ReindexLock:
    """An exclusive flock on ``.reindex.lock``; dies with its process.

    A lock left by a killed process is therefore free at once; the pid in
    the file is only for the message shown to a second reindex.  A lock may
    also be handed to a child process (``inherited_fd``): the admin endpoint
    takes it in the web worker, so a second request gets 409 at once, and the
    reindex process it starts carries on holding it.
    """

    def __init__(self, index_dir: Path, inherited_fd: int | None = None):
        self.path = index_dir / LOCK_NAME
        self._fd: int | None = None
        self._inherited_fd = inherited_fd
        self.stale_pid: str | None = None

    def acquire(self) -> "ReindexLock":
        if self._inherited_fd is not None:
            return self._adopt(self._inherited_fd)
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
        try:
            self._claim(fd)
        except BaseException:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise
        return self

    def _adopt(self, fd: int) -> "ReindexLock":
        """Take over a lock another process acquired and handed down (admin.py)."""
        mine, theirs = os.fstat(fd), os.stat(self.path)
        if (mine.st_dev, mine.st_ino) != (theirs.st_dev, theirs.st_ino):
            raise ValueError(f"file descriptor {fd} is not {self.path}")
        # flock(LOCK_EX) on a description we already hold succeeds at once;
        # on anything else it fails rather than waits.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._claim(fd)
        return self

    def _claim(self, fd: int) -> None:
        # The pid is written over a fixed-width field, never by growing the
        # file: on a disk with 0 bytes free the lock file's block is already
        # there, so taking the lock needs no space (it raised ENOSPC, a
        # traceback, issue 16 F8).
        os.pwrite(fd, str(os.getpid()).ljust(PID_WIDTH).encode(), 0)
        if os.fstat(fd).st_size > PID_WIDTH:
            os.ftruncate(fd, PID_WIDTH)
        self._fd = fd
        _HELD_LOCK_FDS.add(fd)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            _HELD_LOCK_FDS.discard(fd)
            try:
                os.pwrite(fd, b" " * PID_WIDTH, 0)
            except OSError:
                pass  # a full disk must not keep the lock held
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def hand_over(self) -> int:
        """The locked descriptor, for a child process (``pass_fds``); call
        ``forget()`` once the child holds it."""
        if self._fd is None:
            raise RuntimeError("the lock is not held")
        return self._fd

    def forget(self) -> None:
        """Close our copy without unlocking: the child keeps the lock."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            _HELD_LOCK_FDS.discard(fd)
            os.close(fd)

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
    """Remove what killed runs left: unfinished builds, half-deleted
    generations and temporary links.

    Only called while holding the reindex lock, so nothing here is in use.
    """
    removed = []
    for entry in os.scandir(index_dir):
        if entry.name.endswith((".building", DELETING)) or entry.name.startswith(f"{CURRENT}.tmp"):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
    return removed


def publish(index_dir: Path, building: Path, number: int) -> Path:
    """Make a finished build the live generation, durably and atomically."""
    owner_only_writable(building)
    fsync_tree(building)
    final = index_dir / gen_name(number)
    os.rename(building, final)
    try:
        fsync_path(index_dir)
        tmp_link = index_dir / f"{CURRENT}.tmp{os.getpid()}"
        if os.path.lexists(tmp_link):
            os.unlink(tmp_link)
        os.symlink(final.name, tmp_link)
        os.replace(tmp_link, index_dir / CURRENT)
    except BaseException:
        # Not published: a complete but unannounced generation would still
        # be taken for a fallback and numbered around; remove it.
        shutil.rmtree(final, ignore_errors=True)
        raise
    fsync_path(index_dir)
    return final


def is_damaged(gen_dir: Path) -> bool:
    return os.path.exists(gen_dir / DAMAGED)


def mark_damaged(gen_dir: Path, problems: list[str], found_by: str) -> None:
    """Record that a generation failed its checksums: every worker leaves it at
    its next request, no reindex links its files, pruning keeps it as evidence."""
    if is_damaged(gen_dir):
        return
    # (per thread too: a worker's searches run side by side and may find the damage at once)
    tmp = gen_dir / f".{DAMAGED}.tmp{os.getpid()}.{threading.get_ident()}"
    write_json(tmp, {"found_by": found_by, "pid": os.getpid(), "problems": problems[:20]})
    os.chmod(tmp, 0o644)
    os.replace(tmp, gen_dir / DAMAGED)


def prune(index_dir: Path, keep: int = 2, verifier=None) -> list[int]:
    """Keep the live generation and the newest older one that verifies (the
    fallback); delete the rest, but keep the newest damaged one as evidence.

    A generation that fails its checksums is never kept as the fallback: it
    is renamed ``gen-N.damaged`` (no longer a generation to any reader), and
    only the newest such folder is kept.  ``verifier`` (integrity.Verifier)
    remembers the files this run has hashed already, so the fallback's files
    that the live generation links are not read twice.

    A worker still reading a pruned generation keeps its open files (POSIX
    unlink semantics) and moves to the new one at its next request.
    """
    from . import integrity

    verifier = verifier or integrity.Verifier()
    live = current_generation(index_dir)
    numbers = generations(index_dir)
    kept = {live} if live is not None else set(numbers[:1])
    removed = []
    for number in numbers:
        if number in kept:
            continue
        path = index_dir / gen_name(number)
        if len(kept) < keep:
            problems = ["marked damaged"] if is_damaged(path) else verifier.verify(path)
            if not problems:
                kept.add(number)
                continue
            if integrity.recorded(path) is None:  # built before checksums: cannot be trusted, is not evidence
                if _remove(index_dir, gen_name(number)):
                    removed.append(number)
                continue
            try:
                mark_damaged(path, problems, "reindex (pruning)")
            except OSError:
                pass  # (a full disk: renamed as evidence all the same)
            try:
                os.rename(path, index_dir / (gen_name(number) + EVIDENCE))
            except OSError:
                pass
            continue
        if _remove(index_dir, gen_name(number)):
            removed.append(number)
    for number in sorted(_evidence(index_dir), reverse=True)[1:]:
        _remove(index_dir, gen_name(number) + EVIDENCE)
    return removed


def _evidence(index_dir: Path) -> list[int]:
    return [n for n in (gen_number(name[: -len(EVIDENCE)]) for name in os.listdir(index_dir) if name.endswith(EVIDENCE)) if n is not None]


def _remove(index_dir: Path, name: str) -> bool:
    # Renamed first: a run killed half-way through rmtree must not
    # leave a torn directory that still looks like a generation.
    doomed = index_dir / (name + DELETING)
    try:
        os.rename(index_dir / name, doomed)
    except OSError:
        return False  # the new generation is published; the next run retries
    shutil.rmtree(doomed, ignore_errors=True)
    return True


def read_json(path: Path, default=None):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default


def write_json(path: Path, data) -> None:
    # ASCII escapes: a file name that is not UTF-8 reaches the manifest as a
    # lone surrogate, which a UTF-8 writer refuses — that crashed a whole
    # reindex (found by tests/system/test_hostile_content.py).
    # dumps, not dump: dump streams through the pure-Python encoder, which
    # took over a second for the manifest of 15,440 posts (BENCHMARKS.md).
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
