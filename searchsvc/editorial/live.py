"""The settings folder as the server sees it: re-read when a file changes.

Each lookup stats the settings files (at most every 0.2 s: searchsvc/stamps.py); a change of modification
time or size re-reads them, so an edit applies within a fraction of a second with no
reindex and no re-parse of the posts.  A folder that cannot be read is
treated as empty (search never breaks on it).
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..stamps import stamp as file_stamp
from .files import FILES, EditorialSettings, load


def _stamp(folder: Path) -> tuple:
    return tuple(file_stamp(folder / name) for name in FILES)


class LiveSettings:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._stamp: tuple | None = None
        self._settings = EditorialSettings()

    def current(self, folder: Path) -> EditorialSettings:
        stamp = _stamp(folder)
        with self._lock:
            if folder != self._folder or stamp != self._stamp:
                try:
                    self._settings = load(folder)
                except OSError:
                    self._settings = EditorialSettings()
                self._folder, self._stamp = folder, stamp
            return self._settings
