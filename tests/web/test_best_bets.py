"""Best bets from search/best-bets.yml through a real gunicorn server: above
the results in JSON and on the page, for the query and its synonyms, within
their dates; an unsafe link is never served."""

from __future__ import annotations

import pytest

import shutil
import textwrap
from urllib.parse import quote

from ..conftest import SAMPLE, build
from ..liveserver import gunicorn, request

BETS = textwrap.dedent("""\
    - query: OMB
      pages: [posts/2017/2017-01-05-web-design-standards-1-0.md, /no/such/page/]
      links: [{title: "Office of Management and Budget", url: "https://www.whitehouse.gov/omb/", description: "The office's site"}]
    - query: standards
      pages: [posts/2017/2017-01-05-web-design-standards-1-0.md]
      end: 2020-01-01
    - query: mobile
      links: [{title: "Evil", url: "javascript:alert(1)"}, {title: "Checklist", url: "/2016/11/01/mobile-first-checklist/"}]
      start: 2026-01-01
    """)
STANDARDS = {
    "title": "The U.S. Web Design Standards Reach Version 1.0",
    "url": "https://www.example.gov/2017/01/05/web-design-standards-1-0/",
    "description": "After more than a year in beta, the U.S. Web Design Standards’ first stable release is here. What’s new, what it means for agencies already using the beta, and how to get started.",
    "id": "posts/2017/2017-01-05-web-design-standards-1-0.md",
}
OMB_LINK = {"title": "Office of Management and Budget", "url": "https://www.whitehouse.gov/omb/", "description": "The office's site", "id": None}


@pytest.mark.slow  # a real gunicorn server
def test_best_bets_for_the_query_its_synonyms_and_dates(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    (site / "search").mkdir()
    (site / "search" / "best-bets.yml").write_text(BETS, encoding="utf-8")
    build(site, tmp_path / "index")
    with gunicorn(tmp_path / "index", workers=2) as server:
        def bets(q):
            status, _, data = request(server.port, "GET", f"/search.json?q={quote(q)}")
            assert status == 200
            return data["best_bets"]

        assert bets("omb") == [STANDARDS, OMB_LINK]
        # the shipped synonyms: OMB, Office of Management and Budget
        assert bets("Office of Management and Budget") == [STANDARDS, OMB_LINK]
        assert bets("standards") == []  # ended 2020-01-01
        assert bets("mobile") == [{"title": "Checklist", "url": "/2016/11/01/mobile-first-checklist/", "description": "", "id": None}]
        assert bets("budget") == []
        status, _, page = request(server.port, "GET", "/search?q=omb")
        assert status == 200
        recommended = page.index(">Recommended</h3>")
        assert recommended < page.index('href="https://www.whitehouse.gov/omb/"') < page.index('class="results__list"')
        status, _, page = request(server.port, "GET", "/search?q=mobile")
        assert status == 200 and "javascript:" not in page and "Recommended" in page
