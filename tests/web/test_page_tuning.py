"""A page's own search: block in its front matter (issue 12 part 1), from real
files through `searchsvc reindex` and a real gunicorn server: boost, keywords,
best_bet_for (with the query's synonyms) and exclude; a bad value warns with
the file's name and the rest of the page is indexed."""

from __future__ import annotations

import pytest

import os
import subprocess
import sys

from ..conftest import write_post
from ..liveserver import gunicorn, request

FORMS = "Forms, forms and more forms for every office."


def reindex(site, index_dir) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    return subprocess.run([sys.executable, "-m", "searchsvc.cli", "reindex", str(site), "--index", str(index_dir)], capture_output=True, text=True, env=env)


def search(port: int, q: str) -> dict:
    status, _, data = request(port, "GET", "/search.json?q=" + q.replace(" ", "+"))
    assert status == 200, data
    return data


@pytest.mark.slow  # a real gunicorn server
def test_boost_keywords_best_bets_and_exclude_from_front_matter(tmp_path):
    site = tmp_path / "site"
    write_post(site, "posts/tax-forms.md", "title: Tax season\ndate: 2017-01-01\n"
               "search:\n  boost: 3\n  keywords: [W-2, wage statement]\n  best_bet_for: [Office of Management and Budget, '1099']\n  colour: red", "A page about forms.")
    write_post(site, "posts/other-forms.md", "title: Other forms\ndate: 2017-01-03", FORMS)
    write_post(site, "posts/hidden.md", "title: Forms draft\ndate: 2017-01-02\nsearch: {exclude: true}", FORMS)
    write_post(site, "posts/loud.md", "title: Loud forms\ndate: 2017-01-04\nsearch: {boost: 99}", FORMS)
    out = reindex(site, tmp_path / "index")
    assert out.returncode == 0, out.stderr
    assert "excluded 1" in out.stdout
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: posts/loud.md: search.boost must be a number from 0.1 to 10, not 99 (ignored)",
        "warning: posts/tax-forms.md: search.colour: unknown key (ignored); known: boost, keywords, best_bet_for, exclude",
    ]

    with gunicorn(tmp_path / "index", workers=1) as server:
        # Two posts say "forms" four times, the boosted one once, in its body: boost 3 lifts it first.
        forms = search(server.port, "forms")
        assert [hit["title"] for hit in forms["results"]] == ["Tax season", "Loud forms", "Other forms"]
        assert [hit["title"] for hit in search(server.port, "wage statement")["results"]] == ["Tax season"]
        # best_bet_for names the long form; the acronym finds it through the shipped synonyms
        for q in ("omb", "Office of  management and budget", "1099"):
            bets = search(server.port, q)["best_bets"]
            assert bets == [{"title": "Tax season", "url": "/2017/01/01/tax-forms/", "description": "A page about forms.", "id": "posts/tax-forms.md"}], q
        assert search(server.port, "forms")["best_bets"] == []
        assert all(hit["title"] != "Forms draft" for hit in forms["results"])

        # The boost gone, the page ranks by its words alone again.
        write_post(site, "posts/tax-forms.md", "title: Tax season\ndate: 2017-01-01", "A page about forms.")
        assert reindex(site, tmp_path / "index").returncode == 0
        assert [hit["title"] for hit in search(server.port, "forms")["results"]] == ["Loud forms", "Other forms", "Tax season"]
