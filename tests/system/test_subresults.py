"""Sub-results through a real server: long pages list their best sections, and every anchor
is an id in the HTML the real generator (hugo, jekyll) wrote for the page."""

from __future__ import annotations

import re
import shutil
from urllib.parse import urlencode, urlsplit

import pytest

from searchsvc.index.build import reindex

from ..conftest import conf
from ..liveserver import gunicorn, request
from . import long_guides


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]*)"', html))


def _search(server, q: str) -> dict:
    status, _headers, data = request(server.port, "GET", "/search.json?" + urlencode([("q", q)]))
    assert status == 200, data
    return {urlsplit(hit["url"]).path: hit for hit in data["results"]}


def _served(tmp_path, root, queries):
    index = tmp_path / "index"
    reindex(root, index, conf(index_dir=str(index)))
    with gunicorn(index, workers=1) as server:
        return {q: _search(server, q) for q in queries}


QUERIES = ["screen readers", "zebrafish", "budgets procurement", "accessibility", "nothingmatcheszz"]


def _check_anchors(answers: dict, pages: dict[str, str]) -> int:
    checked = 0
    for hits in answers.values():
        for path, hit in hits.items():
            for sub in hit["sub_results"]:
                assert sub["url"] == hit["url"] + "#" + sub["anchor"]
                assert sub["anchor"] in _ids(pages[path]), (path, sub["anchor"])
                checked += 1
    return checked


@pytest.mark.slow  # the real hugo and gunicorn
@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_guide_sub_results_land_on_hugos_heading_ids(tmp_path):
    pages = long_guides.hugo_site(tmp_path / "site")
    answers = _served(tmp_path, tmp_path / "site", QUERIES)
    readers = answers["screen readers"]
    assert [(s["title"], s["anchor"]) for s in readers["/guides/handbook/"]["sub_results"]] == [
        ("Screen readers", "screen-readers"),
        ("Accessibility testing", "accessibility-testing-1"),  # the short repeat: same words, less text
        ("Accessibility testing", "accessibility-testing"),
    ]
    first = readers["/guides/handbook/"]["sub_results"][0]
    assert first["title_html"] == "<mark>Screen</mark> <mark>readers</mark>"
    assert first["snippet"].startswith("Test with <mark>screen</mark> <mark>readers</mark>: <mark>screen</mark> <mark>readers</mark> read")
    assert readers["/guides/note/"]["sub_results"] == []  # short: its snippet is enough
    assert [(s["title"], s["anchor"]) for s in answers["zebrafish"]["/guides/handbook/"]["sub_results"]] == [
        ("Choosing a content model", "content-model"),  # the explicit {#id} wins
    ]
    assert [s["anchor"] for s in answers["budgets procurement"]["/guides/handbook/"]["sub_results"]] == ["qa-budgets--procurement"]
    assert answers["nothingmatcheszz"] == {}
    assert _check_anchors(answers, pages) == 7  # 3 + 1 + 1 + 2 ("accessibility")


@pytest.mark.slow  # the real jekyll and gunicorn
@pytest.mark.skipif(shutil.which("jekyll") is None, reason="jekyll is not installed")
def test_jekyll_guide_sub_results_land_on_kramdowns_heading_ids(tmp_path):
    pages = long_guides.jekyll_site(tmp_path / "site")
    answers = _served(tmp_path, tmp_path / "site", QUERIES)
    handbook = "/2024/01/02/handbook.html"
    assert [(s["title"], s["anchor"]) for s in answers["screen readers"][handbook]["sub_results"]] == [
        ("Screen readers", "screen-readers"),
        ("Accessibility testing", "accessibility-testing-1"),  # the short repeat: same words, less text
        ("Accessibility testing", "accessibility-testing"),
    ]
    assert [s["anchor"] for s in answers["zebrafish"][handbook]["sub_results"]] == ["content-model"]
    assert [s["anchor"] for s in answers["budgets procurement"][handbook]["sub_results"]] == ["qa-budgets--procurement"]
    assert answers["screen readers"]["/2024/01/03/note.html"]["sub_results"] == []
    assert _check_anchors(answers, pages) == 7  # 3 + 1 + 1 + 2 ("accessibility")
