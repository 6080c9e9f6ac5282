"""In headless Chromium: a long guide built by the real hugo shows sub-results under its result,
and following one lands on the heading with that id in Hugo's own HTML."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ..conftest import running_server, searchsvc_exe
from . import long_guides

CHROMIUM = Path(os.environ.get("SEARCHSVC_CHROMIUM", "/usr/bin/chromium"))
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is installed by the [test] extras")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}; .ci/run installs Debian's chromium package"),
    pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed"),
]


_HOSTS = []


def host_base(base: str) -> str:
    """A page on localhost (another origin) that includes the service's /embed.js."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = f'<!doctype html><html lang="en"><head><title>Guides</title></head><body><main><div id="box"></div><script src="{base}/embed.js" data-target="#box" data-results="inline" data-label="Search guides"></script></main></body></html>'.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _HOSTS.append(server)
    return f"http://localhost:{server.server_address[1]}"


def test_a_sub_result_link_lands_on_hugos_heading(tmp_path):
    site = tmp_path / "site"
    long_guides.hugo_site(site)
    public = site / "public"
    argv = lambda port: [searchsvc_exe(), "serve", "--content", str(site), "--index", str(tmp_path / "index"), "--port", str(port)]  # noqa: E731
    with running_server(argv, tmp_path / "serve.log") as (base, _), playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 700})
            page.set_default_timeout(10_000)

            # The guide's URLs (https://guides.example.org/...) are answered with the files Hugo wrote.
            def from_public(route):
                path = urlsplit(route.request.url).path
                route.fulfill(path=str(public / path.lstrip("/") / "index.html"))

            page.route("https://guides.example.org/**", from_public)

            # The embeddable box on another origin's page lists them too.
            page.goto(f"{host_base(base)}/host.html")
            box = page.get_by_label("Search guides")
            box.fill("screen readers")
            box.press("Enter")
            embedded = page.locator(".searchsvc__hit", has=page.locator(".searchsvc__title", has_text="The accessibility handbook"))
            expect(embedded.locator(".searchsvc__sub-title")).to_have_text(["Screen readers", "Accessibility testing", "Accessibility testing"])
            expect(embedded.locator(".searchsvc__sub-title").first).to_have_attribute("href", "https://guides.example.org/guides/handbook/#screen-readers")
            assert embedded.locator(".searchsvc__sub-snippet mark").count() >= 2
            page.goto(f"{base}/search?q=screen+readers")
            result = page.locator("li.result", has=page.locator("a", has_text="The accessibility handbook"))
            subs = result.locator(".result__sub-results .sub-result__title")
            expect(subs).to_have_text(["Screen readers", "Accessibility testing", "Accessibility testing"])
            expect(subs.first).to_have_attribute("href", "https://guides.example.org/guides/handbook/#screen-readers")
            short = page.locator("li.result", has=page.locator("a", has_text="A short note"))
            expect(short.locator(".result__sub-results")).to_have_count(0)
            subs.first.click()
            expect(page).to_have_url("https://guides.example.org/guides/handbook/#screen-readers")
            heading = page.locator("h3#screen-readers")  # the id is Hugo's, in Hugo's HTML
            expect(heading).to_have_text("Screen readers")
            expect(heading).to_be_in_viewport()
            assert page.evaluate("window.scrollY") > 500  # the browser jumped down the long page to it
        finally:
            browser.close()
            for server in _HOSTS:
                server.shutdown()
                server.server_close()
