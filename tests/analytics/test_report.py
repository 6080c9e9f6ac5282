"""`searchsvc stats` on a recorded week of queries (rows written through the recording API)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import yaml

from searchsvc.analytics import report
from searchsvc.analytics.recorder import Recorder

from ..conftest import searchsvc_exe

TODAY = dt.date.today()


def record_week(index_dir):
    recorder = Recorder(index_dir, 100000, 3650)
    for age in range(7):
        day = TODAY - dt.timedelta(days=age)
        for _ in range(20):
            recorder.search("benefits", 31, day=day)
        for _ in range(3):
            recorder.click("benefits", 1, day=day)
        for _ in range(6):
            recorder.search("recieve payments", 0, day=day)  # a typo: found nothing
        for _ in range(5):
            recorder.search("paperwork act", 9, day=day)  # found, never followed
        for _ in range(4):
            recorder.search("my own name", 2, day=day)  # under 5 a day: never shown
        if age < 3:
            for _ in range(10):
                recorder.search("shutdown", 14, day=day)  # new this half-week
            recorder.click("shutdown", 2, day=day)
    recorder.close()


def test_the_report_of_a_week(tmp_path):
    record_week(tmp_path)
    data = report.stats(tmp_path, 7)
    assert data == {
        "days": 7,
        "top": [
            {"query": "benefits", "count": 140, "results": 31},
            {"query": "recieve payments", "count": 42, "results": 0},
            {"query": "paperwork act", "count": 35, "results": 9},
            {"query": "shutdown", "count": 30, "results": 14},
        ],
        "zero_results": [{"query": "recieve payments", "count": 42, "results": 0}],
        "no_clicks": [{"query": "paperwork act", "count": 35, "results": 9}],
        "rising": [{"query": "shutdown", "count": 30, "results": 14}],
    }
    assert [(e["query"], e["count"]) for e in report.stats(tmp_path, 1)["top"]] == [
        ("benefits", 20), ("shutdown", 10), ("recieve payments", 6), ("paperwork act", 5),
    ]


def test_a_query_under_five_a_day_is_never_shown_even_over_a_week(tmp_path):
    record_week(tmp_path)
    shown = json.dumps(report.stats(tmp_path, 30))
    assert "my own name" not in shown
    recorder = Recorder(tmp_path, 100, 3650)
    recorder.search("my own name", 2)  # the fifth today
    recorder.close()
    assert {"query": "my own name", "count": 5, "results": 2} in report.stats(tmp_path, 7)["top"]


def test_the_stats_command_prints_the_json_and_the_table(tmp_path):
    record_week(tmp_path)
    out = subprocess.run([searchsvc_exe(), "stats", "--index", str(tmp_path), "--days", "7", "--json"], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == report.stats(tmp_path, 7)
    text = subprocess.run([searchsvc_exe(), "stats", "--index", str(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert "Queries with no results:\n      42  recieve payments  (0 results)" in text
    assert "my own name" not in text


def test_suggest_drafts_a_synonym_a_best_bet_and_a_route(tmp_path):
    from ..conftest import SAMPLE, build

    index_dir = tmp_path / "index"
    build(SAMPLE, index_dir)
    recorder = Recorder(index_dir, 1000, 3650)
    for age in range(7):
        day = TODAY - dt.timedelta(days=age)
        for _ in range(8):
            recorder.search("accesibility", 0, day=day)  # counted before the service corrected typos
        for _ in range(5):
            recorder.search("zzyzxq", 0, day=day)
        for _ in range(6):
            recorder.search("odp", 0, day=day)  # an acronym the posts spell out but never use
        for _ in range(6):
            recorder.search("dap", 5, day=day)
    recorder.click("dap", 1, day=TODAY - dt.timedelta(days=30))  # outside the week
    recorder.close()
    out = subprocess.run([searchsvc_exe(), "stats", "--index", str(index_dir), "--suggest"], capture_output=True, text=True, check=True).stdout
    assert out == (
        "# ---- search/synonyms.yml: add ----\n"
        "# 56 searches found nothing; \"accessibility\" finds 12\n"
        "- [accesibility, accessibility]\n"
        "# 42 searches found nothing; the posts spell it out as \"Open Data Policy\" (2 times)\n"
        "- [ODP, Open Data Policy]\n"
        "\n"
        "# ---- search/best-bets.yml: add ----\n"
        "# 35 searches found nothing, and no spelling correction was found\n"
        "- query: zzyzxq\n"
        "  pages: []            # the page visitors want: a document id or site URL\n"
        "# 42 searches, 5 results, none followed; the top results now:\n"
        "  #   posts/2016/2016-05-17-reading-your-dap-dashboard.md   (Reading Your DAP Dashboard: Five Reports Worth a Weekly Look)\n"
        "  #   posts/2017/2017-07-18-dap-office-hours.md   (Join Us for Digital Analytics Program Office Hours)\n"
        "  #   posts/2017/2017-08-08-digital-analytics-program-guide.md   (The Digital Analytics Program: A Guide for New Agency Partners)\n"
        "- query: dap\n"
        "  pages: []            # the page visitors want\n"
        "\n"
        "# ---- search/routes.yml: add ----\n"
        "# - query: zzyzxq\n"
        "#   url: https://   # or send the query straight to one page\n"
    )
    assert yaml.safe_load(out.split("# ---- search/best-bets.yml")[0]) == [["accesibility", "accessibility"], ["ODP", "Open Data Policy"]]
    assert [b["query"] for b in yaml.safe_load(out.split("# ---- search/routes.yml")[0].split("best-bets.yml: add ----")[1])] == ["zzyzxq", "dap"]
