"""``searchsvc publish``: the build host's live generation installed in replicas' index folders."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from searchsvc.index import store
from searchsvc.index.publish import PublishError, install

from ..conftest import assert_canonical_error, build, free_port, load_budget, open_app, searchsvc_exe, write_post


def _site(root: Path) -> Path:
    write_post(root, "posts/one.md", "title: Zebra crossings\ndate: 2024-01-02", "Zebras cross the road.")
    write_post(root, "posts/two.md", "title: Giraffe necks\ndate: 2024-01-03", "Giraffes reach the leaves.")
    return root


def _publish(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([searchsvc_exe(), "publish", *argv], capture_output=True, text=True, timeout=60)


def _ids(index_dir: Path, q: str) -> list[str]:
    with open_app({"index_dir": str(index_dir)}) as app:
        return [hit["id"] for hit in app.test_client().get(f"/search.json?q={q}").get_json()["results"]]


def test_publish_installs_the_same_generation_in_every_replica_by_hard_links(tmp_path):
    content = _site(tmp_path / "content")
    build(content, tmp_path / "build")
    done = _publish("--index", str(tmp_path / "build"), "--to", str(tmp_path / "r1"), "--to", str(tmp_path / "r2"))
    assert done.returncode == 0, done.stderr
    assert f"{tmp_path / 'r1'}: generation 1 live" in done.stdout
    source = tmp_path / "build" / "gen-000001"
    for replica in ("r1", "r2"):
        assert store.current_generation(tmp_path / replica) == 1
        seg = next(p for p in (tmp_path / replica / "gen-000001").iterdir() if p.suffix == ".seg")
        assert seg.stat().st_ino == (source / seg.name).stat().st_ino  # same filesystem: linked, not copied
        assert _ids(tmp_path / replica, "zebra") == ["posts/one.md"]
    again = _publish("--index", str(tmp_path / "build"), "--to", str(tmp_path / "r1"))
    assert again.returncode == 0 and "generation 1 live (already live)" in again.stdout


def test_an_incremental_generation_reuses_the_replicas_own_segments_and_keeps_the_old_one_as_fallback(tmp_path):
    content = _site(tmp_path / "content")
    build(content, tmp_path / "build")
    install(tmp_path / "build" / "gen-000001", tmp_path / "r1")
    write_post(content, "posts/three.md", "title: Okapi stripes\ndate: 2024-01-04", "Okapis hide in forests.")
    build(content, tmp_path / "build")
    done = install(tmp_path / "build" / "gen-000002", tmp_path / "r1")
    old, new = (json.loads((tmp_path / "build" / g / "meta.json").read_text())["checksums"] for g in ("gen-000001", "gen-000002"))
    same = {name for name in new if old.get(name) == new[name]}
    assert any(name.endswith(".seg") for name in same)  # the first run's segment, kept by the incremental run
    assert done["generation"] == 2 and done["reused"] == len(same)
    assert done["linked"] + done["copied"] == len(new) - len(same)
    assert store.current_generation(tmp_path / "r1") == 2
    assert store.generations(tmp_path / "r1") == [2, 1]
    assert _ids(tmp_path / "r1", "okapi") == ["posts/three.md"]


def test_a_corrupt_file_is_refused_and_the_replica_keeps_serving_the_previous_generation(tmp_path):
    content = _site(tmp_path / "content")
    build(content, tmp_path / "build")
    install(tmp_path / "build" / "gen-000001", tmp_path / "r1")
    write_post(content, "posts/three.md", "title: Okapi stripes\ndate: 2024-01-04", "Okapis hide in forests.")
    build(content, tmp_path / "build")
    manifest = tmp_path / "build" / "gen-000002" / "manifest.json"  # this generation's own inode
    data = bytearray(manifest.read_bytes())
    data[5] ^= 0x01  # same size: only the checksum can tell
    manifest.write_bytes(bytes(data))
    done = _publish("--index", str(tmp_path / "build"), "--to", str(tmp_path / "r1"))
    assert done.returncode == 3
    assert "gen-000002.building/manifest.json: content differs from its recorded checksum" in done.stderr
    assert "it serves what it served before" in done.stderr
    assert store.current_generation(tmp_path / "r1") == 1
    assert sorted(os.listdir(tmp_path / "r1")) == [".reindex.lock", "current", "gen-000001"]


def test_across_filesystems_files_are_copied_and_verified(tmp_path):
    content = _site(tmp_path / "content")
    build(content, tmp_path / "build")
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem (/dev/shm) to copy a generation to")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        done = install(tmp_path / "build" / "gen-000001", Path(other) / "r")
        assert done["linked"] == 0 and done["copied"] == len(json.loads((tmp_path / "build" / "gen-000001" / "meta.json").read_text())["checksums"])
        assert _ids(Path(other) / "r", "giraffe") == ["posts/two.md"]


def test_a_generation_without_meta_is_not_published(tmp_path):
    (tmp_path / "gen-000003").mkdir()
    with pytest.raises(PublishError, match="meta.json is missing"):
        install(tmp_path / "gen-000003", tmp_path / "r1")
    assert not (tmp_path / "r1" / "current").exists()


def _healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.mark.slow
def test_serve_replica_builds_nothing_answers_503_until_published_then_serves_it(tmp_path):
    content = _site(tmp_path / "content")
    subprocess.run(["git", "init", "-q", str(content)], check=True)
    subprocess.run(["git", "-C", str(content), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(content), "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "posts"], check=True)
    commit = subprocess.run(["git", "-C", str(content), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    # The content folder is configured, and a replica must still not index it.
    argv = [searchsvc_exe(), "serve", "--replica", "--index", str(tmp_path / "replica"), "--content", str(content), "--port", str(port)]
    with open(tmp_path / "serve.log", "w") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        status, body = _healthz(port)
        assert status == 503
        assert "this replica has no generation published to" in assert_canonical_error(body, 503)["error"]
        assert not (tmp_path / "replica" / "current").exists()
        build(content, tmp_path / "build")
        assert _publish("--index", str(tmp_path / "build"), "--to", str(tmp_path / "replica")).returncode == 0
        started = time.monotonic()
        status, body = _healthz(port)
        assert time.monotonic() - started < load_budget(5)
        assert status == 200
        assert body["generation"] == 1 and body["replica"] is True
        assert body["content_commit"] == commit
        assert body["posts_newer_than_generation"] == {"count": 0, "complete": True}
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert "Replica: nothing published to" in (tmp_path / "serve.log").read_text()
