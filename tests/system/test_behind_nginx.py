"""Behind Debian's nginx at /search/ and at the root, with the shipped recipes.

A real gunicorn runs ``searchsvc.wsgi:app`` from a folder that is not the
checkout, on the sample content; nginx loads docs/deploy/nginx-subpath.conf
(or nginx-root.conf) with only ports and paths substituted; a visitor's
requests go through nginx only.  The Chromium check types in the
type-ahead at /search/ and must land on /search/search?q=..., not on the
site's own home page at /.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

from ..conftest import SAMPLE, build
from ..deployed import gunicorn_app, needs_nginx, nginx

pytestmark = [pytest.mark.slow, pytest.mark.keeps_resources]

SITE_HOME = "<!doctype html><title>The site</title><h1>The site's own home page</h1>"
# A page of the site with the embeddable box, loaded from the service's sub-path.
SITE_EMBED = (
    '<!doctype html><meta charset="utf-8"><title>A page of the site</title>'
    '<div id="box"></div><script src="/search/embed.js" data-target="#box" defer></script>'
)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str, follow: bool = True):
    """(status, headers, body text) without raising on an error status."""
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=15) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    index = tmp_path_factory.mktemp("nginx-index") / "index"
    build(SAMPLE, index)
    return index


@pytest.fixture(scope="module")
def subpath(tmp_path_factory, index_dir):
    """nginx (nginx-subpath.conf) on a free port -> gunicorn -w 2; yields nginx's base URL."""
    needs_nginx()
    root = tmp_path_factory.mktemp("behind-nginx")
    with gunicorn_app(index_dir, cwd=root / "elsewhere", trusted_proxy_hops=1, trusted_hosts="127.0.0.1") as (_, app):
        with nginx("nginx-subpath.conf", root / "nginx", app.port, site_files={"index.html": SITE_HOME, "embed.html": SITE_EMBED}) as base:
            yield base


def test_the_page_loads_its_css_and_script_under_the_prefix(subpath):
    status, _, html = get(f"{subpath}/search/")
    assert status == 200
    page = BeautifulSoup(html, "html.parser")
    css = page.select_one('link[rel="stylesheet"]')["href"]
    script = page.select_one("script[src]")["src"]
    assert (css, script) == ("/search/static/search.css", "/search/static/search.js")
    for path, kind in ((css, "text/css"), (script, "text/javascript")):
        status, headers, body = get(subpath + path)
        assert status == 200 and headers["Content-Type"].startswith(kind) and len(body) > 1000
    # /search without its slash is sent to the service, not to the site
    status, headers, _ = get(f"{subpath}/search", follow=False)
    assert status == 301 and headers["Location"].endswith("/search/")
    assert get(f"{subpath}/")[2] == SITE_HOME


def test_a_facet_link_and_the_next_page_work_under_the_prefix(subpath):
    status, _, html = get(f"{subpath}/search/search")
    page = BeautifulSoup(html, "html.parser")
    assert status == 200 and page.select_one("#result-count").get_text(strip=True) == "Showing 1–10 of 29 results"
    tag = page.select_one("a.tag[href*='tags=']")
    assert tag["href"].startswith("/search/search?tags=")
    status, _, tagged = get(subpath + tag["href"])
    assert status == 200
    assert BeautifulSoup(tagged, "html.parser").select_one("h1").get_text(strip=True) == f"Posts tagged {tag.get_text(strip=True)}"
    following = page.select_one('a[rel="next"]')["href"]
    assert following == "/search/search?page=2"
    status, _, second = get(subpath + following)
    assert status == 200
    assert BeautifulSoup(second, "html.parser").select_one("#result-count").get_text(strip=True) == "Showing 11–20 of 29 results"
    # the filters form goes to the service too
    assert page.select_one("form#filters")["action"] == "/search/search"


def test_the_json_links_work_under_the_prefix(subpath):
    status, _, body = get(f"{subpath}/search/search.json?q=customer")
    data = json.loads(body)
    assert status == 200 and data["next_url"].startswith("/search/search.json?q=customer&page=2")
    assert json.loads(get(subpath + data["next_url"])[2])["page"] == 2
    toggle = data["facets"]["tags"][0]["toggle_url"]
    assert toggle.startswith("/search/search.json?q=customer&tags=")
    assert json.loads(get(subpath + toggle)[2])["ok"] is True
    suggestions = json.loads(get(f"{subpath}/search/suggest.json?q=cust")[2])["suggestions"]
    assert suggestions[0] == {"text": "customer", "kind": "term", "url": "/search/search?q=customer"}


def test_opensearch_has_one_prefix_and_nginx_host(subpath):
    status, _, body = get(f"{subpath}/search/opensearch.xml")
    assert status == 200
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    templates = {u.get("type"): u.get("template") for u in ElementTree.fromstring(body).findall("os:Url", ns)}
    assert templates == {
        "text/html": f"{subpath}/search/search?q={{searchTerms}}",
        "application/json": f"{subpath}/search/search.json?q={{searchTerms}}",
        "application/opensearchdescription+xml": f"{subpath}/search/opensearch.xml",
    }


def test_at_the_root_with_nginx_root_conf(tmp_path, index_dir):
    needs_nginx()
    with gunicorn_app(index_dir, cwd=tmp_path / "elsewhere", trusted_proxy_hops=1, service_url="https://search.example.gov/") as (_, app):
        with nginx("nginx-root.conf", tmp_path / "nginx", app.port) as base:
            page = BeautifulSoup(get(f"{base}/search?q=customer")[2], "html.parser")
            assert page.select_one('link[rel="stylesheet"]')["href"] == "/static/search.css"
            assert get(base + "/static/search.css")[0] == 200
            assert page.select_one('a[rel="next"]')["href"] == "/search?q=customer&page=2"
            assert get(base + "/search?q=customer&page=2")[0] == 200
            body = get(f"{base}/opensearch.xml")[2]
            assert 'template="https://search.example.gov/search?q={searchTerms}"' in body


# --- in a real browser ---------------------------------------------------------

CHROMIUM = Path(os.environ.get("SEARCHSVC_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is installed by the [test] extras")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}; .ci/run installs Debian's chromium package")
    from ..web.test_browser import CHROMIUM_ARGS

    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_type_ahead_at_the_sub_path_lands_on_the_sub_path(browser, subpath):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=subpath)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto("/search/")
        box = page.locator("#q")
        box.click()
        page.keyboard.type("cust")
        options = page.locator('#q-list [role="option"]')
        expect(options.first).to_contain_text("customer", timeout=10_000)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{subpath}/search/search?q=customer", timeout=10_000)
        expect(page.locator("h1")).to_have_text("Results for “customer”")
        # the page's script runs under the prefix: ticking a filter loads in place
        page.evaluate("window.__samePage = 'yes'")
        page.locator('#filters input[name="tags"]').first.check()
        page.wait_for_url(lambda url: url.startswith(f"{subpath}/search/search?q=customer&tags="), timeout=10_000)
        assert page.evaluate("window.__samePage") == "yes"
    finally:
        context.close()
    assert errors == []


def test_the_embedded_box_on_the_site_searches_the_sub_path(browser, subpath):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=subpath)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        # (the site has no favicon.ico: that 404 is the site's, not the box's)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.goto("/embed.html")
        box = page.locator(".searchsvc__input")
        expect(box).to_be_visible(timeout=10_000)
        assert page.locator("link[data-searchsvc]").get_attribute("href") == f"{subpath}/search/embed.css"
        assert page.locator("form.searchsvc__form").get_attribute("action") == f"{subpath}/search/search"
        box.click()
        page.keyboard.type("cust")
        expect(page.locator('.searchsvc [role="option"]').first).to_contain_text("customer", timeout=10_000)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{subpath}/search/search?q=customer", timeout=10_000)
    finally:
        context.close()
    assert errors == []
