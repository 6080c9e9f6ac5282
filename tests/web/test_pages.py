"""The HTML pages, server-side: what a browser without JavaScript gets.

The page renders the same result dict as /search.json, so the JSON answer is
the oracle for what each page lists; facts of the sample content (6 posts
tagged OMB, 8 tagged OMB or SSA) are spelled out.  Hostile strings, typed or
written into posts, must come back as text.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

from ..conftest import assert_canonical_error, build, open_app, write_post

XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>']


def soup(response) -> BeautifulSoup:
    assert response.content_type.startswith("text/html")
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def result_links(page: BeautifulSoup) -> list[tuple[str, str]]:
    """(title, where the link leads): a result link goes through the click
    counter (/click?...&url=<the result's URL>) while analytics are on."""
    links = []
    for a in page.select(".results__list .result__title a"):
        href = a["href"]
        if href.startswith("/click?"):
            href = parse_qs(urlsplit(href).query)["url"][0]
        links.append((text(a), href))
    return links


def facet_counts(page: BeautifulSoup, name: str) -> dict[str, tuple[int, bool]]:
    boxes = page.select(f'#filters input[type=checkbox][name="{name}"]')
    return {box["value"]: (int(box["data-count"]), box.has_attr("checked")) for box in boxes}


def assert_no_script_from_content(page: BeautifulSoup) -> None:
    """Only our own script element, no handler attributes, no inline styles."""
    scripts = page.find_all("script")
    assert [s.get("src") for s in scripts] == ["/static/search.js"]
    assert scripts[0].string in (None, "")
    for tag in page.find_all(True):
        handlers = [name for name in tag.attrs if name.lower().startswith("on")]
        assert handlers == [], f"<{tag.name}> has {handlers}"
        assert "style" not in tag.attrs
    assert page.find("img") is None


# --- the search page renders the JSON dict ---------------------------------


def test_search_page_lists_what_the_json_lists(client):
    data = client.get("/search.json?q=plain+language").get_json()
    page = soup(client.get("/search?q=plain+language"))
    assert text(page.h1) == "Results for “plain language”"
    assert page.title.string.startswith("plain language – Search")
    assert text(page.select_one("#result-count")) == f"Showing 1–{min(10, data['total'])} of {data['total']} results"
    assert result_links(page) == [(hit["title"], hit["url"]) for hit in data["results"]]
    assert result_links(page)[0] == ("Plain Language in Forms: Ask Only What You Need", "https://www.example.gov/2017/03/02/plain-language-in-forms/")
    # snippets keep their <mark>s; dates are written out
    first = page.select_one(".result")
    assert first.select(".result__snippet mark")
    assert text(first.select_one("time")) == "March 2, 2017"
    assert first.select_one("time")["datetime"] == data["results"][0]["date"]
    # the search box holds the query
    assert page.select_one("input#q")["value"] == "plain language"
    # every facet count is the JSON's
    for name in ("tags", "categories", "authors", "topics", "year"):
        expected = {str(f["value"]): (f["count"], f["selected"]) for f in data["facets"][name]}
        assert facet_counts(page, name) == expected


def test_two_tags_are_or_with_chips_and_multi_select_counts(client):
    page = soup(client.get("/search?tags=OMB&tags=SSA"))
    assert text(page.h1) == "Posts tagged OMB or SSA"
    assert text(page.select_one("#result-count")) == "Showing 1–8 of 8 results"
    tags = facet_counts(page, "tags")
    # ticking both still shows each one's own count (multi-select faceting)
    assert tags["OMB"] == (6, True) and tags["SSA"] == (4, True)
    assert tags["GSA"] == (13, False)
    assert facet_counts(page, "categories")["Customer Experience"] == (7, False)
    chips = [(text(a), a["href"]) for a in page.select(".chips a.chip")]
    assert chips == [
        ("Tags: OMB (remove this filter)", "/search?tags=SSA"),
        ("Tags: SSA (remove this filter)", "/search?tags=OMB"),
    ]
    assert page.select_one(".chips__clear")["href"] == "/search"
    # a result's tags filter further; the ones already chosen are not links
    summit = page.select_one(".result")
    assert text(summit.select_one(".result__title")) == "Federal Customer Experience Summit 2031"
    tag_links = {text(a): a["href"] for a in summit.select(".result__tags a.tag")}
    assert tag_links["GSA"] == "/search?tags=OMB&tags=SSA&tags=GSA"
    assert [text(s) for s in summit.select(".result__tags .tag--selected")] == ["OMB"]


def test_one_tag_then_a_query_keeps_the_filter_form_state(client):
    page = soup(client.get("/search?q=customer&tags=OMB&sort=newest"))
    form = page.select_one("form#filters")
    assert form["action"] == "/search" and form["method"] == "get"
    assert form.select_one('input[type=hidden][name="q"]')["value"] == "customer"
    select = page.select_one('select#sort[form="filters"]')
    assert [(o["value"], o.has_attr("selected")) for o in select.select("option")] == [
        ("relevance", False),
        ("newest", True),
        ("oldest", False),
    ]
    assert page.select_one('button[type=submit][form="filters"]') is not None
    assert page.select_one("#filters button.filters__apply") is not None
    # results are newest first
    dates = [t["datetime"] for t in page.select(".result time")]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 2


def test_browse_has_no_relevance_sort_and_paginates(client):
    total = client.get("/search.json").get_json()["total"]
    assert total > 20  # the sample content spans three pages
    page = soup(client.get("/search?page=2"))
    assert text(page.h1) == "All posts"
    assert text(page.select_one("#result-count")) == f"Showing 11–20 of {total} results"
    assert [o["value"] for o in page.select("select#sort option")] == ["newest", "oldest"]
    assert page.select_one("ol.results__list")["start"] == "11"
    nav = page.select_one('nav[aria-label="Pages of results"]')
    links = [(text(a), a["href"], a.get("aria-current")) for a in nav.select("a")]
    assert links[0] == ("‹ Previous page", "/search", None)
    assert ("2", "/search?page=2", "page") in links
    assert links[-1] == ("Next page ›", "/search?page=3", None)
    first_page = soup(client.get("/search"))
    assert not first_page.select('a[rel="prev"]')
    last = soup(client.get("/search?page=3"))
    assert not last.select('a[rel="next"]')
    assert text(last.select_one("#result-count")) == f"Showing 21–{total} of {total} results"


def test_page_past_the_end_says_so(client):
    page = soup(client.get("/search?page=9"))
    total = client.get("/search.json").get_json()["total"]
    assert text(page.select_one("#result-count")) == f"Page 9 is past the last page; there are {total} results"
    assert page.select_one(".no-results a")["href"] == "/search"


def test_form_sent_without_script_redirects_to_the_clean_address(client):
    response = client.get("/search?q=&tags=OMB&tags=SSA&sort=newest&from=&to=")
    assert response.status_code == 303
    assert response.headers["Location"] == "/search?tags=OMB&tags=SSA"
    response = client.get("/search?q=forms&sort=relevance&from=2016-01-01&to=")
    assert response.headers["Location"] == "/search?q=forms&from=2016-01-01"
    # a non-default sort stays
    assert client.get("/search?q=forms&sort=newest").status_code == 200


def test_did_you_mean_keeps_the_filters(client):
    data = client.get("/search.json?q=plain+langage+forms").get_json()
    assert data["suggestion"]["text"] == "plain language forms"
    page = soup(client.get("/search?q=plain+langage+forms&tags=OMB"))
    link = page.select_one(".did-you-mean a")
    assert text(page.select_one(".did-you-mean")) == "Did you mean plain language forms ?"
    assert link["href"] == "/search?q=plain+language+forms&tags=OMB"


def test_searched_the_correction_instead_and_offers_facets(client):
    data = client.get("/search.json?q=acessibility").get_json()
    assert data["corrected"] is True and data["corrected_query"] == "accessibility"
    page = soup(client.get("/search?q=acessibility"))
    assert text(page.select_one(".did-you-mean")) == (
        "No posts match “acessibility”, so these are the results for “accessibility” ."
    )
    assert text(page.select_one("#result-count")) == f"Showing 1–10 of {data['total']} results"
    narrow = [(text(a), a["href"]) for a in page.select(".facet-match a")]
    assert narrow[0] == ("Tags: accessibility", "/search?q=acessibility&tags=accessibility")
    assert len(narrow) == len(data["facet_matches"])


def test_date_range_chips(client):
    page = soup(client.get("/search?from=2017-01-01&to=2017-03-31"))
    assert text(page.h1) == "Posts since 2017-01-01, until 2017-03-31"
    dates = [t["datetime"][:10] for t in page.select(".result time")]
    assert dates and all("2017-01-01" <= d <= "2017-03-31" for d in dates)
    assert page.select_one("input#from")["value"] == "2017-01-01"
    chips = [(text(a), a["href"]) for a in page.select(".chips a.chip")]
    assert chips == [
        ("From: 2017-01-01 (remove this filter)", "/search?to=2017-03-31"),
        ("To: 2017-03-31 (remove this filter)", "/search?from=2017-01-01"),
    ]


def test_no_results_helps(client):
    page = soup(client.get("/search?q=zzyzx+quuxly"))
    assert text(page.select_one("#result-count")) == "No results"
    assert text(page.select_one(".no-results__title")) == "No posts match “zzyzx quuxly”"
    popular = [(text(a), a["href"]) for a in page.select(".no-results .tag-cloud a")]
    assert popular[0] == ("GSA", "/search?tags=GSA")
    assert ("OMB", "/search?tags=OMB") in popular
    # nothing to filter: the sidebar is left out
    assert page.select_one("aside.filters").has_attr("hidden")
    filtered = soup(client.get("/search?q=zzyzx&tags=OMB"))
    assert text(filtered.select_one(".no-results__title")) == "No posts match “zzyzx” with the filters you chose"
    assert filtered.select_one(".no-results__tips a")["href"] == "/search?q=zzyzx"
    assert not filtered.select_one("aside.filters").has_attr("hidden")


def test_bad_parameter_keeps_the_rest_of_the_search(client):
    response = client.get("/search?tags=OMB&from=2017-01-01&to=2016-01-01")
    assert response.status_code == 400
    page = soup(response)
    assert text(page.select_one('[role="alert"]')) == (
        "Part of this search was left out. from (2017-01-01) must not be after to (2016-01-01)"
    )
    # "from" is dropped; the tag and "to" still apply
    assert text(page.select_one("#result-count")) == "Showing 1–2 of 2 results"
    assert [text(a) for a in page.select(".chips a.chip")] == ["Tags: OMB (remove this filter)", "To: 2016-01-01 (remove this filter)"]
    page = soup(client.get("/search?q=forms&page=abc"))
    assert "page must be a whole number from 1 to 1000, not 'abc'" in text(page.select_one('[role="alert"]'))
    assert text(page.h1) == "Results for “forms”"
    # the JSON API still answers 400 with the JSON error
    assert_canonical_error(client.get("/search.json?page=abc"), 400, "page", "page must be a whole number from 1 to 1000, not 'abc'")


def test_home_page(client):
    page = soup(client.get("/"))
    label = page.select_one('label[for="q"]')
    assert text(label) == "Search this site"
    form = page.select_one('form[role="search"]')
    assert form["action"] == "/search" and form["method"] == "get"
    tags = [(text(a.contents[0]), a["href"]) for a in page.select(".home-tags a.tag")]
    assert tags[:3] == [("GSA", "/search?tags=GSA"), ("Customer Experience", "/search?tags=Customer+Experience"), ("OMB", "/search?tags=OMB")]
    assert text(page.select_one(".home-tags a.tag .tag__count")) == "( 13 posts)"
    latest = [text(a) for a in page.select(".latest a")]
    newest = client.get("/search.json?per_page=5").get_json()["results"]
    assert latest == [hit["title"] for hit in newest]


def test_structure_is_accessible(client):
    for url in ("/", "/search?q=customer", "/search?tags=OMB&tags=SSA&page=1", "/search?q=zzyzx"):
        page = soup(client.get(url))
        assert page.html["lang"] == "en"
        assert len(page.find_all("h1")) == 1, url
        levels = [int(h.name[1]) for h in page.find_all(re.compile(r"^h[1-6]$"))]
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"{url}: heading levels skip: {levels}"
        assert page.find("header") and page.find("main", id="main") and page.find("footer")
        assert page.select_one("a.skipnav")["href"] == "#main"
        assert page.select_one('form[role="search"]')
        for field in page.select("input:not([type=hidden]), select"):
            assert page.select_one(f'label[for="{field["id"]}"]'), f"{url}: {field} has no label"
        ids = [tag["id"] for tag in page.find_all(id=True)]
        assert len(ids) == len(set(ids)), f"{url}: duplicate ids"
        assert page.select_one('#result-count[role="status"]') or url == "/"


def test_opensearch_description(sample_index):
    # Absolute addresses need a host someone vouched for (tests/web/test_proxy.py)
    with open_app({"index_dir": str(sample_index[0]), "trusted_hosts": "localhost"}) as app:
        client = app.test_client()
        page = soup(client.get("/search"))
        response = client.get("/opensearch.xml")
    link = page.select_one('link[rel="search"]')
    assert link["type"] == "application/opensearchdescription+xml" and link["href"] == "/opensearch.xml"
    assert response.content_type == "application/opensearchdescription+xml; charset=utf-8"
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    root = ElementTree.fromstring(response.data)
    urls = {u.get("type"): u.get("template") for u in root.findall("os:Url", ns)}
    assert urls["text/html"] == "http://localhost/search?q={searchTerms}"
    assert urls["application/json"] == "http://localhost/search.json?q={searchTerms}"
    assert root.find("os:ShortName", ns).text == "Site search"


def test_embed_script_and_styles_are_served(client):
    with client.get("/embed.js") as script, client.get("/static/search.js") as page_script:
        assert script.status_code == 200 and script.content_type.startswith("text/javascript")
        assert script.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert b"data-target" in script.data
        # the page's own script: one file for both
        assert script.data == page_script.data
    with client.get("/embed.css") as css:
        assert css.status_code == 200 and css.content_type.startswith("text/css")


def test_security_headers_on_pages(client):
    for url in ("/", "/search?q=x", "/opensearch.xml", "/embed.js", "/nowhere"):
        response = client.get(url)
        response.close()
        csp = response.headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]*)", csp).group(1)
        assert script_src == "'self'", url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert text(soup(missing).h1) == "Page not found"


# --- hostile input ------------------------------------------------------------


@pytest.mark.parametrize("hostile", XSS)
def test_hostile_queries_render_as_text(client, hostile):
    for params in ({"q": hostile}, {"tags": hostile}, {"q": "a", "from": hostile}, {"q": "a", "page": hostile}):
        assert_no_script_from_content(soup(client.get("/search", query_string=params)))
    page = soup(client.get("/search", query_string={"q": hostile}))
    assert text(page.h1) == f"Results for “{hostile}”"
    assert page.select_one("input#q")["value"] == hostile
    assert page.title.string.startswith(hostile)
    page = soup(client.get("/search", query_string={"tags": hostile}))
    assert [text(a) for a in page.select(".chips a.chip")] == [f"Tags: {hostile} (remove this filter)"]


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-site")
    write_post(
        root,
        "posts/2017-02-02-hostile.md",
        """
        title: "<script>alert(1)</script> Hostile title"
        date: 2017-02-02
        summary: '"><img src=x onerror=alert(1)> hostile summary'
        tags: ['"><img src=x onerror=alert(1)>', "<script>alert(1)</script>", plain]
        authors: ['<b onmouseover=alert(1)>mallory</b>']
        """,
        """
        A hostile post. <script>alert(3)</script> "><img src=x onerror=alert(1)> ends here.
        """,
    )
    write_post(root, "posts/2017-01-01-friendly.md", "title: A friendly post\ndate: 2017-01-01\ntags: [plain]", "Nothing hostile.")
    index_dir = tmp_path_factory.mktemp("hostile-index")
    build(root, index_dir)
    with open_app({"index_dir": str(index_dir)}, opened=True) as app:
        yield app.test_client()


def test_hostile_posts_render_as_text(hostile_client):
    for url in ("/search?q=hostile", "/search?tags=plain", "/", "/search?q=alert"):
        page = soup(hostile_client.get(url))
        assert_no_script_from_content(page)
    page = soup(hostile_client.get("/search?q=hostile"))
    hit = page.select_one(".result")
    assert text(hit.select_one(".result__title")) == "<script>alert(1)</script> Hostile title"
    tags = [text(t) for t in hit.select(".result__tags .tag")]
    assert tags == ['"><img src=x onerror=alert(1)>', "<script>alert(1)</script>", "plain"]
    assert text(hit.select_one(".result__authors")) == "by <b onmouseover=alert(1)>mallory</b>"
    assert "<img" not in str(hit.select_one(".result__snippet")).replace("&lt;img", "")
    values = [box["value"] for box in page.select('#filters input[name="tags"]')]
    assert '"><img src=x onerror=alert(1)>' in values


def test_site_name_setting(sample_index):
    with open_app({"index_dir": str(sample_index[0]), "site_name": "Digital.gov search", "service_url": "https://search.digital.gov/"}) as app:
        client = app.test_client()
        page = soup(client.get("/search?q=forms"))
        assert text(page.select_one(".site-name")) == "Digital.gov search"
        assert page.title.string == "forms – Search | Digital.gov search"
        # OpenSearch short names are at most 16 characters
        assert b"<ShortName>Digital.gov sear</ShortName>" in client.get("/opensearch.xml").data
