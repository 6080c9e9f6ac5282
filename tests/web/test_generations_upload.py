"""``POST /admin/generations`` on a real gunicorn replica: a packed generation
built elsewhere goes live; partial, corrupt, hostile or oversized uploads never do."""

from __future__ import annotations

import http.client
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from searchsvc.index import store
from searchsvc.index.publish import install, pack

from ..conftest import assert_canonical_error, build, write_post
from ..liveserver import gunicorn, request

pytestmark = [pytest.mark.slow, pytest.mark.keeps_resources]
TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-tar"}
LIMIT = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A build host with generations 1 and 2; a replica serving generation 1."""
    root = tmp_path_factory.mktemp("upload")
    content = root / "content"
    write_post(content, "posts/one.md", "title: Zebra crossings\ndate: 2024-01-02", "Zebras cross the road.")
    build(content, root / "build")
    install(root / "build" / "gen-000001", root / "replica")
    write_post(content, "posts/two.md", "title: Okapi stripes\ndate: 2024-01-03", "Okapis hide in forests.")
    build(content, root / "build")
    packed = io.BytesIO()
    pack(root / "build" / "gen-000002", packed)
    with gunicorn(root / "replica", workers=2, replica="true", admin_token=TOKEN, max_generation_upload_bytes=LIMIT) as server:
        yield root, server, packed.getvalue()


def _live(server) -> int:
    status, _, body = request(server.port, "GET", "/healthz")
    assert status == 200
    return body["generation"]


def _leftovers(root: Path) -> list[str]:
    return sorted(n for n in os.listdir(root / "replica") if n.endswith((".building", ".deleting")))


def test_without_the_token_nothing_is_read(cluster):
    root, server, packed = cluster
    status, _, body = request(server.port, "POST", "/admin/generations", body=packed, headers={"Content-Type": "application/x-tar"})
    assert status == 401 and _live(server) == 1


def test_a_truncated_upload_is_refused_and_never_live(cluster):
    root, server, packed = cluster
    status, _, body = request(server.port, "POST", "/admin/generations", body=packed[: len(packed) // 2], headers=AUTH)
    assert status == 400
    assert assert_canonical_error(body, 400)["error"].startswith("generation refused, the live one is unchanged:")
    assert _live(server) == 1 and _leftovers(root) == []


def test_a_flipped_byte_is_refused_by_the_recorded_checksum(cluster):
    root, server, packed = cluster
    replica_has = set(os.listdir(root / "replica" / "gen-000001"))
    with tarfile.open(fileobj=io.BytesIO(packed)) as tar:
        # The new segment: one the replica holds already is taken from its own copy.
        seg = next(m for m in tar.getmembers() if m.name.endswith(".seg") and m.name not in replica_has)
        offset = seg.offset_data + seg.size // 2
    corrupt = bytearray(packed)
    corrupt[offset] ^= 0xFF
    status, _, body = request(server.port, "POST", "/admin/generations", body=bytes(corrupt), headers=AUTH)
    assert status == 400
    assert f"{seg.name}: content differs from its recorded checksum" in assert_canonical_error(body, 400)["error"]
    assert _live(server) == 1 and _leftovers(root) == []


def test_a_member_outside_the_generation_is_refused(cluster):
    root, server, _ = cluster
    hostile = io.BytesIO()
    with tarfile.open(fileobj=hostile, mode="w") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    status, _, body = request(server.port, "POST", "/admin/generations", body=hostile.getvalue(), headers=AUTH)
    assert status == 400
    assert "'../escaped.txt', which is not a plain file of a generation" in assert_canonical_error(body, 400)["error"]
    assert not (root / "escaped.txt").exists() and _live(server) == 1


def test_a_body_over_the_limit_is_refused_before_it_is_read(cluster):
    root, server, _ = cluster
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        # The length alone is announced: the answer must come before any body is sent.
        conn.putrequest("POST", "/admin/generations")
        for name, value in dict(AUTH, **{"Content-Length": str(LIMIT + 1)}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        status, body = response.status, json.loads(response.read())
    finally:
        conn.close()
    assert status == 413
    assert_canonical_error(body, 413, message=f"request body too large: at most {LIMIT} bytes")
    assert _live(server) == 1


def test_a_complete_upload_goes_live_on_every_worker(cluster):
    root, server, packed = cluster
    status, _, body = request(server.port, "POST", "/admin/generations", body=packed, headers=AUTH)
    assert status == 201 and body["generation"] == 2
    for _ in range(6):  # both workers
        status, headers, found = request(server.port, "GET", "/search.json?q=okapi")
        assert status == 200 and [hit["id"] for hit in found["results"]] == ["posts/two.md"]
        assert headers["X-Search-Generation"] == "2"
    assert store.current_generation(root / "replica") == 2 and _leftovers(root) == []
    status, _, body = request(server.port, "POST", "/admin/generations", body=packed, headers=AUTH)
    assert status == 200 and body["already_live"] is True
