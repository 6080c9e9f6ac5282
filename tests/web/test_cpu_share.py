"""A client address past its CPU share (client_cpu_ms) gets a fast 429 with Retry-After; others do not (issue 16).

A real ``searchsvc serve`` on the sample content; each client connects from a
loopback address of its own (all of 127/8 is loopback), which is the address
the share is counted against when no proxy is trusted.
"""

from __future__ import annotations

import pytest

import http.client
import json
import os

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


@pytest.mark.slow  # a real gunicorn server
def test_a_client_past_its_share_is_refused_and_another_is_served(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    # a thousandth of a CPU second a second: the sample's searches use it up within a few
    env.update(SEARCHSVC_CLIENT_CPU_MS="1", SEARCHSVC_CLIENT_CPU_BURST_MS="1")
    argv = lambda port: [searchsvc_exe(), "serve", "--index", str(tmp_path / "index"), "--port", str(port)]  # noqa: E731
    with running_server(argv, tmp_path / "serve.log", env=env) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        answers = []
        for i in range(200):  # each a new search (no answer-cache hit)
            answers.append(get(port, f"/search.json?q={WORDS[i % len(WORDS)]}&page={1 + i // len(WORDS)}", "127.0.0.2"))
            if answers[-1][0] != 200:
                break
        status, headers, body = answers[-1]
        assert status == 429, [a[0] for a in answers]
        assert len(answers) > 1  # a new address starts with its burst: the first search is answered
        assert int(headers["Retry-After"]) >= 1
        error = json.loads(body)
        assert error["ok"] is False and error["status"] == 429
        assert "setting client_cpu_ms" in error["error"]
        # the page says so too, in the page's shape
        status, headers, page = get(port, "/search?q=mobile", "127.0.0.2")
        assert status == 429 and headers["Content-Type"].startswith("text/html") and b"setting client_cpu_ms" in page
        # another address is not held back by the first one's share
        status, _, body = get(port, "/search.json?q=mobile", "127.0.0.3")
        assert status == 200 and json.loads(body)["total"] > 0
