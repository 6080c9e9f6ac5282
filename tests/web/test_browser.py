"""The search page in a real browser: Debian's headless Chromium driven by Playwright.

One real `searchsvc serve` process on the sample content (plus one hostile
post) and one browser serve the whole module; each test opens a fresh
context (empty cookies and storage).  Every page records dialogs, uncaught
script errors and Content-Security-Policy violations, and a test fails if
any occurred.  The browser is never downloaded: Playwright drives
/usr/bin/chromium (installed by .ci/run from Debian's packages).

Set SEARCHSVC_SCREENSHOTS=docs/screenshots to refresh the README's pictures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import urllib.request
from urllib.parse import urljoin
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest

from ..conftest import REPO, SAMPLE, running_server, searchsvc_exe, write_post

# One browser and its servers serve the whole module (Playwright keeps a thread).
pytestmark = [pytest.mark.keeps_resources, pytest.mark.slow]  # a real Chromium: 25 s in all

CHROMIUM = Path(os.environ.get("SEARCHSVC_CHROMIUM", "/usr/bin/chromium"))
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Read at import: an autouse fixture in conftest.py clears SEARCHSVC_* variables.
SCREENSHOTS = os.environ.get("SEARCHSVC_SCREENSHOTS")
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
HOSTILE_TITLE = "<script>alert(1)</script> Hostile title"

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is installed by the [test] extras")
expect = playwright_api.expect
# Other suites may share the two cores: give assertions room before they fail.
expect.set_options(timeout=10_000)

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}; .ci/run installs Debian's chromium package", allow_module_level=True)


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A real server on the sample content plus one post written by an attacker."""
    root = tmp_path_factory.mktemp("browser-site")
    content = root / "site"  # the sample Hugo site; its pages are under content/
    shutil.copytree(SAMPLE, content)
    write_post(
        content / "content",
        "posts/2017-02-02-hostile.md",
        f"""
        title: "{HOSTILE_TITLE}"
        date: 2017-02-02
        summary: '"><img src=x onerror=alert(1)> a hostile summary'
        tags: ['"><img src=x onerror=alert(1)>', zzhostile]
        """,
        'Hostile body <script>alert(3)</script> "><img src=x onerror=alert(1)> zzhostile.',
    )
    (content / "search").mkdir()
    (content / "search" / "best-bets.yml").write_text(
        "- query: section 508\n"
        "  links: [{title: Section508.gov, url: 'https://www.section508.gov/', description: The government's 508 site}]\n"
        "  pages: [posts/2016/2016-04-12-what-the-section-508-refresh-means.md]\n",
        encoding="utf-8",
    )
    (content / "search" / "routes.yml").write_text("- query: contact us\n  url: https://www.example.gov/contact/\n", encoding="utf-8")
    argv = lambda port: [searchsvc_exe(), "serve", "--content", str(content), "--index", str(root / "index"), "--port", str(port)]  # noqa: E731
    with running_server(argv, root / "serve.log") as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        # No user_data_dir: Playwright gives each launch a new empty profile.
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Watch:
    """What a page did that no visitor should ever see."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(message.text)


def open_page(browser, site, **context_options):
    options = {"viewport": {"width": 1280, "height": 900}, "base_url": site}
    options.update(context_options)
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return context, page, Watch(page)


@pytest.fixture
def page(browser, site):
    context, page, watch = open_page(browser, site)
    page.watch = watch
    yield page
    context.close()
    assert watch.dialogs == [], f"dialogs opened: {watch.dialogs}"
    assert watch.errors == [], f"script errors or CSP violations: {watch.errors}"


def count_text(total: int, first: int = 1, per_page: int = 10) -> str:
    last = min(total, first + per_page - 1)
    return f"Showing {first}–{last} of {total} result{'' if total == 1 else 's'}"


def keep_marker(page):
    """Set a value that survives in-place updates and dies with a page load."""
    page.evaluate("window.__samePage = 'yes'")


def same_page(page) -> bool:
    return page.evaluate("window.__samePage") == "yes"


def checkbox(page, name: str, value: str):
    return page.locator(f'#filters input[name="{name}"][value="{value}"]')


def show_more(page, name: str):
    """Unfold a facet's "N more" values, as a visitor would to reach them."""
    page.locator(f'fieldset[data-facet="{name}"] details.facet__more summary').click()


# --- searching ---------------------------------------------------------------


def test_type_a_query_and_see_results(page, site):
    page.goto("/")
    page.get_by_label("Search this site").fill("plain language")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{site}/search?q=plain+language")
    data = get_json(f"{site}/search.json?q=plain+language")
    expect(page.locator("h1")).to_have_text("Results for “plain language”")
    expect(page.locator("#result-count")).to_have_text(count_text(data["total"]))
    titles = page.locator(".result__title a").all_inner_texts()
    assert titles == [hit["title"] for hit in data["results"]]
    assert "Plain Language in Forms: Ask Only What You Need" in titles
    assert page.locator(".result__snippet mark").count() >= 3
    # a second search from the results page loads in place and is recorded
    keep_marker(page)
    box = page.locator("#q")
    box.fill("accessible pdfs")
    box.press("Enter")
    expect(page).to_have_url(f"{site}/search?q=accessible+pdfs")
    expect(page.locator("h1")).to_have_text("Results for “accessible pdfs”")
    assert page.locator(".result__title a").first.inner_text() == "Making PDFs Accessible Without Losing Your Mind"
    assert same_page(page)
    page.go_back()
    expect(page.locator("h1")).to_have_text("Results for “plain language”")
    expect(box).to_have_value("plain language")


def test_type_ahead_by_keyboard(page, site):
    page.goto("/search")
    box = page.locator("#q")
    listbox = page.locator("#q-list")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-controls") == "q-list"
    assert listbox.get_attribute("role") == "listbox"
    expect(box).to_have_attribute("aria-expanded", "false")
    box.click()
    page.keyboard.type("cust")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    wanted = get_json(f"{site}/suggest.json?q=cust")["suggestions"]
    options = listbox.locator('[role="option"]')
    expect(options).to_have_count(len(wanted))
    assert options.locator(".combo__text").all_inner_texts() == [s["text"] for s in wanted]
    assert len(wanted) >= 3 and wanted[0] == {"text": "customer", "kind": "term", "url": "/search?q=customer"}
    assert box.get_attribute("aria-activedescendant") is None

    # arrows move the active option; focus stays in the box
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "q-list-0")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "q-list-1")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # wraps to the last
    expect(box).to_have_attribute("aria-activedescendant", f"q-list-{len(wanted) - 1}")
    assert page.evaluate("document.activeElement.id") == "q"

    # Escape closes the list and keeps the text; a second Escape clears it
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    assert box.get_attribute("aria-activedescendant") is None
    expect(box).to_have_value("cust")
    page.keyboard.press("ArrowDown")  # opens again on the first option
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-activedescendant", "q-list-0")

    # Enter on a word searches for it, in place
    keep_marker(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site}/search?q=customer")
    expect(listbox).to_be_hidden()
    total = get_json(f"{site}/search.json?q=customer")["total"]
    expect(page.locator("#result-count")).to_have_text(count_text(total))
    expect(box).to_have_value("customer")
    assert same_page(page)

    # Enter on a tag filters by it
    box.fill("")
    page.keyboard.type("om")
    expect(listbox).to_be_visible()
    kinds = [s["kind"] for s in get_json(f"{site}/suggest.json?q=om")["suggestions"]]
    for _ in range(kinds.index("tag") + 1):
        page.keyboard.press("ArrowDown")
    expect(page.locator('[role="option"][aria-selected="true"] .combo__kind')).to_have_text("Tag")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site}/search?tags=OMB")
    expect(page.locator("#result-count")).to_have_text(count_text(6))
    expect(box).to_have_value("")

    # a second Escape clears the box
    page.keyboard.type("cust")
    expect(listbox).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(box).to_have_value("")


def test_choosing_a_title_opens_the_post(page, site):
    page.goto("/")
    box = page.locator("#q")
    box.click()
    page.keyboard.type("cust")
    wanted = get_json(f"{site}/suggest.json?q=cust")["suggestions"]
    first_title = next(i for i, s in enumerate(wanted) if s["kind"] == "title")
    option = page.locator("#q-list [role=option]").nth(first_title)
    expect(option.locator(".combo__kind")).to_have_text("Post")
    # The sample site's pages live at https://www.example.gov/; the browser is
    # answered there by the test, so the click really navigates.
    page.route("https://www.example.gov/**", lambda route: route.fulfill(body="<title>the post</title>", content_type="text/html"))
    option.click()
    expect(page).to_have_url(wanted[first_title]["url"])


def test_tick_two_tags_then_go_back(page, site):
    page.goto("/search")
    total = get_json(f"{site}/search.json")["total"]
    expect(page.locator("#result-count")).to_have_text(count_text(total))
    categories_before = checkbox(page, "categories", "Customer Experience").get_attribute("data-count")
    keep_marker(page)

    checkbox(page, "tags", "OMB").check()
    expect(page).to_have_url(f"{site}/search?tags=OMB")
    expect(page.locator("#result-count")).to_have_text(count_text(6))
    expect(page.locator("h1")).to_have_text("Posts tagged OMB")
    expect(checkbox(page, "tags", "OMB")).to_be_checked()
    expect(checkbox(page, "tags", "OMB")).to_be_focused()  # focus stays on the box just ticked
    expect(checkbox(page, "categories", "Customer Experience")).to_have_attribute("data-count", "5")

    show_more(page, "tags")
    checkbox(page, "tags", "SSA").check()
    expect(page).to_have_url(f"{site}/search?tags=OMB&tags=SSA")
    expect(page.locator("#result-count")).to_have_text(count_text(8))
    expect(page.locator("h1")).to_have_text("Posts tagged OMB or SSA")
    # OR within tags: each keeps its own count; other facets count the union
    expect(checkbox(page, "tags", "OMB")).to_have_attribute("data-count", "6")
    expect(checkbox(page, "tags", "SSA")).to_have_attribute("data-count", "4")
    expect(checkbox(page, "categories", "Customer Experience")).to_have_attribute("data-count", "7")
    assert categories_before == "8"
    expect(page.locator(".chips a.chip")).to_have_count(2)
    assert page.title().startswith("All posts – Search") or page.title().startswith("All posts")
    assert same_page(page), "ticking a box reloaded the page"

    # the back button restores each earlier state, in place
    page.go_back()
    expect(page).to_have_url(f"{site}/search?tags=OMB")
    expect(page.locator("#result-count")).to_have_text(count_text(6))
    expect(checkbox(page, "tags", "SSA")).not_to_be_checked()
    expect(checkbox(page, "tags", "OMB")).to_be_checked()
    page.go_back()
    expect(page).to_have_url(f"{site}/search")
    expect(page.locator("#result-count")).to_have_text(count_text(total))
    expect(checkbox(page, "tags", "OMB")).not_to_be_checked()
    page.go_forward()
    expect(page.locator("#result-count")).to_have_text(count_text(6))
    assert same_page(page)

    # a chip removes its filter
    checkbox(page, "tags", "SSA").check()
    expect(page.locator("#result-count")).to_have_text(count_text(8))
    page.get_by_role("link", name="Tags: OMB (remove this filter)").click()
    expect(page).to_have_url(f"{site}/search?tags=SSA")
    expect(page.locator("#result-count")).to_have_text(count_text(4))


def test_sort_and_paginate(page, site):
    page.goto("/search")
    data = get_json(f"{site}/search.json")
    total = data["total"]
    assert total > 20
    keep_marker(page)
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(f"{site}/search?page=2")
    expect(page.locator("#result-count")).to_have_text(count_text(total, first=11))
    expect(page.locator("#results-heading")).to_be_focused()
    expect(page.locator('.pagination [aria-current="page"]')).to_have_text("2")
    page.get_by_role("link", name="Page 3").click()
    expect(page).to_have_url(f"{site}/search?page=3")
    expect(page.locator("#result-count")).to_have_text(count_text(total, first=21))
    page.go_back()
    expect(page.locator("#result-count")).to_have_text(count_text(total, first=11))

    page.get_by_label("Sort by").select_option("oldest")
    expect(page).to_have_url(f"{site}/search?sort=oldest")
    oldest = get_json(f"{site}/search.json?sort=oldest")["results"]
    expect(page.locator(".result__title a").first).to_have_text(oldest[0]["title"])
    expect(page.locator("#sort")).to_be_focused()
    assert same_page(page)


def test_date_range_in_place(page, site):
    page.goto("/search?tags=OMB")
    page.locator("#from").fill("2017-01-01")
    expect(page).to_have_url(f"{site}/search?tags=OMB&from=2017-01-01")
    expected = get_json(f"{site}/search.json?tags=OMB&from=2017-01-01")["total"]
    expect(page.locator("#result-count")).to_have_text(count_text(expected))
    # "to" before "from": the page says which part it left out
    page.locator("#to").fill("2016-01-01")
    expect(page.locator('[role="alert"]')).to_contain_text("from (2017-01-01) must not be after to (2016-01-01)")


# --- safety --------------------------------------------------------------------


@pytest.mark.parametrize("hostile", XSS)
def test_hostile_strings_render_as_text(page, site, hostile):
    page.goto("/search?" + urlencode({"q": hostile}))
    expect(page.locator("h1")).to_have_text(f"Results for “{hostile}”")
    expect(page.locator("#q")).to_have_value(hostile)
    page.goto("/search?" + urlencode({"tags": hostile}))
    expect(page.locator(".chips a.chip")).to_contain_text(hostile)
    # typed into the box and searched in place
    page.locator("#q").fill(hostile)
    page.locator("#q").press("Enter")
    expect(page.locator("h1")).to_have_text(f"Results for “{hostile}”")
    # a post that carries them
    page.goto("/search?q=zzhostile")
    hit = page.locator(".result").first
    expect(hit.locator(".result__title")).to_have_text(HOSTILE_TITLE)
    expect(hit.locator(".result__tags .tag").first).to_have_text('"><img src=x onerror=alert(1)>')
    assert page.evaluate("document.querySelectorAll('img, body script:not([src])').length") == 0
    # the type-ahead shows the hostile title as text too
    page.locator("#q").fill("")
    page.locator("#q").click()
    page.keyboard.type("hostile")
    expect(page.locator("#q-list")).to_be_visible()
    texts = page.locator("#q-list .combo__text").all_inner_texts()
    assert HOSTILE_TITLE in texts
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.watch.dialogs == []


# --- accessibility -------------------------------------------------------------


def axe_problems(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci --prefix tests/browser` (.ci/run does)")
    # evaluate() runs as the debugger does, so the page's CSP does not block it.
    page.evaluate(AXE.read_text())
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))}))"""
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_serious_problems(browser, site, width):
    context, page, watch = open_page(browser, site, viewport={"width": width, "height": 900})
    try:
        problems = {}
        for url in ("/", "/search?q=customer+experience", "/search?tags=OMB&tags=SSA&sort=oldest", "/search?q=zzyzx", "/nowhere"):
            page.goto(url)
            found = axe_problems(page)
            if found:
                problems[url] = found
        # states reached by script: suggestions open, filters unfolded on a phone
        page.goto("/search?q=forms")
        page.locator("#q").fill("")
        page.locator("#q").click()
        page.keyboard.type("acc")
        expect(page.locator("#q-list")).to_be_visible()
        page.keyboard.press("ArrowDown")
        found = axe_problems(page)
        if found:
            problems["suggestions open"] = found
        if width < 768:
            page.locator("#q").press("Escape")
            page.get_by_role("button", name=re.compile("Filter results")).click()
            expect(page.locator("#filters")).to_be_visible()
            found = axe_problems(page)
            if found:
                problems["filters unfolded"] = found
        assert problems == {}
        assert watch.errors == [] and watch.dialogs == []
    finally:
        context.close()


def test_phone_layout_fits_and_folds_filters(browser, site):
    context, page, watch = open_page(browser, site, viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
    try:
        for url in ("/", "/search?q=customer+experience", "/search?tags=OMB&tags=SSA"):
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{url} scrolls sideways"
        toggle = page.get_by_role("button", name=re.compile("Filter results"))
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(toggle).to_contain_text("2 selected")
        expect(page.locator("#filters")).to_be_hidden()
        toggle.click()
        expect(page.locator("#filters")).to_be_visible()
        checkbox(page, "tags", "SSA").uncheck()
        expect(page.locator("#result-count")).to_have_text(count_text(6))
        # still unfolded after the update, with the new count of choices
        expect(page.get_by_role("button", name=re.compile("Filter results"))).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_role("button", name=re.compile("Filter results"))).to_contain_text("1 selected")
        assert watch.errors == []
    finally:
        context.close()


# --- without JavaScript --------------------------------------------------------


def test_everything_works_without_javascript(browser, site):
    context, page, watch = open_page(browser, site, java_script_enabled=False)
    try:
        page.goto("/")
        page.get_by_label("Search this site").fill("customer")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(f"{site}/search?q=customer")
        total = get_json(f"{site}/search.json?q=customer")["total"]
        expect(page.locator("#result-count")).to_have_text(count_text(total))
        assert page.locator("#q").get_attribute("role") is None  # no combobox without script

        page.goto("/search")
        checkbox(page, "tags", "OMB").check()
        show_more(page, "tags")
        checkbox(page, "tags", "SSA").check()
        page.get_by_role("button", name="Apply filters").click()
        # the form's empty date fields are dropped by a redirect
        expect(page).to_have_url(f"{site}/search?tags=OMB&tags=SSA")
        expect(page.locator("#result-count")).to_have_text(count_text(8))
        page.get_by_label("Sort by").select_option("oldest")
        page.get_by_role("button", name="Sort", exact=True).click()
        expect(page).to_have_url(f"{site}/search?tags=OMB&tags=SSA&sort=oldest")
        page.get_by_role("link", name="Tags: SSA (remove this filter)").click()
        expect(page).to_have_url(f"{site}/search?tags=OMB&sort=oldest")
        expect(page.locator("#result-count")).to_have_text(count_text(6))

        page.goto("/search")
        page.get_by_role("link", name="Next page").click()
        expect(page).to_have_url(f"{site}/search?page=2")
        page.go_back()
        expect(page).to_have_url(f"{site}/search")
        page.locator(".result__tags a.tag").first.click()
        expect(page.locator(".chips a.chip")).to_have_count(1)
    finally:
        context.close()


# --- the embeddable box ----------------------------------------------------------


@pytest.fixture(scope="module")
def host_site(site):
    """Another origin (localhost, another port) whose page includes /embed.js."""
    pages = {
        "/inline.html": f"""<!doctype html><html lang="en"><head><title>Agency home</title></head>
            <body><main><h1>Agency home</h1><div id="search"></div>
            <script src="{site}/embed.js" data-target="#search" data-results="inline" data-label="Search our posts"></script>
            </main></body></html>""",
        "/page.html": f"""<!doctype html><html lang="en"><head><title>Agency home</title>
            <script src="{site}/embed.js" data-target="#box" defer></script></head>
            <body><main><h1>Agency home</h1><div id="box"></div></main></body></html>""",
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_embedded_box_shows_results_inline(page, host_site, site):
    page.goto(host_site + "/inline.html")
    box = page.get_by_label("Search our posts")
    expect(box).to_have_attribute("role", "combobox")
    box.click()
    page.keyboard.type("plain lang")
    expect(page.locator(".searchsvc__list")).to_be_visible()
    box.press("Escape")
    box.fill("plain language")
    box.press("Enter")
    data = get_json(f"{site}/search.json?q=plain+language&per_page=5")
    expect(page.locator(".searchsvc__count")).to_have_text(f"{data['total']} results for “plain language”")
    titles = page.locator(".searchsvc__title").all_inner_texts()
    assert titles == [hit["title"] for hit in data["results"]]
    # result links point into the host site; marks survive as elements
    assert page.locator(".searchsvc__title").first.get_attribute("href") == urljoin(host_site, data["results"][0]["url"])
    assert page.locator(".searchsvc__snippet mark").count() >= 1
    expect(page.locator(".searchsvc__more")).to_have_attribute("href", f"{site}/search?q=plain+language")
    # hostile text from posts stays text here too
    box.fill("zzhostile")
    box.press("Enter")
    expect(page.locator(".searchsvc__title").first).to_have_text(HOSTILE_TITLE)
    assert page.evaluate("document.querySelectorAll('img').length") == 0


def test_embedded_box_shows_best_bets_first_and_follows_a_route(page, host_site, site):
    page.goto(host_site + "/inline.html")
    box = page.get_by_label("Search our posts")
    box.fill("Section  508")
    box.press("Enter")
    bets = page.get_by_role("region", name="Recommended")
    expect(bets.locator(".searchsvc__bet-title")).to_have_text(["What the Proposed Section 508 Refresh Means for Your Team", "Section508.gov"])
    expect(bets.locator(".searchsvc__bet-title").nth(1)).to_have_attribute("href", "https://www.section508.gov/")
    assert bets.locator(".searchsvc__snippet").nth(1).inner_text() == "The government's 508 site"
    # above the ranked results, which follow as usual
    assert page.evaluate("document.querySelector('.searchsvc__bets').nextElementSibling.className") == "searchsvc__hits"
    box.fill("plain language")
    box.press("Enter")
    expect(page.locator(".searchsvc__bets")).to_be_hidden()

    page.route("https://www.example.gov/contact/", lambda route: route.fulfill(body="<title>Contact</title>", content_type="text/html"))
    box.fill("contact us")
    box.press("Enter")
    expect(page).to_have_url("https://www.example.gov/contact/")


def test_embedded_box_submits_to_the_search_page(page, host_site, site):
    page.goto(host_site + "/page.html")
    box = page.get_by_label("Search this site")
    box.fill("mobile")
    box.press("Enter")
    expect(page).to_have_url(f"{site}/search?q=mobile")
    expect(page.locator("h1")).to_have_text("Results for “mobile”")


# --- screenshots for the README ----------------------------------------------


SHOTS = [
    ("home", "/", 1280),
    ("results", "/search?q=customer+experience", 1280),
    ("typeahead", "/", 1280),
    ("facets", "/search?tags=OMB&tags=SSA", 1280),
    ("no-results", "/search?q=hurricane+preparedness", 1280),
    ("phone-results", "/search?q=customer+experience", 375),
    ("phone-filters", "/search?tags=OMB&tags=SSA", 375),
    ("phone-home", "/", 375),
]


def test_screenshots(browser, site, tmp_path, request):
    if SCREENSHOTS:
        # The README's pictures show the sample content alone, without the hostile post.
        site = request.getfixturevalue("served")[0]
    out = Path(SCREENSHOTS or tmp_path)
    if not out.is_absolute():
        out = REPO / out
    out.mkdir(parents=True, exist_ok=True)
    for name, url, width in SHOTS:
        context, page, watch = open_page(browser, site, viewport={"width": width, "height": 900 if width > 400 else 780})
        try:
            page.goto(url)
            if name == "typeahead":
                # show the type-ahead as a visitor would see it
                page.locator("#q").fill("")
                page.locator("#q").click()
                page.keyboard.type("cust")
                expect(page.locator("#q-list")).to_be_visible()
                page.keyboard.press("ArrowDown")
            if name == "phone-filters":
                page.get_by_role("button", name=re.compile("Filter results")).click()
                expect(page.locator("#filters")).to_be_visible()
            page.screenshot(path=str(out / f"{name}.png"), full_page=name in ("facets", "phone-results"))
            assert (out / f"{name}.png").stat().st_size > 10_000
            assert watch.errors == []
        finally:
            context.close()
