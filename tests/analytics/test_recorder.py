"""Recording: counts reach the database off the request path, pruned by age."""

from __future__ import annotations

import datetime as dt
import sqlite3

from searchsvc.analytics import store
from searchsvc.analytics.recorder import Recorder

from ..conftest import load_budget

DAY = dt.date(2026, 11, 2)


def rows(index_dir, table):
    with sqlite3.connect(store.path_of(index_dir)) as conn:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall())


def test_counts_are_summed_per_normalised_query_and_day(tmp_path):
    recorder = Recorder(tmp_path, 100, 3650)
    for q in ("Benefits", "  benefits ", "BENEFITS"):
        recorder.search(q, 12, day=DAY)
    recorder.search("benefits", 11, day=DAY + dt.timedelta(days=1))
    recorder.click("Benefits", 3, day=DAY)
    recorder.click("benefits", 3, day=DAY)
    recorder.click("benefits", 0, day=DAY)  # not a position: ignored
    recorder.close()
    assert rows(tmp_path, "searches") == [("2026-11-02", "benefits", 3, 12), ("2026-11-03", "benefits", 1, 11)]
    assert rows(tmp_path, "clicks") == [("2026-11-02", "benefits", 3, 2)]
    assert oct(store.path_of(tmp_path).stat().st_mode & 0o777) == "0o600"


def test_two_recorders_on_one_database_add_up(tmp_path):
    """As two gunicorn workers do: upserts add, neither overwrites."""
    first, second = Recorder(tmp_path, 100, 3650), Recorder(tmp_path, 100, 3650)
    for _ in range(7):
        first.search("forms", 4, day=DAY)
        second.search("forms", 4, day=DAY)
    first.close()
    second.close()
    assert rows(tmp_path, "searches") == [("2026-11-02", "forms", 14, 4)]


def test_days_older_than_the_retention_are_deleted_when_a_writer_starts(tmp_path):
    today = dt.date.today()
    recorder = Recorder(tmp_path, 100, 3650)
    for age in (0, 89, 90, 91, 400):
        recorder.search(f"q{age}", 1, day=today - dt.timedelta(days=age))
    recorder.close()
    assert len(rows(tmp_path, "searches")) == 5
    pruning = Recorder(tmp_path, 100, 90)
    pruning.search("today", 1)
    pruning.close()
    assert sorted(q for _, q, _, _ in rows(tmp_path, "searches")) == ["q0", "q89", "today"]


def test_a_full_queue_drops_counts_and_counts_the_drops(tmp_path):
    """A database locked by someone else: the writer waits, the queue fills,
    further searches are dropped at once (the call never waits)."""
    store.connect(tmp_path).close()
    blocker = sqlite3.connect(store.path_of(tmp_path), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    recorder = Recorder(tmp_path, 3, 3650)
    try:
        import time

        started = time.monotonic()
        for _ in range(200):
            recorder.search("locked", 2, day=DAY)
        assert time.monotonic() - started < load_budget(0.5)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    recorder.close()
    counted = rows(tmp_path, "searches")
    dropped = rows(tmp_path, "dropped")
    assert counted and counted[0][:2] == ("2026-11-02", "locked") and counted[0][2] < 200
    assert counted[0][2] + dropped[0][1] == 200
