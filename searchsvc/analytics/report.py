"""What visitors searched, for editors: top, zero-result, unclicked and rising queries.

Only (day, query) rows counted at least ``MIN_DAILY_COUNT`` times are ever
read into a report: a rare query could name the one person who typed it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import store

MIN_DAILY_COUNT = 5
LIMIT = 20


def _window(days: int, today: dt.date | None) -> tuple[str, str, str]:
    """(first day, first day of the recent half, last day) of the last ``days`` days."""
    last = today or dt.date.today()
    first = last - dt.timedelta(days=days - 1)
    recent = last - dt.timedelta(days=max(1, days // 2) - 1)
    return first.isoformat(), recent.isoformat(), last.isoformat()


def stats(index_dir: Path, days: int = 7, today: dt.date | None = None, limit: int = LIMIT) -> dict:
    """The report as ``{"days", "top", "zero_results", "no_clicks", "rising"}``
    (each list of ``{"query", "count", "results"}``; ``results`` is the count
    of the query's latest day), plus nothing else."""
    empty = {"days": days, "top": [], "zero_results": [], "no_clicks": [], "rising": []}
    conn = store.connect(index_dir, create=False)
    if conn is None:
        return empty
    first, recent, last = _window(days, today)
    try:
        rows = conn.execute(
            "SELECT s.day, s.query, s.count, s.results, COALESCE(SUM(c.count), 0) FROM searches s "
            "LEFT JOIN clicks c ON c.day = s.day AND c.query = s.query "
            "WHERE s.day BETWEEN ? AND ? AND s.count >= ? GROUP BY s.day, s.query ORDER BY s.day",
            (first, last, MIN_DAILY_COUNT),
        ).fetchall()
    finally:
        conn.close()
    totals: dict[str, dict] = {}
    for day, query, count, results, clicks in rows:
        entry = totals.setdefault(query, {"query": query, "count": 0, "results": 0, "clicks": 0, "recent": 0})
        entry["count"] += count
        entry["results"] = results  # rows come oldest day first: the latest wins
        entry["clicks"] += clicks
        if day >= recent:
            entry["recent"] += count
    ordered = sorted(totals.values(), key=lambda e: (-e["count"], e["query"]))

    def shown(entries) -> list[dict]:
        return [{"query": e["query"], "count": e["count"], "results": e["results"]} for e in entries[:limit]]

    # Rising: searched at least twice as often in the recent half of the
    # window as in the half before it (a query new this half counts too).
    rising = [e for e in ordered if days > 1 and e["recent"] >= 2 * max(1, e["count"] - e["recent"])]
    rising.sort(key=lambda e: (-(2 * e["recent"] - e["count"]), e["query"]))
    return {
        "days": days,
        "top": shown(ordered),
        "zero_results": shown([e for e in ordered if e["results"] == 0]),
        "no_clicks": shown([e for e in ordered if e["results"] > 0 and e["clicks"] == 0]),
        "rising": shown(rising),
    }


def dropped(index_dir: Path, days: int = 7, today: dt.date | None = None) -> int:
    """Searches and clicks not counted in the window because the queue was full."""
    conn = store.connect(index_dir, create=False)
    if conn is None:
        return 0
    first, _, last = _window(days, today)
    try:
        return conn.execute("SELECT COALESCE(SUM(count), 0) FROM dropped WHERE day BETWEEN ? AND ?", (first, last)).fetchone()[0]
    finally:
        conn.close()


HEADINGS = (
    ("top", "Top queries"),
    ("zero_results", "Queries with no results"),
    ("no_clicks", "Queries whose results nobody clicks"),
    ("rising", "Rising queries"),
)


def as_text(data: dict, dropped_count: int = 0) -> str:
    lines = [f"Searches of the last {data['days']} day(s); a query searched fewer than {MIN_DAILY_COUNT} times in a day is not shown."]
    if dropped_count:
        lines.append(f"{dropped_count} searches and clicks were not counted (the queue was full).")
    for key, heading in HEADINGS:
        lines.append("")
        lines.append(f"{heading}:")
        if not data[key]:
            lines.append("  (none)")
        for row in data[key]:
            lines.append(f"  {row['count']:6}  {row['query']}  ({row['results']} results)")
    return "\n".join(lines)
