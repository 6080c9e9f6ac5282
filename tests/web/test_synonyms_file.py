"""The editors' search/synonyms.yml through a real gunicorn server: groups both
ways, one-way rules, added to the shipped list, an edit live within a second
with no reindex, an invalid entry named with its line by reindex and /healthz."""

from __future__ import annotations

import pytest

import os
import shutil
import subprocess
import sys
import time

from ..conftest import SAMPLE, load_budget
from ..liveserver import gunicorn, request

SYNONYMS = """\
# search/synonyms.yml
- [thrifty, shoestring]
- from: cms
  to: [wordpress]
- [lonely]
"""


def titles(port: int, q: str) -> list[str]:
    status, _, data = request(port, "GET", f"/search.json?q={q}")
    assert status == 200, data
    return [hit["title"] for hit in data["results"]]


@pytest.mark.slow  # a real gunicorn server
def test_editors_synonyms_apply_both_ways_one_way_and_live(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    (site / "search").mkdir()
    path = site / "search" / "synonyms.yml"
    path.write_text(SYNONYMS, encoding="utf-8")
    index_dir = tmp_path / "index"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    out = subprocess.run(
        [sys.executable, "-m", "searchsvc.cli", "reindex", str(site), "--index", str(index_dir)],
        capture_output=True, text=True, env=env,
    )
    assert out.returncode == 0, out.stderr
    assert f"search settings: {path}:5: a group needs at least two different entries" in out.stderr.splitlines()

    with gunicorn(index_dir, workers=2) as server:
        assert titles(server.port, "thrifty") == ["Usability Testing on a Shoestring"]
        # one way: "cms" also finds WordPress, "wordpress" does not find the post that says CMS
        cms = titles(server.port, "cms")
        assert "Seven Lessons from Migrating 4,000 Posts Out of WordPress" in cms and "Welcome to the New Blog—Same Community, Faster Site" in cms
        assert titles(server.port, "wordpress") == ["Seven Lessons from Migrating 4,000 Posts Out of WordPress"]
        # the shipped list still applies beside the file: CMS, content management system
        assert "HTTPS by Default: A Practical Guide for Agency Web Teams" in cms

        status, _, health = request(server.port, "GET", "/healthz")
        assert (status, health["settings_problems"]) == (200, [f"{path}:5: a group needs at least two different entries"])

        path.write_text("- from: cms\n  to: [wordpress]\n", encoding="utf-8")
        os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        started = time.monotonic()
        while time.monotonic() - started < 10:
            if all(titles(server.port, "thrifty") == [] for _ in range(4)):  # both workers
                break
        applied = time.monotonic() - started
        print(f"synonyms.yml edit applied in {applied * 1000:.1f} ms")
        assert applied < load_budget(1.0), applied
        # each worker looks at the file again within 0.2 s (searchsvc/stamps.py)
        problems = None
        while time.monotonic() - started < 10 and problems != []:
            problems = request(server.port, "GET", "/healthz")[2]["settings_problems"]
        assert problems == []
