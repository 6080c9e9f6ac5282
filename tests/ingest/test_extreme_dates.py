"""Issue 16 F10: dates YAML cannot build (year 0, past year 9999, out of range
in UTC) are no date, with a warning; the post is kept.  Before: "skipped
posts/a.md: unexpected ValueError: year 0 is out of range" for WordPress's
empty ``expirydate: 0000-00-00``, and a date in year 10000 once told in UTC
ended the whole reindex with an OverflowError traceback."""

from __future__ import annotations

import os
import subprocess

from ..conftest import open_app, searchsvc_exe, write_post

POSTS = {
    "posts/empty-expiry.md": ("title: WordPress empty expiry\ndate: 2017-01-02\nexpirydate: 0000-00-00", "kept"),
    "posts/year-zero.md": ("title: Year zero\ndate: 0000-00-00", "kept"),
    "posts/last-moment.md": ("title: Last moment\ndate: 9999-12-31T23:59:59.999999+14:00", "kept"),
    "posts/past-9999-in-utc.md": ("title: Past 9999 in UTC\ndate: 9999-12-31T23:59:59.999999-14:00", "kept"),
    "posts/expiry-past-9999.md": ("title: Expiry past 9999\ndate: 2017-01-03\nexpirydate: 9999-12-31T23:59:59.999999-14:00", "kept"),
}


def test_unbuildable_dates_are_missing_dates_and_the_posts_are_kept(tmp_path):
    site = tmp_path / "site"
    for rel, (front, _) in POSTS.items():
        write_post(site, rel, front, "kept words")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    done = subprocess.run([searchsvc_exe(), "reindex", str(site), "--index", str(tmp_path / "index")], capture_output=True, text=True, env=env, timeout=60)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr
    assert sorted(line for line in done.stderr.splitlines() if line.startswith("warning:")) == [
        "warning: posts/empty-expiry.md: expiry date '0000-00-00' is not a date; ignored",
        "warning: posts/expiry-past-9999.md: expiry date 9999-12-31 23:59:59.999999-14:00 is not a date; ignored",
        "warning: posts/past-9999-in-utc.md: no usable date (9999-12-31 23:59:59.999999-14:00); using the file's modification time",
        "warning: posts/year-zero.md: no usable date ('0000-00-00'); using the file's modification time",
    ]
    assert "added 5, updated 0, removed 0, unchanged 0, failed 0" in done.stdout
    with open_app({"index_dir": str(tmp_path / "index")}) as app:
        found = app.test_client().get("/search.json?q=kept&sort=newest").get_json()
    assert sorted(r["title"] for r in found["results"]) == sorted(front.split("\n")[0][len("title: "):] for front, _ in POSTS.values())
    assert [r["date"][:10] for r in found["results"] if r["title"] == "Last moment"] == ["9999-12-31"]
