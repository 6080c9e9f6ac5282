"""Routed queries from search/routes.yml through a real gunicorn server: the
page redirects, the JSON says where, an edit applies within a second with
no reindex, an unsafe URL is never served."""

from __future__ import annotations

import pytest

import os
import shutil
import time
from urllib.parse import quote

from ..conftest import SAMPLE, build, load_budget
from ..liveserver import gunicorn, request


@pytest.mark.slow  # a real gunicorn server
def test_routes_from_the_site_folder_redirect_and_apply_an_edit_within_a_second(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    (site / "search").mkdir()
    routes = site / "search" / "routes.yml"
    routes.write_text("- query: Contact  Us\n  url: https://www.example.gov/contact/\n- query: evil\n  url: javascript:alert(1)\n", encoding="utf-8")
    build(site, tmp_path / "index")
    with gunicorn(tmp_path / "index", workers=2) as server:
        status, _, data = request(server.port, "GET", "/search.json?q=contact%20us")
        assert (status, data["route"]) == (200, {"url": "https://www.example.gov/contact/"})
        status, headers, _ = request(server.port, "GET", "/search?q=CONTACT+us")
        assert (status, headers["Location"]) == (302, "https://www.example.gov/contact/")
        for q in ("evil", "contact"):
            status, _, data = request(server.port, "GET", f"/search.json?q={quote(q)}")
            assert (status, data["route"]) == (200, None)
        status, _, page = request(server.port, "GET", "/search?q=evil")
        assert status == 200 and "javascript:alert" not in page

        routes.write_text("- query: contact us\n  url: /about/contact/\n", encoding="utf-8")
        os.utime(routes, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        started = time.monotonic()
        seen = set()
        while time.monotonic() - started < 10:
            # several requests, so both workers answer
            seen = {request(server.port, "GET", "/search.json?q=contact+us")[2]["route"]["url"] for _ in range(6)}
            if seen == {"/about/contact/"}:
                break
        applied = time.monotonic() - started
        assert seen == {"/about/contact/"}
        print(f"settings edit applied in {applied * 1000:.1f} ms")
        assert applied < load_budget(1.0), applied
        status, headers, _ = request(server.port, "GET", "/search?q=contact+us")
        assert (status, headers["Location"]) == (302, "/about/contact/")

        routes.unlink()
        started = time.monotonic()
        while time.monotonic() - started < 10:
            status, _, data = request(server.port, "GET", "/search.json?q=contact+us")
            if data["route"] is None:
                break
        assert (status, data["route"]) == (200, None)
        assert time.monotonic() - started < load_budget(1.0)
