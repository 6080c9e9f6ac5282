"""The editors' settings files read from real files: what applies, and every
invalid entry reported with its file, line and reason (the rest still apply)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

from searchsvc.editorial.files import SynonymRule, load, normalise, safe_link

BEST_BETS = textwrap.dedent("""\
    - query: Benefits
      pages: [posts/2017/2017-03-28-cx-metrics-that-matter.md]
      links: [{title: "Benefit finder", url: "https://www.usa.gov/benefit-finder", description: "Find benefits"}]
      start: 2026-01-01
      end: 2027-01-01
    - query: bad link
      links: [{title: Evil, url: "javascript:alert(1)"}]
    - queries: []
      pages: [x.md]
    - query: dates
      pages: [x.md]
      start: soon
    - queries: [Open  Data, "data sets"]
      pages: [/open-data/]
      colour: red
    """)
ROUTES = textwrap.dedent("""\
    - query: Contact  Us
      url: https://www.example.gov/contact/
    - query: elsewhere
      url: //evil.example/
    - query: contact us
      url: /contact/
    - url: /nowhere/
    """)


def write(tmp_path, best_bets=BEST_BETS, routes=ROUTES):
    folder = tmp_path / "search"
    folder.mkdir()
    (folder / "best-bets.yml").write_text(best_bets, encoding="utf-8")
    (folder / "routes.yml").write_text(routes, encoding="utf-8")
    return folder


def test_valid_entries_apply_and_each_invalid_one_is_reported_with_its_line(tmp_path):
    found = load(write(tmp_path))
    assert [(b.queries, b.pages, b.start, b.end, b.line) for b in found.best_bets] == [
        (("benefits",), ("posts/2017/2017-03-28-cx-metrics-that-matter.md",), dt.date(2026, 1, 1), dt.date(2027, 1, 1), 1),
        (("open data", "data sets"), ("/open-data/",), None, None, 13),
    ]
    assert found.best_bets[0].links == ({"title": "Benefit finder", "url": "https://www.usa.gov/benefit-finder", "description": "Find benefits"},)
    assert found.routes == {"contact us": "https://www.example.gov/contact/"}
    assert [str(p) for p in found.problems] == [
        "best-bets.yml:6: an entry needs 'pages' or 'links'",
        "best-bets.yml:7: link url 'javascript:alert(1)' is not a site path or http(s) URL",
        "best-bets.yml:8: 'queries' must be a list of non-empty texts",
        "best-bets.yml:12: 'start' must be a date such as 2026-01-01",
        "best-bets.yml:15: unknown key 'colour' (ignored)",
        "routes.yml:4: url '//evil.example/' is not a site path or http(s) URL",
        "routes.yml:5: query 'contact us' is already routed on line 1 (ignored)",
        "routes.yml:7: missing 'query' (or 'queries')",
    ]


def test_dates_are_inclusive_start_exclusive_end(tmp_path):
    bet = load(write(tmp_path)).best_bets[0]
    assert [bet.live_on(dt.date(2025, 12, 31)), bet.live_on(dt.date(2026, 1, 1)), bet.live_on(dt.date(2026, 12, 31)), bet.live_on(dt.date(2027, 1, 1))] == [False, True, True, False]


def test_broken_yaml_and_wrong_shapes_are_problems_not_crashes(tmp_path):
    found = load(write(tmp_path, best_bets="- query: [unclosed\n  pages: x\n", routes="query: contact\nurl: /c/\n"))
    assert (found.best_bets, found.routes) == ([], {})
    assert [(p.file, p.line) for p in found.problems] == [("best-bets.yml", 2), ("routes.yml", 1)]
    assert found.problems[0].reason.startswith("not valid YAML")
    assert found.problems[1].reason == "the file must be a list of entries (each starting with '- ')"


def test_a_missing_folder_or_empty_file_configures_nothing(tmp_path):
    assert load(tmp_path / "absent").problems == []
    found = load(write(tmp_path, best_bets="", routes="# nothing yet\n"))
    assert (found.best_bets, found.routes, found.problems) == ([], {}, [])


def test_url_rule_is_the_result_links_rule():
    assert [safe_link(u) for u in ("/a/", "https://x.gov/", "HTTP://x.gov", "javascript:alert(1)", "//evil/", "/\\evil", "https://", "/a b", "ftp://x", 3)] == [
        True, True, True, False, False, False, False, False, False, False]
    assert normalise("  Contact\tUS ") == "contact us"


def test_check_settings_command_lists_problems_and_exits_1(tmp_path):
    folder = write(tmp_path)
    out = subprocess.run([sys.executable, "-m", "searchsvc.cli", "check-settings", str(folder)], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stdout == "2 best bets, 1 routes, 0 synonyms, 8 problems\n"
    assert out.stderr.splitlines()[0] == f"{folder}/best-bets.yml:6: an entry needs 'pages' or 'links'"
    assert len(out.stderr.splitlines()) == 8


def test_check_settings_command_exits_0_when_valid_and_2_without_folder(tmp_path):
    folder = write(tmp_path, best_bets="- query: a\n  pages: [a.md]\n", routes="")
    ok = subprocess.run([sys.executable, "-m", "searchsvc.cli", "check-settings", str(folder)], capture_output=True, text=True)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "1 best bets, 0 routes, 0 synonyms, 0 problems\n", "")
    missing = subprocess.run([sys.executable, "-m", "searchsvc.cli", "check-settings", str(tmp_path / "nope")], capture_output=True, text=True)
    assert missing.returncode == 2


def test_reindex_lists_the_settings_problems_and_still_publishes(tmp_path):
    import shutil

    from ..conftest import SAMPLE

    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    folder = site / "search"
    folder.mkdir()
    (folder / "routes.yml").write_text("- query: a\n  url: /a/\n- query: b\n  url: javascript:x\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "searchsvc.cli", "reindex", str(site), "--index", str(tmp_path / "index"), "-q"], capture_output=True, text=True)
    assert out.returncode == 0
    assert f"search settings: {folder}/routes.yml:4: url 'javascript:x' is not a site path or http(s) URL" in out.stderr.splitlines()


SYNONYMS = textwrap.dedent("""\
    - [OMB, Office of  Management and Budget]
    - from: cx
      to: [customer experience, "CX"]
    - [lonely]
    - from: a11y
    - {from: "one two three four five six seven eight nine", to: x}
    - [U.S., "!!!"]
    - just text
    - from: ssa
      to: social security administration
      colour: red
    """)


def test_synonyms_file_groups_one_way_rules_and_each_problem_with_its_line(tmp_path):
    (tmp_path / "synonyms.yml").write_text(SYNONYMS, encoding="utf-8")
    found = load(tmp_path)
    assert found.synonyms == [
        SynonymRule(("omb", "office of management and budget"), ("omb", "office of management and budget"), 1),
        SynonymRule(("cx",), ("customer experience", "cx"), 2),
        SynonymRule(("ssa",), ("social security administration",), 9),
    ]
    assert [str(p) for p in found.problems] == [
        "synonyms.yml:4: a group needs at least two different entries",
        "synonyms.yml:5: a one-way synonym needs 'from' and 'to' (missing 'to'), or write a group as a list",
        "synonyms.yml:6: 'one two three four five six seven eight nine' is longer than 8 words",
        "synonyms.yml:7: '!!!' has no word in it",
        "synonyms.yml:8: an entry must be a mapping such as 'query: ...'",
        "synonyms.yml:11: unknown key 'colour' (ignored)",
    ]
