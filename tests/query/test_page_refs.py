"""Best bets name pages by document id, URL or URL path (query/page_refs.py): each resolves to
that page, with or without the generation's stored vocabulary, and a name the index does not
hold is left out and listed in /healthz's settings_problems."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest

from searchsvc.index import store
from searchsvc.index import vocabulary as stored

from ..conftest import SAMPLE, build, open_app
from .test_stored_vocabulary import drop_stored_vocabulary

BETS = textwrap.dedent("""\
    - query: pinned pages
      pages:
        - 2016-11-01-mobile-first-checklist.md                      # an id
        - https://www.example.gov/2017/03/02/plain-language-in-forms/  # a URL
        - /2017/01/05/web-design-standards-1-0/                     # a URL's path
        - https://elsewhere.example/2017/01/05/web-design-standards-1-0/  # tried by its path: the same page again
        - posts/2017/no-such-post.md
        - /no/such/page/
    """)


@pytest.mark.parametrize("vocabulary_file", [True, False], ids=["stored vocabulary", "older generation"])
def test_pages_by_id_url_and_path_and_the_missing_ones_reported(tmp_path, vocabulary_file):
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    (site / "search").mkdir()
    (site / "search" / "best-bets.yml").write_text(BETS, encoding="utf-8")
    build(site, tmp_path / "index")
    if not vocabulary_file:
        drop_stored_vocabulary(tmp_path / "index" / store.gen_name(1))
    assert (tmp_path / "index" / store.gen_name(1) / stored.FILE).exists() == vocabulary_file
    with open_app({"index_dir": str(tmp_path / "index")}) as app:
        client = app.test_client()
        bets = client.get("/search.json", query_string={"q": "Pinned  PAGES"}).json["best_bets"]
        problems = client.get("/healthz").json["settings_problems"]
    assert [(b["id"], b["url"]) for b in bets] == [
        ("2016-11-01-mobile-first-checklist.md", "https://www.example.gov/mobile-first-checklist/"),
        ("posts/2017/2017-03-02-plain-language-in-forms.md", "https://www.example.gov/2017/03/02/plain-language-in-forms/"),
        ("posts/2017/2017-01-05-web-design-standards-1-0.md", "https://www.example.gov/2017/01/05/web-design-standards-1-0/"),
    ]
    settings_file = site / "search" / "best-bets.yml"
    assert problems == [
        f"{settings_file}:1: page 'posts/2017/no-such-post.md' is not in the index (left out)",
        f"{settings_file}:1: page '/no/such/page/' is not in the index (left out)",
    ]


def test_reindex_and_check_settings_name_the_pages_the_index_lacks(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    (site / "search").mkdir()
    (site / "search" / "best-bets.yml").write_text(BETS, encoding="utf-8")
    cli = [sys.executable, "-m", "searchsvc.cli"]
    lacking = [
        f"{site / 'search'}/best-bets.yml:1: page 'posts/2017/no-such-post.md' is not in the index (left out)",
        f"{site / 'search'}/best-bets.yml:1: page '/no/such/page/' is not in the index (left out)",
    ]
    built = subprocess.run(cli + ["reindex", str(site), "--index", str(tmp_path / "index"), "-q"], capture_output=True, text=True)
    assert built.returncode == 0 and [f"search settings: {line}" for line in lacking] == built.stderr.splitlines()
    checked = subprocess.run(cli + ["check-settings", str(site / "search"), "--index", str(tmp_path / "index")], capture_output=True, text=True)
    assert (checked.returncode, checked.stdout, checked.stderr.splitlines()) == (1, "1 best bets, 0 routes, 0 synonyms, 2 problems\n", lacking)
    alone = subprocess.run(cli + ["check-settings", str(site / "search")], capture_output=True, text=True)
    assert (alone.returncode, alone.stdout) == (0, "1 best bets, 0 routes, 0 synonyms, 0 problems\n")
    no_index = subprocess.run(cli + ["check-settings", str(site / "search"), "--index", str(tmp_path / "none")], capture_output=True, text=True)
    assert no_index.returncode == 2 and f"--index {tmp_path / 'none'}: there is no index" in no_index.stderr
