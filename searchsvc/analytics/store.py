"""The analytics database: SQLite beside the index, owner-only, WAL, upserts.

Several gunicorn workers write at once, each from its own writer thread:
WAL lets readers (``searchsvc stats``) go on while one writes, and every
write adds to a count (``count = count + excluded.count``), so no worker's
batch overwrites another's.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from pathlib import Path

FILENAME = "analytics.sqlite3"
BUSY_TIMEOUT_MS = 5000

SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    day TEXT NOT NULL, query TEXT NOT NULL, count INTEGER NOT NULL,
    results INTEGER NOT NULL, PRIMARY KEY (day, query)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clicks (
    day TEXT NOT NULL, query TEXT NOT NULL, position INTEGER NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (day, query, position)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dropped (day TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
"""


def path_of(index_dir: Path) -> Path:
    return Path(index_dir) / FILENAME


def connect(index_dir: Path, create: bool = True) -> sqlite3.Connection | None:
    """The database of ``index_dir``; None when it does not exist and ``create`` is false."""
    path = path_of(index_dir)
    if not path.exists():
        if not create:
            return None
        Path(index_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        # Created owner-only before SQLite opens it (the -wal and -shm files
        # SQLite makes take this file's mode).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = NORMAL")  # counts, not records: a lost last batch on power loss is acceptable
    _set_up(conn)
    return conn


def _set_up(conn: sqlite3.Connection) -> None:
    """WAL and the tables, once per database file.

    Switching to WAL takes an exclusive lock and SQLite answers "database is
    locked" at once, without its busy handler, when another process does the
    same: two gunicorn workers' first batches lost one of them (tests:
    test_two_recorders_on_one_database_add_up, 13 of 14 counted).  The mode is
    kept in the file, so only the first connections ever race; they retry.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def write_batch(conn: sqlite3.Connection, searches: dict, clicks: dict, dropped: dict) -> None:
    """Add a batch of counts in one transaction.

    ``searches``: {(day, query): [count, results]}; ``clicks``: {(day, query,
    position): count}; ``dropped``: {day: count}.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO searches (day, query, count, results) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (day, query) DO UPDATE SET count = count + excluded.count, results = excluded.results",
            [(day, query, n, results) for (day, query), (n, results) in searches.items()],
        )
        conn.executemany(
            "INSERT INTO clicks (day, query, position, count) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (day, query, position) DO UPDATE SET count = count + excluded.count",
            [(day, query, pos, n) for (day, query, pos), n in clicks.items()],
        )
        conn.executemany(
            "INSERT INTO dropped (day, count) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET count = count + excluded.count",
            list(dropped.items()),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def prune(conn: sqlite3.Connection, retention_days: int, today: dt.date | None = None) -> int:
    """Delete the days older than ``retention_days``; returns the rows removed."""
    # Kept: the last ``retention_days`` days, today included.
    cutoff = ((today or dt.date.today()) - dt.timedelta(days=retention_days - 1)).isoformat()
    removed = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table in ("searches", "clicks", "dropped"):
            removed += conn.execute(f"DELETE FROM {table} WHERE day < ?", (cutoff,)).rowcount
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return removed
