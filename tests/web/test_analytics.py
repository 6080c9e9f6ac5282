"""Analytics over HTTP: the click redirect, the counts, /admin/stats, and
what is never kept (nothing about the visitor)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from searchsvc.analytics import store
from searchsvc.analytics.recorder import Recorder

from ..conftest import SAMPLE, assert_canonical_error, build, load_budget, open_app
from ..liveserver import gunicorn, request

TODAY = dt.date.today().isoformat()
# Distinctive values a visitor's request carries; none may be stored or logged.
IDENTITY = {
    "X-Forwarded-For": "203.0.113.77",
    "User-Agent": "Zorglub-Browser/9.81",
    "Cookie": "session=quux-cookie-5150",
    "Referer": "https://referrer.example/plugh-page",
}


@pytest.fixture
def site(tmp_path):
    index_dir = tmp_path / "index"
    build(SAMPLE, index_dir)
    return index_dir


def rows(index_dir, table):
    with sqlite3.connect(store.path_of(index_dir)) as conn:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall())


def first_links(client, q):
    page = BeautifulSoup(client.get("/search", query_string={"q": q}).get_data(as_text=True), "html.parser")
    return [a["href"] for a in page.select(".results__list .result__title a")]


def test_a_result_link_counts_its_position_and_leads_to_the_result(site):
    with open_app({"index_dir": str(site)}) as app:
        client = app.test_client()
        data = client.get("/search.json?q=plain+language").get_json()
        links = first_links(client, "plain language")
        assert links[2] == "/click?" + urlencode({"q": "plain language", "pos": "3", "url": data["results"][2]["url"]})
        response = client.get(links[2])
        assert response.status_code == 302 and response.headers["Location"] == data["results"][2]["url"]
        assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
        page2 = client.get("/search.json?q=plain+language&per_page=2&page=2").get_json()
        assert client.get("/click?" + urlencode({"q": "plain language", "per_page": "2", "page": "2", "pos": "4", "url": page2["results"][1]["url"]})).status_code == 302
    assert rows(site, "searches") == [(TODAY, "plain language", 2, data["total"])]
    assert rows(site, "clicks") == [(TODAY, "plain language", 3, 1), (TODAY, "plain language", 4, 1)]


@pytest.mark.parametrize("url", [
    "https://evil.example/phish",               # not a result at all
    "SECOND",                                   # a result, but not the one at pos 1
    "javascript:alert(1)",                      # fails the link rule
    "//evil.example/",
])
def test_the_click_redirect_refuses_a_url_the_results_do_not_hold_there(site, url):
    with open_app({"index_dir": str(site)}) as app:
        client = app.test_client()
        results = client.get("/search.json?q=plain+language").get_json()["results"]
        url = results[1]["url"] if url == "SECOND" else url
        response = client.get("/click?" + urlencode({"q": "plain language", "pos": "1", "url": url}))
        assert response.status_code == 400 and "Location" not in response.headers
        assert "url" in response.get_data(as_text=True)
        assert client.get("/click?" + urlencode({"q": "plain language", "pos": "x", "url": results[0]["url"]})).status_code == 400
    assert rows(site, "clicks") == []


def test_analytics_off_keeps_nothing_and_links_lead_straight_to_results(site):
    with open_app({"index_dir": str(site), "analytics": "false"}) as app:
        client = app.test_client()
        url = client.get("/search.json?q=plain+language").get_json()["results"][0]["url"]
        assert first_links(client, "plain language")[0] == url
    assert not store.path_of(site).exists()


def test_admin_stats_shows_frequent_queries_behind_the_token(site):
    recorder = Recorder(site, 1000, 90)
    for _ in range(6):
        recorder.search("benefit finder", 0)
    for _ in range(4):
        recorder.search("jane q visitor", 3)
    recorder.close()
    with open_app({"index_dir": str(site), "admin_token": "s3cret"}) as app:
        client = app.test_client()
        assert "Authorization: Bearer <token>" in assert_canonical_error(client.get("/admin/stats"), 401)["error"]
        assert_canonical_error(client.get("/admin/stats", headers={"Authorization": "Bearer nope"}), 403, message="the bearer token is not the configured admin token")
        response = client.get("/admin/stats?days=7", headers={"Authorization": "Bearer s3cret"})
        assert response.status_code == 200
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        zero = [[td.get_text() for td in tr.select("td")] for tr in page.select("#zero_results tbody tr")]
        assert zero == [["benefit finder", "6", "0"]]
        assert "jane q visitor" not in response.get_data(as_text=True)
        days_0 = client.get("/admin/stats?days=0", headers={"Authorization": "Bearer s3cret"})
        assert_canonical_error(days_0, 400, "days", "days must be a whole number from 1 to 366")
    with open_app({"index_dir": str(site)}) as app:
        assert_canonical_error(app.test_client().get("/admin/stats"), 404, message="there is nothing at /admin/stats")  # no token: no admin pages


def _hammer(port, paths, headers, failures, per_thread):
    for i in range(per_thread):
        status, _, _ = request(port, "GET", paths[i % len(paths)], headers=headers)
        if status != 200:
            failures.append(status)


@pytest.mark.slow
def test_two_gunicorn_workers_count_every_search_and_keep_no_identity(site):
    paths = ["/search.json?q=plain+language", "/search?q=Plain++Language", "/search.json?q=omb", "/search.json?q=zzyzxq"]
    failures: list[int] = []
    with gunicorn(site, workers=2) as server:
        threads = [threading.Thread(target=_hammer, args=(server.port, paths, IDENTITY, failures, 60)) for _ in range(6)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - started
        omb = request(server.port, "GET", "/search.json?q=omb")[2]["total"]
        plain = request(server.port, "GET", "/search.json?q=plain+language&page=2")[2]["total"]  # page 2: not counted
        log_path = server.log_path
    assert failures == []
    # 6 threads x 60 requests, a quarter each; plus the one above.
    assert rows(site, "searches") == [(TODAY, "omb", 91, omb), (TODAY, "plain language", 180, plain), (TODAY, "zzyzxq", 90, 0)]
    assert took < load_budget(360)  # sanity: the load is bounded
    database = b"".join(p.read_bytes() for p in site.glob("analytics.sqlite3*"))
    with sqlite3.connect(store.path_of(site)) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert sorted(tables) == ["clicks", "dropped", "searches"]
    for table in tables:
        database += repr(rows(site, table)).encode()
    written = database + log_path.read_bytes()  # the server's whole output
    for value in IDENTITY.values():
        for part in (value, value.split("/")[0], value.split("=")[-1]):
            assert part.encode() not in written, part
    assert b"127.0.0.1" not in database  # the loopback address every request came from


@pytest.mark.slow
def test_a_full_queue_drops_counts_but_answers_every_search(site):
    store.connect(site).close()
    blocker = sqlite3.connect(store.path_of(site), isolation_level=None, timeout=30)
    failures: list[int] = []
    with gunicorn(site, workers=2, analytics_queue_size=2) as server:
        blocker.execute("BEGIN EXCLUSIVE")  # the writers wait: their queues fill
        try:
            started = time.monotonic()
            _hammer(server.port, ["/search.json?q=plain+language"], {}, failures, 100)
            took = time.monotonic() - started
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
    assert failures == []
    counted = sum(n for _, q, n, _ in rows(site, "searches"))
    dropped = sum(n for _, n in rows(site, "dropped"))
    assert counted < 100 and dropped > 0 and counted + dropped == 100, (counted, dropped)
    assert took < load_budget(100 * 0.5)  # no request waited on the locked database (5 s busy timeout each)
