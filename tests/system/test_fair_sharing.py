"""A worker runs at most ``max_concurrent_searches`` searches; beyond a short queue it answers 503 + Retry-After (issue 16, fair sharing).

Driven through a real ``searchsvc serve`` process (threaded) over the real
2017 corpus, with the time limit off so that each search is the multi-second
one of finding F1.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from ..conftest import assert_canonical_error, running_server, searchsvc_exe

PREFIXES = "co re in de pr st ma se ca pa di ac me ha un ex fo tr su ne im bu an ad mo sh pl ch li wo ge".split()


def _get(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


@pytest.mark.slow
def test_searches_beyond_the_workers_places_answer_503_with_retry_after(corpus_index, tmp_path):
    index_dir, _ = corpus_index
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env.update(SEARCHSVC_MAX_CONCURRENT_SEARCHES="1", SEARCHSVC_SEARCH_QUEUE_MS="1", SEARCHSVC_QUERY_TIME_LIMIT_MS="0")
    argv = lambda port: [searchsvc_exe(), "serve", "--index", str(index_dir), "--port", str(port)]  # noqa: E731
    with running_server(argv, tmp_path / "serve.log", env=env) as (base, _):
        # six different expensive queries (no two share a cache entry), all at once
        urls = [
            base + "/search.json?" + urlencode({"q": " ".join(p + "*" for p in PREFIXES[i:] + PREFIXES[:i])})
            for i in range(6)
        ]
        with ThreadPoolExecutor(len(urls)) as pool:
            answers = list(pool.map(_get, urls))
        statuses = sorted(status for status, _, _ in answers)
        assert statuses[0] == 200 and statuses[-1] == 503, statuses
        for status, headers, body in answers:
            if status == 503:
                assert headers["Retry-After"] == "1"
                assert "(setting max_concurrent_searches: 1)" in assert_canonical_error(body, 503)["error"]
        # the place is given back: a search afterwards is answered
        status, headers, body = _get(base + "/search.json?q=customer+experience")
        assert status == 200 and body["total"] > 0 and "Retry-After" not in headers


def _get_from(port: int, path: str, address: str) -> tuple[int, dict, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(address, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.slow
def test_expensive_searches_take_turns_on_the_spare_time_and_normal_ones_do_not_wait(corpus_index, tmp_path):
    """client_cpu_ms: a search that passes 50 ms of CPU runs only on the worker's
    spare time, one at a time; expensive ones at once from new addresses: one
    answered, the others stopped with 429; a normal search meanwhile is answered."""
    index_dir, _ = corpus_index
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env.update(SEARCHSVC_CLIENT_CPU_MS="1000", SEARCHSVC_CLIENT_CPU_BURST_MS="1000")  # every address well within its share
    argv = lambda port: [searchsvc_exe(), "serve", "--index", str(index_dir), "--port", str(port)]  # noqa: E731
    with running_server(argv, tmp_path / "serve.log", env=env) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        _get_from(port, "/search.json?q=warmup", "127.0.0.20")  # the typo vocabulary, built once
        refused = None
        for round_ in range(10):  # until two overlapped
            addresses = [f"127.0.1.{round_ * 4 + k + 1}" for k in range(4)]  # new each round: nothing known of them
            barrier = threading.Barrier(len(addresses))

            def at_once(k):
                barrier.wait()
                return _get_from(port, f"/search.json?q={PREFIXES[k]}*+{PREFIXES[k + 4]}*&page={round_ + 1}", addresses[k])

            with ThreadPoolExecutor(len(addresses)) as pool:
                answers = list(pool.map(at_once, range(len(addresses))))
            statuses = sorted(status for status, _, _ in answers)
            if 429 in statuses:
                refused = next(a for a in answers if a[0] == 429)
                assert 200 in statuses, statuses
                break
        normal = _get_from(port, "/search.json?q=customer+experience", "127.0.0.21")
    assert refused is not None, "four expensive searches at once were all answered, ten times"
    status, headers, body = refused
    assert int(headers["Retry-After"]) >= 1 and body["status"] == 429
    assert body["error"].startswith("this search costs more than 50 CPU ms and the service is busy with others like it")
    assert normal[0] == 200 and normal[2]["total"] > 0
