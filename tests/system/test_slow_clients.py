"""Slow and abusive clients against the documented production set-up (issue 13 part 4).

gunicorn -w 2 (sync workers) on the real 2017 corpus, behind Debian's nginx
with the SHIPPED recipe (docs/deploy/nginx-root.conf; nginx-subpath.conf
for the rate limit too).  Every client has its own loopback address
(127.0.0.0/8 is all loopback), so nginx's per-client limit sees them apart.

- 200 connections send their request headers one byte a second (a
  "slowloris") while four visitors search at 5 requests a second each for
  20 s: through nginx, the visitors' p99 stays within 100 ms, because nginx
  reads whole requests itself and gunicorn's two workers only see complete
  ones.  The same attack straight at gunicorn takes both workers: each is
  held by a trickling connection until gunicorn's timeout kills it, and the
  visitors' searches wait behind 200 connections in the listen queue.
  Measured here (2 cores, load average 2-3, the real 2017 corpus, nearly
  every search a different query/page/per_page so few come from the answer
  cache): through nginx 400 of 400 answered, p50 6-8 ms, p99 30, 54 and 67 ms in
  three runs (no attack: p99 30 ms); straight at gunicorn 0 of 16 answered, every one timed
  out at the client's 5 s (p99 >= 5 s).  See README "Production".
- A burst beyond the limit is answered 429 with Retry-After and a body that
  says why (the JSON error shape on .json, a page otherwise), while a client
  at a normal rate keeps getting 200.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ..conftest import REPO, assert_canonical_error, load_budget
from ..deployed import DEPLOY, gunicorn_app, needs_nginx, nginx

pytestmark = pytest.mark.slow

ATTACKERS = 200
ATTACK_ADDRESS = "127.0.0.2"
VISITOR_ADDRESSES = ("127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14")
VISITOR_RATE = 5  # requests a second each: under the recipe's 10 r/s per client
SECONDS = 20
CLIENT_TIMEOUT = 5.0
QUERIES = (
    "customer experience", "accessibility", "plain language", "analytics", "mobile", "open data",
    "usability testing", "social media", "content strategy", "user research", "security", "cloud",
    "digital analytics program", "challenge", "api", "section 508", "design", "web performance",
    "training", "search", "metrics", "prototyping", "crowdsourcing", "public participation",
)


class Slowloris:
    """``n`` connections from ``address`` trickling their headers (tests/slowloris.py), in another process."""

    def __init__(self, port: int, n: int = ATTACKERS, address: str = ATTACK_ADDRESS):
        self.argv = [sys.executable, "-m", "tests.slowloris", str(port), str(n), address, str(SECONDS + 5)]
        self.least_held = self.reopened = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, cwd=REPO, stdout=subprocess.PIPE, text=True)
        time.sleep(3)  # every connection open and trickling before anyone measures
        return self

    def __exit__(self, *exc):
        out, _ = self.proc.communicate(timeout=60)
        stats = json.loads(out)
        self.least_held, self.reopened = stats["least_held"], stats["reopened"]


def one_request(port: int, path: str, address: str) -> tuple[int | None, float, bytes, dict]:
    """(status or None on a timeout/error, seconds, body, headers) of one fresh connection."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT, source_address=(address, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, time.monotonic() - started, body, dict(response.getheaders())
    except OSError:
        return None, time.monotonic() - started, b"", {}
    finally:
        conn.close()


def warm_up(port: int) -> None:
    """Each worker builds its per-generation state (the typo vocabulary, ~0.65 s;
    facet and date tables) once, on its first searches.  Several at once, so
    both workers get some (one at a time, one worker may take them all and the
    other pay its 0.65 s during the measurement); words the visitors never send,
    so their own searches start cold."""
    words = ("warmup", "warmed", "warming", "warms", "warmest", "warmer", "warmth", "warmly")
    for _ in range(2):
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda q: one_request(port, f"/search.json?q={q}&per_page=12", "127.0.0.3"), words))


def visitors(port: int, seconds: float = SECONDS) -> list[tuple[int | None, float, float]]:
    """Four visitors, each searching at VISITOR_RATE a second for ``seconds``
    (query, page and per_page vary together, so nearly every search is new to the answer cache)."""
    results: list[tuple[int | None, float, float]] = []  # (status, seconds, when: seconds into the run)
    lock = threading.Lock()
    t0 = time.monotonic()

    def visitor(k: int, address: str) -> None:
        end = time.monotonic() + seconds
        i = k
        while time.monotonic() < end:
            started = time.monotonic()
            q = QUERIES[i % len(QUERIES)].replace(" ", "+")
            status, took, _, _ = one_request(port, f"/search.json?q={q}&page={1 + i % 3}&per_page={5 + i % 20}", address)
            with lock:
                results.append((status, took, started - t0))
            i += len(VISITOR_ADDRESSES)
            time.sleep(max(0.0, 1.0 / VISITOR_RATE - (time.monotonic() - started)))

    threads = [threading.Thread(target=visitor, args=(k, a)) for k, a in enumerate(VISITOR_ADDRESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def summary(label: str, results: list[tuple[int | None, float, float]]) -> str:
    times = [t if status == 200 else CLIENT_TIMEOUT for status, t, _ in results]
    ok = sum(1 for status, _, _ in results if status == 200)
    slowest = sorted(results, key=lambda r: -r[1])[:5]
    at = ", ".join(f"{t * 1000:.0f} ms at {when:.1f} s" for _, t, when in slowest)
    return (
        f"{label}: {len(results)} searches, {ok} answered 200, p50 {sorted(times)[len(times) // 2] * 1000:.0f} ms, "
        f"p99 {p99(times) * 1000:.0f} ms; slowest {at}"
    )


@pytest.fixture(scope="module")
def app(corpus_index, tmp_path_factory):
    index_dir, _ = corpus_index
    cwd = tmp_path_factory.mktemp("slow-clients")
    with gunicorn_app(index_dir, cwd=cwd, trusted_proxy_hops=1) as (_, proc):
        yield proc


@pytest.mark.keeps_resources
def test_slow_headers_through_nginx_do_not_delay_searches(app, tmp_path):
    needs_nginx()
    with nginx("nginx-root.conf", tmp_path / "nginx", app.port) as base:
        port = int(base.rsplit(":", 1)[1])
        warm_up(port)
        with Slowloris(port) as attack:
            results = visitors(port)
    line = summary("through nginx, 200 slow-header connections", results) + f" (attack held at least {attack.least_held}, reopened {attack.reopened})"
    print(line)
    assert attack.least_held >= ATTACKERS * 0.95, line
    assert [s for s, _, _ in results if s != 200] == [], line
    assert len(results) >= SECONDS * VISITOR_RATE * len(VISITOR_ADDRESSES) * 0.5, line
    assert p99([t for _, t, _ in results]) <= load_budget(0.100), line


@pytest.mark.keeps_resources
def test_the_same_attack_straight_at_gunicorn_takes_its_workers(app):
    """Not a target to meet: the measurement that shows why nginx is in the recipe.

    Asserted only as far as it is certain: with both sync workers held by
    trickling connections, a visitor's search waits seconds, not milliseconds."""
    warm_up(app.port)
    with Slowloris(app.port) as attack:
        results = visitors(app.port)
    line = summary("straight at gunicorn -w 2, 200 slow-header connections", results) + f" (attack held at least {attack.least_held}, reopened {attack.reopened})"
    print(line)
    times = [t if status == 200 else CLIENT_TIMEOUT for status, t, _ in results]
    assert p99(times) >= 1.0, line


@pytest.mark.keeps_resources
@pytest.mark.parametrize("recipe, prefix", [("nginx-root.conf", ""), ("nginx-subpath.conf", "/search")])
def test_a_burst_beyond_the_limit_gets_429_that_says_why(app, tmp_path, recipe, prefix):
    needs_nginx()
    explained_json = json.loads((DEPLOY / "errors" / "429.json").read_text())
    with nginx(recipe, tmp_path / "nginx", app.port, site_files={} if prefix else None) as base:
        port = int(base.rsplit(":", 1)[1])
        started = time.monotonic()
        burst = [one_request(port, f"{prefix}/search.json?q=customer", "127.0.0.5") for _ in range(60)]
        elapsed = time.monotonic() - started
        page = one_request(port, f"{prefix}/search?q=customer", "127.0.0.5")
        # another client at a normal rate is not held back by the first one's limit
        normal = []
        for _ in range(10):
            normal.append(one_request(port, f"{prefix}/search.json?q=customer", "127.0.0.6"))
            time.sleep(0.2)
    statuses = [status for status, _, _, _ in burst]
    assert statuses[:21] == [200] * 21  # the rate plus the burst of 20, answered at once
    # beyond it, 10 a second: however slow this machine sent them
    assert 1 <= statuses.count(429) and statuses.count(200) <= 21 + 10 * elapsed + 1, (elapsed, statuses)
    refused = next(r for r in burst if r[0] == 429)
    assert json.loads(refused[2]) == explained_json
    assert assert_canonical_error(explained_json, 429)["error"].startswith("too many requests from your address")
    assert refused[3]["Content-Type"] == "application/json" and refused[3]["Retry-After"] == "2"
    status, _, body, headers = page
    assert status == 429 and headers["Content-Type"] == "text/html"
    assert b"<h1>Too many searches at once</h1>" in body and b"Wait a few seconds" in body
    assert [status for status, _, _, _ in normal] == [200] * 10
