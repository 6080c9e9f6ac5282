"""Recording off the request path: a bounded queue and a writer thread per process.

``Recorder.search`` and ``Recorder.click`` only put a small tuple on a
bounded queue (``put_nowait``): when the queue is full the count is dropped
(and the drop itself counted), so a slow or locked database can never slow
or fail a search.  A writer thread sums what is queued into one batch and
adds it to the database in one transaction (under load, at most one every
``BATCH_SECONDS``).  It runs only while there is something to write: it is
started by an event and ends ``IDLE_SECONDS`` after the last one, and it
opens the database per batch, so an idle worker (or a test's app) holds no
thread and no file.  The process id is checked, so a gunicorn worker forked from a
preloaded master starts its own.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import queue
import sqlite3
import sys
import threading
from pathlib import Path

from ..editorial.files import normalise
from . import store

BATCH_SECONDS = 0.5  # one transaction per worker at most this often
IDLE_SECONDS = 0.25
MAX_QUERY_CHARS = 200  # a longer "query" is not something an editor can act on
_STOP = object()


def normalised(q: str) -> str:
    return normalise(q)[:MAX_QUERY_CHARS]


class Recorder:
    def __init__(self, index_dir: Path, queue_size: int, retention_days: int):
        self.index_dir = Path(index_dir)
        self.retention_days = retention_days
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._dropped: dict[str, int] = {}
        self._closed = False
        self._closing = threading.Event()
        self._pruned = False

    # -- the request side: never blocks, never raises --------------------
    def search(self, q: str, results: int, day: dt.date | None = None) -> None:
        query = normalised(q)
        if query:
            self._put(("s", (day or dt.date.today()).isoformat(), query, int(results)))

    def click(self, q: str, position: int, day: dt.date | None = None) -> None:
        query = normalised(q)
        if query and position >= 1:
            self._put(("c", (day or dt.date.today()).isoformat(), query, int(position)))

    def _put(self, event: tuple) -> None:
        if self._closed:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            with self._lock:  # read and emptied by the writer
                self._dropped[event[1]] = self._dropped.get(event[1], 0) + 1
        self._ensure_writer()

    def _ensure_writer(self) -> None:
        # Called after the put: either the writer, deciding to stop, sees the
        # event, or this sees that it stopped (both look under the lock).
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                if self._pid is not None:  # forked: the parent's queue and thread are not ours
                    self._queue = queue.Queue(maxsize=self._queue.maxsize)
                    self._dropped = {}
                    self._thread = None
                self._pid = os.getpid()
                atexit.register(self.close)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="analytics-writer", daemon=True)
                self._thread.start()

    # -- the writer thread ------------------------------------------------
    def _run(self) -> None:
        while True:
            searches: dict = {}
            clicks: dict = {}
            if not self._write_batch(searches, clicks):
                return
            # Under load, let the next batch gather instead of one write per search
            # (cut short by close(): an app closing waited out the pause).
            if len(searches) + len(clicks) > 1 or self._queue.qsize() > 1:
                self._closing.wait(BATCH_SECONDS)

    def _write_batch(self, searches: dict, clicks: dict) -> bool:
        """Write one batch; False when there is nothing left and the thread should end."""
        stop = self._collect(searches, clicks)
        with self._lock:
            dropped, self._dropped = self._dropped, {}
            if not stop and not (searches or clicks or dropped) and self._queue.empty():
                self._thread = None
                return False
        if searches or clicks or dropped:
            # Opened per batch: between batches a worker holds no file of it.
            try:
                conn = store.connect(self.index_dir)
                try:
                    if not self._pruned:
                        self._pruned = True
                        store.prune(conn, self.retention_days)
                    store.write_batch(conn, searches, clicks, dropped)
                finally:
                    conn.close()
            except (OSError, sqlite3.Error) as exc:
                # Lost rather than kept, so memory stays bounded; the loss is counted as drops.
                print(f"searchsvc analytics: a batch was not written to {store.path_of(self.index_dir)}: {exc}", file=sys.stderr)
                with self._lock:
                    for (day, _), (n, _) in searches.items():
                        self._dropped[day] = self._dropped.get(day, 0) + n
                    for (day, _, _), n in clicks.items():
                        self._dropped[day] = self._dropped.get(day, 0) + n
        if stop:
            with self._lock:
                self._thread = None
        return not stop

    def _collect(self, searches: dict, clicks: dict) -> bool:
        """Sum what is queued (waiting up to IDLE_SECONDS for a first event); True when told to stop."""
        timeout = IDLE_SECONDS
        for _ in range(self._queue.maxsize):  # a batch is at most one queue's worth
            try:
                event = self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
            except queue.Empty:
                return False
            timeout = 0
            if event is _STOP:
                return True
            kind, day, query, value = event
            if kind == "s":
                entry = searches.setdefault((day, query), [0, value])
                entry[0] += 1
                entry[1] = value
            else:
                clicks[(day, query, value)] = clicks.get((day, query, value), 0) + 1
        return False

    def close(self) -> None:
        """Write what is queued and stop the writer (the app handle closing, or exit)."""
        with self._lock:
            self._closed = True
            thread, mine = self._thread, self._pid == os.getpid()
        if thread is None or not mine or not thread.is_alive():
            return
        self._closing.set()
        self._queue.put(_STOP)  # blocks only while the writer drains a full queue
        thread.join(timeout=10)

