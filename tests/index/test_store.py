"""Reindexing: incremental runs, generations, the lock, and the CLI around them."""

from __future__ import annotations

import os
import threading

import pytest
from click.testing import CliRunner

from searchsvc import create_app
from searchsvc.index import store
from searchsvc.cli import main
from searchsvc.index.build import reindex

from ..conftest import build, conf, write_post
from ..site import BROKEN, make_site


def search_ids(index_dir, q="", **params):
    client = create_app({"index_dir": str(index_dir)}).test_client()
    data = client.get("/search.json", query_string={"q": q, **params}).get_json()
    return [r["id"] for r in data["results"]], data["total"]


def test_full_index_report(tmp_path):
    root = make_site(tmp_path / "site")
    report, _ = build(root, tmp_path / "index")
    assert (report.added, report.updated, report.removed, report.unchanged) == (5, 0, 0, 0)
    assert report.unpublished == 2
    assert report.failed == [(BROKEN, report.failed[0][1])]
    assert "YAML" in report.failed[0][1]
    assert report.documents == 5 and report.generation == 1 and report.full is True


def test_incremental_add_change_delete_unchanged(tmp_path):
    root = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    build(root, index_dir)

    again, _ = build(root, index_dir)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert again.generation == 1  # nothing changed: no new generation is published

    write_post(root, "posts/2017-08-01-new.md", "title: Zebra crossings\ndate: 2017-08-01\ntags: [Transport]", "Striped zebra crossings.")
    added, _ = build(root, index_dir)
    assert (added.added, added.updated, added.removed, added.unchanged) == (1, 0, 0, 5)
    assert added.generation == 2 and added.full is False
    assert search_ids(index_dir, "zebra") == (["posts/2017-08-01-new.md"], 1)

    write_post(root, "posts/2016-01-10-budget-guidance.md", "title: Budget Guidance from OMB\ndate: 2016-01-10\ntags: [OMB]", "Now about quokkas.")
    changed, _ = build(root, index_dir)
    assert (changed.added, changed.updated, changed.removed) == (0, 1, 0)
    assert search_ids(index_dir, "quokkas") == (["posts/2016-01-10-budget-guidance.md"], 1)
    assert search_ids(index_dir, "formulation") == ([], 0)

    (root / "posts/2017-08-01-new.md").unlink()
    removed, _ = build(root, index_dir)
    assert (removed.added, removed.updated, removed.removed, removed.unchanged) == (0, 0, 1, 5)
    assert search_ids(index_dir, "zebra") == ([], 0)
    assert search_ids(index_dir)[1] == 5
    # current + one fallback generation are kept
    assert store.generations(index_dir) == [4, 3]


def test_unchanged_files_are_not_read_again(tmp_path):
    root = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    path = root / "posts/2017-05-05-section-508.md"
    info = path.stat()
    text = path.read_text()
    # Same size and modification time, different words: an incremental run
    # trusts size+mtime and does not parse the file again.
    path.write_text(text.replace("Screen", "Zcreen"))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    build(root, index_dir)
    assert search_ids(index_dir, "zcreen") == ([], 0)
    reindex(root, index_dir, conf(), full=True)
    assert search_ids(index_dir, "zcreen") == (["posts/2017-05-05-section-508.md"], 1)


def test_draft_becoming_published_and_published_becoming_draft(tmp_path):
    root = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    write_post(root, "posts/2017-06-01-draft.md", "title: Not yet\ndate: 2017-06-01\ntags: [OMB]", "Published budget thoughts now.")
    report, _ = build(root, index_dir)
    assert (report.added, report.unpublished) == (1, 1)
    write_post(root, "posts/2017-06-01-draft.md", "title: Not yet\ndate: 2017-06-01\ndraft: true", "Hidden again.")
    report, _ = build(root, index_dir)
    assert (report.removed, report.unpublished) == (1, 2)
    assert search_ids(index_dir)[1] == 5


def test_changed_settings_force_full_rebuild(tmp_path):
    root = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    report, _ = build(root, index_dir, url_pattern="/blog/{slug}/")
    assert report.full is True and report.added == 5
    client = create_app({"index_dir": str(index_dir)}).test_client()
    hit = client.get("/search.json?q=accessibility").get_json()["results"][0]
    assert hit["url"] == "/blog/section-508/"


def test_cli_reindex_exit_codes_and_summary(tmp_path):
    root = make_site(tmp_path / "site")
    runner = CliRunner()
    result = runner.invoke(main, ["reindex", str(root), "--index", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert f"skipped {BROKEN}: front matter is not valid YAML" in result.output
    assert "added 5, updated 0, removed 0, unchanged 0, failed 1, unpublished 2" in result.output
    (root / BROKEN).unlink()
    result = runner.invoke(main, ["reindex", str(root), "--index", str(tmp_path / "index"), "--quiet"])
    assert result.exit_code == 0 and result.output == ""
    missing = runner.invoke(main, ["reindex", str(tmp_path / "nowhere"), "--index", str(tmp_path / "index")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    assert runner.invoke(main, ["reindex", "--bogus"]).exit_code == 2


def test_second_reindex_exits_naming_the_running_one(tmp_path):
    root = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    store.ensure_index_dir(index_dir)
    holder = store.ReindexLock(index_dir).acquire()
    try:
        result = CliRunner().invoke(main, ["reindex", str(root), "--index", str(index_dir)])
    finally:
        holder.release()
    assert result.exit_code == 75
    assert f"another reindex is running (pid {os.getpid()})" in result.output


def test_killed_run_leftovers_are_removed(tmp_path):
    root = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    (index_dir / "gen-000002.building").mkdir()
    (index_dir / "gen-000002.building" / "MAIN_x.seg").write_bytes(b"partial")
    (index_dir / store.LOCK_NAME).write_text("999999")
    write_post(root, "posts/new.md", "title: New\ndate: 2017-01-01")
    report, _ = build(root, index_dir)
    assert "removed 1 unfinished build(s) left by an interrupted reindex: gen-000002.building" in report.notices
    assert "cleared a lock left by process 999999, which is no longer running" in report.notices
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-")) == ["gen-000001", "gen-000002"]


def test_index_dir_writable_by_others_is_refused(tmp_path):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    index_dir.chmod(0o777)
    with pytest.raises(store.UnsafeIndexDir, match="chmod -R go-w"):
        create_app({"index_dir": str(index_dir)})
    index_dir.chmod(0o750)
    create_app({"index_dir": str(index_dir)})


def test_reindex_while_serving_fails_no_request(tmp_path):
    root = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    app = create_app({"index_dir": str(index_dir)})
    errors, totals, stop = [], set(), threading.Event()

    def reader():
        client = app.test_client()
        while not stop.is_set():
            response = client.get("/search.json?q=budget+OR+zebra")
            if response.status_code != 200:
                errors.append(response.status_code)
            else:
                totals.add(response.get_json()["total"])

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            if i % 2 == 0:
                write_post(root, "posts/zebra.md", "title: Zebra\ndate: 2017-01-01", "zebra budget")
            else:
                (root / "posts/zebra.md").unlink()
            build(root, index_dir)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert totals <= {2, 3} and totals
    assert search_ids(index_dir, "zebra")[1] == 0
