"""Whoosh's segment files as searchsvc opens and reads them (part of the fence: see __init__)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

from whoosh.filedb import compound
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile

from ..view_reader import ViewReader


# --- 4. segments read through the mmap ----------------------------------------


class _MappedFile(BufferFile):
    """Whoosh's file for a part of a memory-mapped segment, minus its private copy.

    BufferFile wraps the part in io.BytesIO, which copies a memoryview: every
    process held its own copy of the postings (57 MB of a 10,000-post index,
    measured; it grows with the index).  Block reads already go through the
    view (``get``); sequential reads now do too, so the pages stay in the
    page cache, shared by every worker.
    """

    def __init__(self, buf, name=None, onclose=None):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = ViewReader(memoryview(buf))


def install_mapped_buffers() -> None:
    """Make Whoosh read compound segment parts through the mmap (process-wide)."""
    compound.BufferFile = _MappedFile


# --- 5. opening an index without leaking files --------------------------------


def open_index(path: Path):
    """Open the Whoosh index in ``path`` and a searcher on it: (index, searcher).

    Whoosh leaves its files open when a torn TOC or segment makes opening
    fail (found by tests/system/test_crash.py), so every file opened on the way is
    closed on failure; on success the searcher owns them.

    Segments are read with ``pread``-style file reads, not through an mmap:
    a segment truncated under a worker that had it mapped killed the worker
    with SIGBUS at its next read of a lost page (issue 16 F5), taking its
    in-flight requests with it; a read past the end now returns short, Whoosh
    raises, and the checksums send the request to the fallback.  Cost
    (bench/bench_query.py, 2017 corpus, shared machine): p50 2.76-2.83 ms
    with the mmap, 2.83-3.42 ms without.
    """
    storage = _TrackingStorage(str(path), supports_mmap=MMAP)
    with storage.closing_on_failure():
        ix = storage.open_index()
        searcher = ix.searcher()
    return ix, searcher


def open_searcher(ix):
    """Another searcher on ``ix`` (from ``open_index``), with files of its own: one thread's, beside the others.

    It reads the same table of contents (a generation's folder is never
    written again), closes what it opened if that fails, as ``open_index``.
    """
    storage = ix.storage
    with storage.closing_on_failure():
        return ix.searcher()


class _TrackingStorage(FileStorage):
    """A FileStorage that can close every file opened through it while a block runs, if the block fails."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._opening = threading.local()

    def open_file(self, name, **kwargs):
        handle = super().open_file(name, **kwargs)
        opened = getattr(self._opening, "files", None)
        if opened is not None:
            opened.append(handle)
        return handle

    @contextmanager
    def closing_on_failure(self):
        self._opening.files = opened = []
        try:
            yield
        except BaseException:
            for handle in opened:
                try:
                    handle.close()
                except Exception:
                    pass
            raise
        finally:
            self._opening.files = None


# Whether segments are read through an mmap: faster by a few percent, but a
# segment truncated under a worker kills it (SIGBUS).  Kept for measuring.
MMAP = False


# --- 6. where each part of a segment file lies ---------------------------------


def segment_parts(path: Path) -> dict[str, tuple[int, int]]:
    """Part name (``<segment>.pst``: postings, ``.trm``: terms, ``_stored.col``:
    stored fields...) -> (offset, length) inside a compound segment file.

    For naming what a damaged byte range held (and for tests that damage one
    part on purpose); the layout is the compound file's own directory.
    """
    path = Path(path)
    handle = FileStorage(str(path.parent)).open_file(path.name)
    try:
        parts = compound.CompoundStorage(handle, use_mmap=False)
        found = {name: (info["offset"], info["length"]) for name, info in parts._dir.items()}
    finally:
        handle.close()
    return found
