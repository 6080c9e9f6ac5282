"""Provenance: the content commit, the build time and the posts changed since, in /healthz and the page footer."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from ..conftest import SAMPLE, build, open_app, write_post


def _git(content, *argv) -> str:
    return subprocess.run(["git", "-C", str(content), "-c", "user.name=t", "-c", "user.email=t@example.org", *argv], capture_output=True, text=True, check=True).stdout.strip()


def test_a_git_checkout_reports_its_commit_and_the_posts_changed_since_the_build(tmp_path):
    content = tmp_path / "content"
    write_post(content, "posts/one.md", "title: Zebra crossings\ndate: 2024-01-02", "Zebras cross the road.")
    subprocess.run(["git", "init", "-q", str(content)], check=True)
    _git(content, "add", "-A")
    _git(content, "commit", "-qm", "first post")
    commit = _git(content, "rev-parse", "HEAD")
    build(content, tmp_path / "index")
    write_post(content, "posts/two.md", "title: Okapi stripes\ndate: 2024-01-03", "Okapis hide in forests.")
    write_post(content, "public/posts/two/index.html", "title: built output", "Not a post.")
    with open_app({"index_dir": str(tmp_path / "index")}) as app:
        client = app.test_client()
        health = client.get("/healthz").get_json()
        page = client.get("/search?q=zebra").get_data(as_text=True)
    assert health["content_commit"] == commit
    assert health["built_at"] == health["last_indexed"] and health["built_at"].startswith("20")
    assert health["posts_newer_than_generation"] == {"count": 1, "complete": True}
    assert health["replica"] is False
    assert f'from content commit <code title="{commit}">{commit[:12]}</code>.' in page
    assert "1 post changed since, not yet searchable." in page


def test_a_folder_that_is_no_checkout_has_no_commit_and_a_replica_without_content_no_count(tmp_path):
    content = tmp_path / "content"
    write_post(content, "posts/one.md", "title: Zebra crossings\ndate: 2024-01-02", "Zebras cross the road.")
    build(content, tmp_path / "index")
    with open_app({"index_dir": str(tmp_path / "index")}) as app:
        health = app.test_client().get("/healthz").get_json()
    assert health["content_commit"] is None and health["posts_newer_than_generation"] == {"count": 0, "complete": True}
    (content / "posts" / "one.md").unlink()
    (content / "posts").rmdir()
    content.rmdir()
    with open_app({"index_dir": str(tmp_path / "index")}) as app:
        health = app.test_client().get("/healthz").get_json()
        page = app.test_client().get("/").get_data(as_text=True)
    assert health["posts_newer_than_generation"] is None
    assert "Index generation 1, built " in page and "changed since" not in page


def test_files_the_build_skips_are_not_changed_since_it(tmp_path):
    """A fresh checkout writes its layouts and drafts after its posts; they are not "changed since"
    (the sample site's fresh index said "5 posts changed since, not yet searchable")."""
    content = tmp_path / "content"
    shutil.copytree(SAMPLE, content)
    later = time.time_ns()
    for path in sorted(content.rglob("*.html")):  # the layouts, as a checkout leaves them: newest
        os.utime(path, ns=(later, later))
    build(content, tmp_path / "index")
    with open_app({"index_dir": str(tmp_path / "index")}) as app:
        client = app.test_client()
        health = client.get("/healthz").get_json()
        page = client.get("/search?q=data").get_data(as_text=True)
    assert health["posts_newer_than_generation"] == {"count": 0, "complete": True}
    assert "changed since" not in page
