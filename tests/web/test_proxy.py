"""Behind a proxy, at any path: every URL the service emits carries the path
it is mounted at (SCRIPT_NAME, or X-Forwarded-Prefix under ProxyFix), and
absolute URLs come from the configured service URL or a trusted host, never
from a Host header nobody vouched for.

The real nginx and gunicorn in front of a browser are tests/system/test_behind_nginx.py.
"""

from __future__ import annotations

import time
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

from ..conftest import open_app

SITE = "https://www.example.gov/"  # the sample Hugo site's baseURL: results link there
PAGES = (
    "/",
    "/search",
    "/search?q=plain+language",
    "/search?q=customer&tags=CX",
    "/search?q=acessibility",  # "did you mean"
    "/search?q=zzzznothing",  # no results: popular tags
    "/search?page=2",
    "/nowhere",
)
JSONS = ("/search.json?per_page=3", "/search.json?q=customer&tags=CX", "/suggest.json?q=cust", "/facets/tags.json")
LINK_ATTRIBUTES = ("href", "src", "action", "data-suggest", "data-search-path")


def page_urls(html: bytes) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [tag[attr] for attr in LINK_ATTRIBUTES for tag in soup.find_all(attrs={attr: True})]


def json_urls(value) -> list[str]:
    """Every string under a key named url or *_url, however deep."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (key == "url" or key.endswith("_url")) and isinstance(item, str):
                found.append(item)
            else:
                found.extend(json_urls(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(json_urls(item))
    return found


def wrong(urls: list[str], prefix: str) -> list[str]:
    """URLs that are neither the service's own under ``prefix`` nor the site's posts."""
    return [u for u in urls if not (u.startswith(prefix + "/") or u.startswith(SITE) or u.startswith("#"))]


def fetch_all(client, **request_options) -> tuple[list[str], list[str]]:
    on_page, in_json = [], []
    for url in PAGES:
        response = client.get(url, **request_options)
        assert response.status_code == (404 if url == "/nowhere" else 200), (url, response.status_code)
        on_page.extend(page_urls(response.data))
    for url in JSONS:
        response = client.get(url, **request_options)
        assert response.status_code == 200, (url, response.get_json())
        in_json.extend(json_urls(response.get_json()))
    return on_page, in_json


@pytest.fixture
def proxied_app(sample_index):
    index_dir, _ = sample_index
    with open_app({"index_dir": str(index_dir), "trusted_proxy_hops": 1, "trusted_hosts": "search.example.gov"}) as app:
        yield app


FORWARDED = {"X-Forwarded-Prefix": "/search", "X-Forwarded-Host": "search.example.gov", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def test_every_url_under_script_name_starts_with_the_prefix(client):
    on_page, in_json = fetch_all(client, base_url="http://localhost/search")
    # the walk saw what it must: static files, facet links, the next page, click links
    assert "/search/static/search.css" in on_page and "/search/static/search.js" in on_page
    assert "/search/search?page=2" in on_page and "/search/suggest.json" in on_page
    assert any(u.startswith("/search/search?q=customer&tags=CX&tags=") for u in on_page)
    assert any(u.startswith("/search/click?") for u in on_page)
    assert "/search/search.json?per_page=3&page=2" in in_json
    assert "/search/search?q=customer" in in_json  # a type-ahead suggestion
    assert any(u.startswith(SITE) for u in in_json)  # the posts' own links are left alone
    assert wrong(on_page, "/search") == []
    assert wrong(in_json, "/search") == []


def test_every_url_under_x_forwarded_prefix_starts_with_the_prefix(proxied_app):
    on_page, in_json = fetch_all(proxied_app.test_client(), headers=FORWARDED)
    assert "/search/static/search.css" in on_page and "/search/search?page=2" in on_page
    assert "/search/search.json?per_page=3&page=2" in in_json
    assert wrong(on_page, "/search") == []
    assert wrong(in_json, "/search") == []


def test_at_the_root_no_url_gains_a_prefix(client):
    on_page, in_json = fetch_all(client)
    assert "/static/search.css" in on_page and "/search?page=2" in on_page
    assert "/search.json?per_page=3&page=2" in in_json
    assert wrong(on_page, "") == [] and wrong(in_json, "") == []
    assert not [u for u in on_page + in_json if u.startswith("/search/")]


def test_forwarded_headers_are_ignored_unless_hops_are_trusted(client):
    response = client.get("/search?page=2", headers=FORWARDED)
    assert "/static/search.css" in page_urls(response.data)
    assert not [u for u in page_urls(response.data) if u.startswith("/search/")]


def opensearch_templates(response) -> dict[str, str]:
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    root = ElementTree.fromstring(response.data)
    found = {u.get("type"): u.get("template") for u in root.findall("os:Url", ns)}
    found["image"] = root.find("os:Image", ns).text
    return found


def test_opensearch_behind_the_proxy_has_one_prefix_and_the_forwarded_scheme(proxied_app):
    client = proxied_app.test_client()
    page = BeautifulSoup(client.get("/", headers=FORWARDED).data, "html.parser")
    assert page.select_one('link[rel="search"]')["href"] == "/search/opensearch.xml"
    templates = opensearch_templates(client.get("/opensearch.xml", headers=FORWARDED))
    assert templates == {
        "text/html": "https://search.example.gov/search/search?q={searchTerms}",
        "application/json": "https://search.example.gov/search/search.json?q={searchTerms}",
        "application/opensearchdescription+xml": "https://search.example.gov/search/opensearch.xml",
        "image": "https://search.example.gov/search/static/favicon.svg",
    }
    # a Host nobody trusted is refused, not written into the description
    hostile = dict(FORWARDED, **{"X-Forwarded-Host": "evil.example"})
    response = client.get("/opensearch.xml", headers=hostile)
    assert response.status_code == 400 and b"evil.example" not in response.data


def test_opensearch_from_the_service_url_whatever_the_host(sample_index):
    index_dir, _ = sample_index
    with open_app({"index_dir": str(index_dir), "service_url": "https://www.example.gov/find/"}) as app:
        client = app.test_client()
        response = client.get("/opensearch.xml", base_url="http://evil.example/find")
        templates = opensearch_templates(response)
        assert templates["text/html"] == "https://www.example.gov/find/search?q={searchTerms}"
        assert templates["application/opensearchdescription+xml"] == "https://www.example.gov/find/opensearch.xml"
        assert b"evil.example" not in response.data


def test_without_a_service_url_or_trusted_hosts_no_opensearch_from_the_host_header(client):
    response = client.get("/opensearch.xml", headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert b"SEARCHSVC_SERVICE_URL" in response.data and b"evil.example" not in response.data
    page = BeautifulSoup(client.get("/").data, "html.parser")
    assert page.select_one('link[rel="search"]') is None


def test_a_service_url_that_is_not_absolute_is_refused_naming_the_setting(sample_index):
    index_dir, _ = sample_index
    from searchsvc.settings import SettingsError

    with pytest.raises(SettingsError, match=r"SEARCHSVC_SERVICE_URL \(setting service_url\): expected an absolute http\(s\) URL"):
        with open_app({"index_dir": str(index_dir), "service_url": "/search/"}):
            pass


def test_the_admin_task_url_carries_the_prefix(tmp_path):
    from searchsvc.index import store

    from ..conftest import build
    from ..site import make_site

    root = make_site(tmp_path / "site")
    index_dir = tmp_path / "index"
    build(root, index_dir)
    auth = {"Authorization": "Bearer t0ken-with-some-length"}
    with open_app({"index_dir": str(index_dir), "content_dir": str(root), "admin_token": "t0ken-with-some-length"}) as app:
        client = app.test_client()
        response = client.post("/admin/reindex", headers=auth, base_url="http://localhost/search")
        assert response.status_code == 202
        body = response.get_json()
        assert body["task_url"] == f"/search/admin/tasks/{body['task']['uid']}" == response.headers["Location"]
        for _ in range(600):  # the child reindex finishes and frees the lock before the test ends
            task = client.get(body["task_url"].removeprefix("/search"), headers=auth, base_url="http://localhost/search").get_json()["task"]
            if task["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.1)
        assert task["status"] == "succeeded", task
    store.ReindexLock(index_dir).acquire().release()


def test_the_atom_feed_links_carry_the_prefix_and_the_forwarded_host(proxied_app):
    response = proxied_app.test_client().get("/search.atom?q=customer", headers=FORWARDED)
    assert response.status_code == 200
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ElementTree.fromstring(response.data)
    links = {link.get("rel"): link.get("href") for link in feed.findall("a:link", ns)}
    assert links == {
        "self": "https://search.example.gov/search/search.atom?q=customer&per_page=20",
        "alternate": "https://search.example.gov/search/search?q=customer&sort=newest",
    }
    entry_links = [link.get("href") for link in feed.findall("a:entry/a:link", ns)]
    assert entry_links and all(href.startswith(SITE) for href in entry_links)
