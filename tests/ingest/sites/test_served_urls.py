"""Through the whole service: reindex a fixture site, ask /search.json, compare with the generator.

Every URL the service returns must equal the one Hugo or Jekyll gives the
page, and the indexed set must equal the generator's published set, page for
page, but for the pages left out on purpose (each with its reason).  The
generators run with their clock at the real present, as `searchsvc reindex`
judges future and expired pages by it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from searchsvc import create_app
from searchsvc.index.build import reindex

from ...conftest import conf
from ...oracles import jekyll as jekyll_oracle
from ...oracles.hugo import run_hugo
from . import hugo_sites, jekyll_sites
from .test_hugo import ON_PURPOSE as HUGO_ON_PURPOSE
from .test_jekyll import SEARCH_FLAGGED as JEKYLL_ON_PURPOSE

# Every case builds the site with the real generator and serves it: 7 s in all.
pytestmark = pytest.mark.slow

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def served(root: Path, index: Path) -> tuple[dict[str, str], object]:
    """{id: url} of every document /search.json browses to, and the reindex report."""
    report = reindex(root, index, conf(index_dir=str(index)))
    app = create_app({"index_dir": str(index), "TESTING": True})
    client, found, page = app.test_client(), {}, 1
    try:
        while True:
            data = client.get(f"/search.json?per_page=100&page={page}").get_json()
            found.update({hit["id"]: hit["url"] for hit in data["results"]})
            if not data["next_url"]:
                return found, report
            page += 1
    finally:
        app.extensions["searchsvc"].close()


def _untitled(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    return "\ntitle:" not in text.split("\n---", 2)[0] + "\n" and "title =" not in text


def compare(theirs: dict[str, str], ours: dict[str, str], report, on_purpose: dict[str, str], root: Path) -> None:
    skipped = {rel: (kind, reason) for rel, kind, reason in report.skipped}
    missing = {rel: url for rel, url in theirs.items() if rel not in ours}
    for rel in missing:
        assert rel in on_purpose or (skipped.get(rel, ("",))[0] == "not a page" and _untitled(root / rel)), (rel, skipped.get(rel))
    assert report.failed == []
    assert sorted(set(ours) - set(theirs)) == []
    wrong = {rel: (url, theirs[rel]) for rel, url in ours.items() if url != theirs[rel]}
    assert wrong == {}
    print(f"{root.name}: {len(ours)} served, {len(theirs)} published ({len(missing)} left out on purpose), URLs equal {len(ours) - len(wrong)}/{len(ours)}")


@pytest.mark.parametrize("name", [n for n in sorted(hugo_sites.SITES) if n not in ("digitalgov_corpus", "git_dates")])
def test_hugo_sites_served_at_hugos_urls(tmp_path, name):
    root = tmp_path / name
    root.mkdir()
    hugo_sites.SITES[name](root)
    hugo = run_hugo(root, NOW)
    ours_by_id, report = served(root, tmp_path / "index")
    from searchsvc.ingest.sites.hugo import HugoSite

    site = HugoSite(root)
    prefix = site.content_root.relative_to(root)
    ours = {os.path.normpath(prefix / rel).replace(os.sep, "/"): url for rel, url in ours_by_id.items()}
    on_purpose = HUGO_ON_PURPOSE.get(name, {})
    compare(hugo.published(), ours, _by_site_path(report, prefix), on_purpose, root)


def _by_site_path(report, prefix: Path):
    report.skipped = [(os.path.normpath(prefix / rel).replace(os.sep, "/"), kind, reason) for rel, kind, reason in report.skipped]
    return report


@pytest.mark.parametrize("name", list(jekyll_sites.SITES))
def test_jekyll_sites_served_at_jekylls_urls(tmp_path, name):
    jekyll_oracle.require_jekyll()
    root = jekyll_sites.SITES[name](tmp_path / name)
    answer = jekyll_oracle.published(root, NOW)
    theirs = {rel: row["absolute_url"] for rel, row in jekyll_oracle.html_pages(answer).items()}
    ours, report = served(root, tmp_path / "index")
    compare(theirs, ours, report, JEKYLL_ON_PURPOSE.get(name, {}), root)


def test_the_sample_site_is_served_at_hugos_urls(tmp_path):
    """The README's first command serves this site: Hugo itself says what it publishes, and where."""
    from searchsvc.settings import SAMPLE_CONTENT_DIR

    root = tmp_path / "sample"
    shutil.copytree(SAMPLE_CONTENT_DIR, root)
    hugo = run_hugo(root, NOW)
    ours_by_id, report = served(root, tmp_path / "index")
    ours = {f"content/{rel}": url for rel, url in ours_by_id.items()}
    compare(hugo.published(), ours, _by_site_path(report, Path("content")), {}, root)
    assert ours["content/posts/2017/2017-03-28-cx-metrics-that-matter.md"] == "https://www.example.gov/2017/03/28/cx-metrics-that-matter/"
    assert ours["content/events/2031-04-15-federal-customer-experience-summit.md"] == "https://www.example.gov/events/2031/federal-customer-experience-summit/"
    assert ours["content/posts/_index.md"] == "https://www.example.gov/posts/"
    assert len(ours) == 29
