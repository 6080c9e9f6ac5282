"""What identifies a settings file's content now (mtime, size, inode), looked up at most every STAMP_SECONDS.

The editors' files and the synonyms list are read at query time so that an
edit applies with no reindex, which took a ``stat`` of each of them on every
search: 7 per cached hit, a third of its time in-process (0.84 against
0.52-0.63 ms before they were added).  A stamp this recent is reused
instead, so an edit still applies within a fraction of a second, in every
worker, and a search costs no ``stat`` at all most of the time.
"""

from __future__ import annotations

import os
import threading
import time

STAMP_SECONDS = 0.2
_recent: dict[str, tuple[float, tuple | None]] = {}
_lock = threading.Lock()


def stamp(path: str | os.PathLike) -> tuple | None:
    """(mtime_ns, size, inode) of ``path``, or None when it cannot be stat'ed."""
    key = os.fspath(path)
    now = time.monotonic()
    with _lock:
        found = _recent.get(key)
    if found is not None and now - found[0] < STAMP_SECONDS:
        return found[1]
    try:
        info = os.stat(key)
        value = (info.st_mtime_ns, info.st_size, info.st_ino)
    except OSError:
        value = None
    with _lock:
        if len(_recent) > 256:  # settings files are few; anything else is a misuse: forget it all
            _recent.clear()
        _recent[key] = (now, value)
    return value
