"""POST /admin/reindex: off unless a token is set, bearer auth, one run at a
time across worker processes, a task record, no LockError for anyone
(RELIABILITY.md S7 and test 9; issue 6 item 6)."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack

import pytest
from click.testing import CliRunner

from searchsvc.index import store
from searchsvc.cli import main

from ..conftest import assert_canonical_error, build, load_budget, open_app, write_post
from ..liveserver import gunicorn, request
from ..site import make_site

TOKEN = "t0ken-with-some-length"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BULK = 300


@pytest.fixture
def site_index(tmp_path):
    root = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    return root, index_dir


@pytest.fixture
def admin_client():
    """``admin_client(root, index_dir, token=TOKEN)`` -> a test client; its app is closed after the test."""
    with ExitStack() as apps:

        def make(root, index_dir, token=TOKEN):
            app = apps.enter_context(open_app({"index_dir": str(index_dir), "content_dir": str(root), "admin_token": token}))
            return app.test_client()

        yield make


def wait_task(client, uid, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/admin/tasks/{uid}", headers=AUTH).get_json()["task"]
        if task["status"] in ("succeeded", "failed"):
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {uid} did not finish in {timeout} s")


def test_off_unless_token_configured(site_index, admin_client):
    root, index_dir = site_index
    client = admin_client(root, index_dir, token="")
    response = client.post("/admin/reindex", headers=AUTH)
    assert_canonical_error(response, 404, message="there is nothing at /admin/reindex")
    assert "/admin/reindex" not in client.get("/openapi.json").get_json()["paths"]


def test_auth_method_and_body_limits(site_index, admin_client):
    root, index_dir = site_index
    client = admin_client(root, index_dir)
    missing = client.post("/admin/reindex")
    assert "Authorization: Bearer" in assert_canonical_error(missing, 401)["error"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert_canonical_error(client.post("/admin/reindex", headers={"Authorization": "Basic dXNlcjpwdw=="}), 401)
    assert_canonical_error(client.post("/admin/reindex", headers={"Authorization": "Bearer "}), 401)
    wrong = client.post("/admin/reindex", headers={"Authorization": "Bearer " + TOKEN[:-1] + "X"})
    assert_canonical_error(wrong, 403, message="the bearer token is not the configured admin token")
    assert_canonical_error(client.post("/admin/reindex", headers={"Authorization": "Bearer \udcff"}), 403)
    assert_canonical_error(client.get("/admin/reindex", headers=AUTH), 405)
    started = time.perf_counter()
    too_big = client.post("/admin/reindex", headers=AUTH, data=b"x" * (1024 * 1024))
    assert (time.perf_counter() - started) < load_budget(0.05)
    assert_canonical_error(too_big, 413, message="request body too large: at most 16384 bytes")
    # Search routes take no body at all: routing refuses the method before
    # the body's size is looked at, so a big body there is the 405.
    search_post = client.post("/search.json", data=b"x" * (1024 * 1024))
    assert_canonical_error(search_post, 405, message="method POST is not allowed on /search.json; use GET, HEAD, OPTIONS")
    # nothing was started by any of these
    assert not (index_dir / "tasks").exists()
    assert_canonical_error(client.get("/admin/tasks/" + "0" * 32, headers=AUTH), 404)
    assert_canonical_error(client.get("/admin/tasks/../../etc/passwd", headers=AUTH), 404)
    assert_canonical_error(client.get("/admin/tasks/" + "0" * 32), 401)


def test_task_record_runs_configured_folder_incrementally(site_index, admin_client):
    root, index_dir = site_index
    write_post(root, "posts/2017-09-09-okapi.md", "title: Okapi notes\ndate: 2017-09-09", "An okapi walked by.")
    client = admin_client(root, index_dir)
    # a path in the request is ignored: only the configured folder is indexed
    response = client.post("/admin/reindex?content_dir=/etc", headers=AUTH, json={"content_dir": "/etc"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["task"]["status"] == "enqueued" and body["task_url"] == f"/admin/tasks/{body['task']['uid']}"
    assert response.headers["Location"] == body["task_url"]
    task = wait_task(client, body["task"]["uid"])
    assert task["status"] == "succeeded", task
    details = task["details"]
    assert (details["added"], details["updated"], details["removed"], details["unchanged"]) == (1, 0, 0, 5)
    assert details["full"] is False and details["generation"] == 2 and details["documents"] == 6
    assert details["skipped"] == [{"id": "posts/2017-07-01-broken.md", "reason": details["skipped"][0]["reason"]}]
    assert client.get("/search.json?q=okapi").get_json()["total"] == 1
    # the lock was handed to the child and released by it
    store.ReindexLock(index_dir).acquire().release()


def test_failed_task_says_why(site_index, admin_client):
    root, index_dir = site_index
    client = admin_client(root, index_dir)
    response = client.post("/admin/reindex", headers=AUTH)
    assert response.status_code == 202
    # The content folder disappears before the child process gets to it.
    moved = root.with_name("site-moved")
    root.rename(moved)
    task = wait_task(client, response.get_json()["task"]["uid"])
    assert task["status"] == "failed"
    assert task["error"] == f"content directory {root} does not exist or is not a directory"
    assert task["finished_at"] >= task["started_at"] >= task["enqueued_at"]
    store.ReindexLock(index_dir).acquire().release()
    assert client.get("/healthz").get_json()["generation"] == 1


@pytest.mark.slow  # gunicorn workers and real reindexes
def test_one_run_at_a_time_across_workers_and_no_request_fails(tmp_path):
    """Two gunicorn workers; concurrent POSTs: exactly one 202, the rest 409
    at once; a staff `searchsvc reindex` meanwhile exits 75; searches
    running alongside all answer 200."""
    root = make_site(tmp_path / "site")
    for i in range(BULK):  # enough work that the run is still going
        write_post(root, f"bulk/{i:03d}.md", f"title: Bulk post {i}\ndate: 2016-03-{i % 28 + 1:02d}", f"bulk words number{i} " * 40)
    index_dir = tmp_path / "index"
    build(root, index_dir)
    for i in range(BULK):
        write_post(root, f"bulk/{i:03d}.md", f"title: Bulk post {i} revised\ndate: 2016-03-{i % 28 + 1:02d}", f"revised words number{i} " * 40)
    with gunicorn(index_dir, workers=2, content_dir=root, admin_token=TOKEN) as server:
        results, search_statuses = [], []
        stop = threading.Event()

        def post():
            started = time.perf_counter()
            status, _, body = request(server.port, "POST", "/admin/reindex", headers=AUTH)
            results.append((status, time.perf_counter() - started, body))

        def search():
            while not stop.is_set():
                search_statuses.append(request(server.port, "GET", "/search.json?q=bulk+words")[0])

        searcher = threading.Thread(target=search)
        searcher.start()
        posters = [threading.Thread(target=post) for _ in range(4)]
        for t in posters:
            t.start()
        for t in posters:
            t.join()
        statuses = sorted(status for status, _, _ in results)
        assert statuses == [202, 409, 409, 409], results
        assert all(seconds < load_budget(1.0) for _, seconds, _ in results)
        busy = [body for status, _, body in results if status == 409]
        assert all(assert_canonical_error(b, 409)["error"].startswith("another reindex is running (pid ") for b in busy)
        uid = next(body["task"]["uid"] for status, _, body in results if status == 202)
        running = lambda: request(server.port, "GET", f"/admin/tasks/{uid}", headers=AUTH)[2]["task"]["status"] in ("enqueued", "processing")  # noqa: E731
        before = running()
        staff = CliRunner().invoke(main, ["reindex", str(root), "--index", str(index_dir)])
        staff_overlapped = before and running()
        deadline = time.monotonic() + 120
        while True:
            _, _, task = request(server.port, "GET", f"/admin/tasks/{uid}", headers=AUTH)
            if task["task"]["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        stop.set()
        searcher.join()
        assert task["task"]["status"] == "succeeded", task
        assert task["task"]["details"]["updated"] == BULK
        _, _, after = request(server.port, "GET", "/search.json?q=revised")
        assert after["total"] == BULK
        log = server.log_path.read_text()
    assert staff_overlapped, "the admin reindex finished too fast to test overlap; give it more posts"
    assert staff.exit_code == 75, staff.output
    assert "another reindex is running (pid " in staff.output
    assert "LockError" not in log and "Traceback" not in log
    assert search_statuses and set(search_statuses) == {200}
