"""Issue 16 F5 through real gunicorn workers: a read error on damaged files
marks the generation damaged for every worker, the request is answered from
the fallback (or the canonical 503 when nothing verifies), and ``/healthz``
says so at once.  Before: every search answered 500 while ``/healthz`` said
``ok``, until a worker restart."""

from __future__ import annotations

import os
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from searchsvc.index import store
from searchsvc.index.whoosh_internals import segment_parts

from ..conftest import REPO, assert_canonical_error, open_app, running_server
from ..index.test_damage import make_site, reindex
from ..liveserver import gunicorn, request, worker_pids

pytestmark = pytest.mark.slow


@contextmanager
def gunicorn_logging_pids(index_dir: Path, log_path: Path, workers: int = 2):
    """gunicorn -w 2 whose access log names the worker (pid) that answered each request."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env["SEARCHSVC_INDEX_DIR"] = str(index_dir)
    argv = lambda port: [  # noqa: E731
        sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60",
        "--access-logfile", "-", "--access-logformat", "ACCESS %(p)s %(U)s%(q)s %(s)s", "wsgi:app",
    ]
    with running_server(argv, log_path, env=env, cwd=REPO) as (base, proc):
        proc.port = int(base.rsplit(":", 1)[1])
        yield proc


def access_lines(log_path: Path, path: str) -> list[tuple[str, str]]:
    """(worker pid, status) of each request to ``path`` (without its query) in the log."""
    found = []
    for line in log_path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "ACCESS" and parts[2].split("?")[0].rstrip("?") == path:
            found.append((parts[1].strip("<>"), parts[3]))
    return found


def scribble(gen_dir: Path) -> None:
    """Other bytes (same sizes) over the postings and the stored fields of
    every segment: what a search of a warm worker reads (term lookups and
    column tables were read when the generation was opened)."""
    for segment in sorted(gen_dir.glob("*.seg")):
        size = segment.stat().st_size
        with open(segment, "r+b") as handle:
            for name, (offset, length) in segment_parts(segment).items():
                if name.endswith((".pst", "_stored.col")):
                    handle.seek(offset + 16)
                    handle.write(random.Random(5).randbytes(length - 32))
        assert segment.stat().st_size == size


def many(port: int, path: str, times: int = 24):
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: request(port, "GET", path), range(times)))


@pytest.fixture
def site_and_index(tmp_path):
    site = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    for extra in ((), ("--full",)):
        assert reindex(site, index_dir, *extra).returncode == 0
    return site, index_dir


def test_a_damaged_live_segment_is_left_for_the_fallback_by_both_workers(site_and_index, tmp_path):
    site, index_dir = site_and_index
    log_path = tmp_path / "gunicorn.log"
    with gunicorn_logging_pids(index_dir, log_path) as server:
        pids = sorted(worker_pids(server.pid))
        assert {r[0] for r in many(server.port, "/search.json?q=uniqueterm3")} == {200}  # both workers hold generation 2 open
        scribble(index_dir / "gen-000002")

        common = "/search.json?q=loremar+ipsumes&per_page=20"
        status, headers, after = request(server.port, "GET", common)
        assert (status, headers["X-Search-Generation"]) == (200, "1")

        answers = [request(server.port, "GET", f"/search.json?q=uniqueterm{i}") for i in range(0, 240, 12)]
        assert [(status, [r["title"] for r in body["results"]]) for status, _, body in answers] == [
            (200, [f"Post number {i}"]) for i in range(0, 240, 12)
        ]
        assert {headers["X-Search-Generation"] for _, headers, _ in answers} == {"1"}
        # gunicorn gives a request to whichever worker accepts first, so one
        # worker may take a whole batch (seen in CI): ask until both answered.
        before = len(access_lines(log_path, "/healthz"))  # the start-up's readiness polls
        answered = lambda: {pid for pid, _ in access_lines(log_path, "/healthz")[before:]}  # noqa: E731
        healths = []
        for _ in range(10):
            healths += many(server.port, "/healthz")
            if answered() == {str(pid) for pid in pids}:
                break
        assert {(status, body["status"], body["generation"]) for status, _, body in healths} == {(200, "degraded", 1)}
        assert "generation 2 is damaged (gen-000002/" in healths[0][2]["problems"][0]
        # Both workers answered /healthz after the damage, and every answer said degraded (above).
        assert answered() == {str(pid) for pid in pids}
        assert sorted(worker_pids(server.pid)) == pids
    assert "Traceback" not in log_path.read_text()
    assert store.is_damaged(index_dir / "gen-000002")
    with open_app({"index_dir": str(index_dir)}) as app:  # generation 1, as the fallback answered
        expected = app.test_client().get(common).json
    assert (after["total"], [r["title"] for r in after["results"]]) == (expected["total"], [r["title"] for r in expected["results"]])
    assert after["total"] > 200

    # The next plain reindex, though nothing changed, rebuilds what was found damaged.
    done = reindex(site, index_dir)
    assert done.returncode == 0 and "generation 2 was found damaged" in done.stderr
    assert store.current_generation(index_dir) == 3 and store.generations(index_dir) == [3, 1]


def test_with_nothing_that_verifies_searches_answer_the_canonical_503(tmp_path):
    site = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    assert reindex(site, index_dir).returncode == 0
    log_path = tmp_path / "gunicorn.log"
    with gunicorn_logging_pids(index_dir, log_path) as server:
        assert {r[0] for r in many(server.port, "/search.json?q=uniqueterm3")} == {200}
        scribble(index_dir / "gen-000001")
        status, headers, body = request(server.port, "GET", "/search.json?q=uniqueterm5")
        assert (status, body) == (503, {
            "ok": False, "status": 503,
            "error": "no generation of the index can be read; run 'searchsvc reindex --full'",
            "errors": ["no generation of the index can be read; run 'searchsvc reindex --full'"],
        })
        healths = many(server.port, "/healthz", 12)
        assert {(status, body["status"], body["health"]) for status, _, body in healths} == {(503, 503, "unavailable")}
        assert {status for _, status in access_lines(log_path, "/search.json")} <= {"200", "503"}


def test_a_segment_truncated_under_running_workers_kills_none(site_and_index, tmp_path):
    """A truncated file that a worker has mmapped raised SIGBUS on the next read
    of its lost pages: the worker died with the requests it held."""
    _, index_dir = site_and_index
    log_path = tmp_path / "gunicorn.log"
    queries = [f"/search.json?q=uniqueterm{i}+loremar" for i in range(0, 240, 3)]
    with gunicorn_logging_pids(index_dir, log_path) as server:
        pids = sorted(worker_pids(server.pid))
        assert {r[0] for r in many(server.port, "/search.json?q=uniqueterm3")} == {200}
        with ThreadPoolExecutor(4) as pool:
            in_flight = [pool.submit(request, server.port, "GET", q) for q in queries]
            for segment in sorted((index_dir / "gen-000002").glob("*.seg")):
                os.truncate(segment, segment.stat().st_size // 3)
            statuses = [future.result()[0] for future in in_flight]
        after = [request(server.port, "GET", q) for q in queries[:20]]
        assert set(statuses) <= {200, 503}
        assert [(status, headers.get("X-Search-Generation")) for status, headers, _ in after] == [(200, "1")] * 20
        assert sorted(worker_pids(server.pid)) == pids
    assert "SIGBUS" not in log_path.read_text() and "Traceback" not in log_path.read_text()


TOKEN = "jeton-sécurité-令牌"  # issue 16 F11: a non-ASCII admin token could never match


def test_deep_health_verifies_every_file_with_the_admin_token(site_and_index, tmp_path):
    _, index_dir = site_and_index
    # Bytes of the term table changed: a search still "works" (the words it
    # held are just not found), so only the checksums can tell.
    segment = sorted((index_dir / "gen-000002").glob("*.seg"))[0]
    offset, length = next(v for k, v in segment_parts(segment).items() if k.endswith(".trm"))
    with open(segment, "r+b") as handle:
        handle.seek(offset + length // 2)
        handle.write(b"\0" * 64)
    with gunicorn(index_dir, workers=2, admin_token=TOKEN) as server:
        assert request(server.port, "GET", "/healthz")[2]["status"] == "ok"
        assert request(server.port, "GET", "/healthz?deep=1")[0] == 401
        assert request(server.port, "GET", "/healthz?deep=1", headers={"Authorization": b"Bearer " + "jeton-securite-令牌".encode()})[0] == 403
        status, _, body = request(server.port, "GET", "/healthz?deep=2")
        assert status == 400
        assert_canonical_error(body, 400, "deep")
        status, _, body = request(server.port, "GET", "/healthz?deep=1", headers={"Authorization": b"Bearer " + TOKEN.encode()})
        assert (status, body["status"], body["generation"]) == (200, "degraded", 1)
        assert [(g["generation"], g["live"], g["verified"], g["problems"]) for g in body["checked"]["generations"]] == [
            (2, True, False, [f"gen-000002/{segment.name}: content differs from its recorded checksum"]),
            (1, False, True, []),
        ]
        # Every worker moved to the fallback: the check marked generation 2 damaged.
        assert {(b["status"], b["generation"]) for _, _, b in many(server.port, "/healthz", 12)} == {("degraded", 1)}
        # The token is the admin endpoints' too.
        assert request(server.port, "GET", "/admin/tasks/nothing", headers={"Authorization": b"Bearer " + TOKEN.encode()})[0] == 404
