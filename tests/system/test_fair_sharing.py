"""A worker runs at most ``max_concurrent_searches`` searches; beyond a short queue it answers 503 + Retry-After (issue 16, fair sharing).

Driven through a real ``searchsvc serve`` process (threaded) over the real
2017 corpus, with the time limit off so that each search is the multi-second
one of finding F1.
"""

from __future__ import annotations

import json
import os
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
