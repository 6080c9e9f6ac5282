"""The synonyms file: parsing, the shipped list, and matching spans of a query."""

from __future__ import annotations

import os
import time

from searchsvc.query import synonyms
from searchsvc.stamps import STAMP_SECONDS


def test_groups_link_every_entry_to_the_others():
    groups = synonyms.parse("# comment\nUSWDS, U.S. Web Design System, web design standards\n\n")
    assert groups.alternatives(("uswds",)) == [("us", "web", "design", "system"), ("web", "design", "standards")]
    assert groups.alternatives(("web", "design", "standards")) == [("uswds",), ("us", "web", "design", "system")]
    assert groups.problems == []


def test_a_word_in_two_groups_gets_both():
    groups = synonyms.parse("CMS, Centers for Medicare and Medicaid Services\nCMS, content management system\n")
    assert groups.alternatives(("cms",)) == [("centers", "for", "medicare", "and", "medicaid", "services"), ("content", "management", "system")]


def test_bad_lines_are_reported_not_fatal():
    groups = synonyms.parse("lonely\n" + ", ".join(["a b c d e f g h i"] * 2) + "\nOMB, Office of Management and Budget\n")
    assert groups.problems == [
        "line 1: a group needs at least two entries",
        "line 2: 'a b c d e f g h i' is longer than 8 words",
        "line 2: 'a b c d e f g h i' is longer than 8 words",
    ]
    assert groups.alternatives(("omb",)) == [("office", "of", "management", "and", "budget")]


def test_spans_take_the_longest_match_first():
    groups = synonyms.parse("SSA, Social Security Administration\nsocial security, SS\n")
    words = "how the social security administration helps".split()
    assert groups.spans(words) == [(2, 5, [("ssa",)])]
    assert groups.spans("social security numbers".split()) == [(0, 2, [("ss",)])]
    assert groups.spans("nothing here".split()) == []


def test_the_shipped_list_covers_the_common_acronyms():
    groups = synonyms.load(None)
    assert groups.problems == []
    for acronym, long_form in [
        ("omb", "office of management and budget"),
        ("ssa", "social security administration"),
        ("gsa", "general services administration"),
        ("508", "section 508"),
        ("cx", "customer experience"),
        ("ux", "user experience"),
        ("uswds", "us web design system"),
        ("dap", "digital analytics program"),
    ]:
        assert tuple(long_form.split()) in groups.alternatives((acronym,)), acronym


def test_missing_file_means_no_synonyms_and_a_problem(tmp_path):
    groups = synonyms.load(tmp_path / "absent.txt")
    assert groups.table == {}
    assert groups.problems == [f"synonyms file {tmp_path / 'absent.txt'}: No such file or directory"]


def test_an_edit_is_seen_without_restart(tmp_path):
    path = tmp_path / "groups.txt"
    path.write_text("kiosk, terminal\n", encoding="utf-8")
    assert synonyms.load(path).alternatives(("kiosk",)) == [("terminal",)]
    before = synonyms.stamp(path)
    path.write_text("kiosk, self-service terminal\n", encoding="utf-8")
    os.utime(path, ns=(before[0] + 1_000_000, before[0] + 1_000_000))
    time.sleep(STAMP_SECONDS)  # a file is looked at again at most this often (searchsvc/stamps.py)
    assert synonyms.stamp(path) != before
    assert synonyms.load(path).alternatives(("kiosk",)) == [("self", "service", "terminal")]
