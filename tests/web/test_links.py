"""Issue 16 F3: no result link the service emits from content can run a script
or leave for another host, whatever built it (url/permalink front matter,
SEARCHSVC_URL_PATTERN, slugs): tried through a real server on /search, /,
the JSON and the type-ahead; embed.js checks again before writing an href."""

from __future__ import annotations

import re
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from searchsvc.query.links import is_safe_link

from ..conftest import build, write_post
from ..liveserver import gunicorn
from ..liveserver import request as http

def _site(root: Path) -> Path:
    write_post(root, "javascript:alert(1);/folder-post.md", "title: Zebra folder\ndate: 2017-01-02", "zebra words here")
    write_post(root, "news/slug-post.md", 'title: Zebra slug\ndate: 2017-01-03\nslug: "javascript:alert(1);%2f%2f"', "zebra words here")
    write_post(root, "news/backslash.md", 'title: Zebra backslash\ndate: 2017-01-04\nurl: "/\\\\evil.example/"', "zebra words here")
    write_post(root, "news/encoded.md", 'title: Zebra encoded\ndate: 2017-01-05\nurl: "/%2f%2fevil.example/"', "zebra words here")
    write_post(root, "news/data.md", 'title: Zebra data\ndate: 2017-01-06\nurl: "data:text/html,<script>alert(1)</script>"', "zebra words here")
    write_post(root, "news/good.md", "title: Zebra good\ndate: 2017-01-07", "zebra words here")
    return root


def _hrefs(html: str) -> list[str]:
    """Every href, and for a result link through the click counter
    (/click?...&url=<link>) the link it leads to as well."""
    hrefs = re.findall(r'href="([^"]*)"', html)
    return hrefs + [parse_qs(urlsplit(unescape(h)).query)["url"][0] for h in hrefs if h.startswith("/click?")]


# url_pattern -> the link each result gets (None: shown without a link)
EXPECTED = {
    "{section}/{slug}/": {
        "Zebra folder": None, "Zebra slug": "news/javascript:alert(1);%2f%2f/", "Zebra backslash": None,
        "Zebra encoded": None, "Zebra data": "news/data/", "Zebra good": "news/good/",
    },
    "{slug}/": {
        "Zebra folder": "folder-post/", "Zebra slug": None, "Zebra backslash": None,
        "Zebra encoded": None, "Zebra data": "data/", "Zebra good": "good/",
    },
}


@pytest.fixture(scope="module", params=list(EXPECTED))
def live(request, tmp_path_factory):
    base = tmp_path_factory.mktemp("links")
    content = _site(base / "content")
    index_dir = base / "index"
    build(content, index_dir, url_pattern=request.param)
    with gunicorn(index_dir, workers=1, content_dir=content, url_pattern=request.param) as server:
        server.pattern = request.param
        yield server


def test_no_unsafe_link_on_any_surface(live):
    status, _, data = http(live.port, "GET", "/search.json?q=zebra&per_page=100")
    assert status == 200
    urls = {r["title"]: r["url"] for r in data["results"]}
    assert urls == EXPECTED[live.pattern]
    for path in ("/search?q=zebra&per_page=100", "/"):
        status, _, html = http(live.port, "GET", path)
        assert status == 200
        hrefs = _hrefs(html)
        assert EXPECTED[live.pattern]["Zebra good"] in hrefs
        bad = [h for h in map(unescape, hrefs) if re.match(r"\s*(javascript|data|vbscript):|//|/\\|\\", h.lower()) or not is_safe_link(h)]
        assert bad == [], path
    status, _, data = http(live.port, "GET", "/suggest.json?q=zebra")
    assert status == 200
    titles = {s["text"]: s["url"] for s in data["suggestions"] if s["kind"] == "title"}
    assert titles == {t: u for t, u in EXPECTED[live.pattern].items() if u is not None}


def test_embed_js_checks_again_before_an_href():
    js = (Path(__file__).resolve().parents[2] / "searchsvc" / "static" / "search.js").read_text()
    func = re.search(r"  function safeHref\(.*?\n  }\n", js, re.S).group(0)
    probe = func + """
for (const u of ["/a/", "javascript:alert(1)", "//evil.example/", "/\\\\evil.example/", "data:x", "java\\tscript:x", "https://x.gov/"])
  console.log(JSON.stringify(safeHref(u, "https://site.example/p/")));"""
    out = subprocess.run(["node", "-e", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ['"https://site.example/a/"', "null", "null", "null", "null", "null", '"https://x.gov/"']
