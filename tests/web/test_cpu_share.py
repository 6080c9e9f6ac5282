"""A client address past its CPU share (client_cpu_ms) is served only from the worker's spare time, else a fast 429 with Retry-After; others are served (issue 16).

A real ``searchsvc serve`` on the sample content; each client connects from a
loopback address of its own (all of 127/8 is loopback), which is the address
the share is counted against when no proxy is trusted.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from ..conftest import running_server, searchsvc_exe

WORDS = "search data design content mobile accessibility open analytics user team".split()


def get(port: int, path: str, address: str) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def serve(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    # a thousandth of a CPU second a second: one search uses it up
    env.update(SEARCHSVC_CLIENT_CPU_MS="1", SEARCHSVC_CLIENT_CPU_BURST_MS="1")
    argv = lambda port: [searchsvc_exe(), "serve", "--index", str(tmp_path / "index"), "--port", str(port)]  # noqa: E731
    return running_server(argv, tmp_path / "serve.log", env=env)


def test_a_lone_client_past_its_share_is_served_from_spare_time(tmp_path):
    with serve(tmp_path) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        statuses = [get(port, f"/search.json?q={WORDS[i % 10]}&page={1 + i // 10}", "127.0.0.2")[0] for i in range(30)]
    assert statuses == [200] * 30


def test_a_client_past_its_share_is_refused_while_the_spare_time_is_taken(tmp_path):
    """Its searches at once: the first on its share, the next on the spare time, the rest 429."""
    with serve(tmp_path) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        refused = {}
        for round_ in range(30):  # until both shapes were refused: the searches must overlap
            paths = [f"/search{'.json' if k % 2 else ''}?q={WORDS[k]}&page={1 + round_}" for k in range(10)]
            barrier = threading.Barrier(len(paths))

            def at_once(path):
                barrier.wait()
                return path, get(port, path, "127.0.0.2")

            with ThreadPoolExecutor(len(paths)) as pool:
                for path, answer in pool.map(at_once, paths):
                    if answer[0] != 200:
                        refused.setdefault(".json" in path, answer)
            if len(refused) == 2:
                break
        # another address is not held back by the first one's share
        status, _, body = get(port, "/search.json?q=mobile", "127.0.0.3")
    assert status == 200 and json.loads(body)["total"] > 0
    assert sorted(refused) == [False, True], refused
    status, headers, body = refused[True]
    assert status == 429 and int(headers["Retry-After"]) >= 1
    error = json.loads(body)
    assert error["ok"] is False and error["status"] == 429 and "setting client_cpu_ms" in error["error"]
    status, headers, page = refused[False]
    assert status == 429 and headers["Content-Type"].startswith("text/html") and b"setting client_cpu_ms" in page
