"""index/build.py through `searchsvc reindex`: what a site owner sees for a clean site, a shrink, a switch of content."""

from __future__ import annotations

import json
import urllib.request

from click.testing import CliRunner

from searchsvc.cli import main

from ..conftest import running_server, searchsvc_exe, write_post


def _reindex(*args, env=None):
    return CliRunner().invoke(main, ["reindex", *map(str, args)], env=env or {})


def test_a_clean_site_exits_0_and_counts_what_is_not_a_page(tmp_path):
    site = tmp_path / "site"
    write_post(site, "posts/2016-01-01-real.md", "title: A real post\ndate: 2016-01-01", "Words.")
    write_post(site, "tags/omb.md", "layout: tag", "A tag stub without a title.")
    write_post(site, "posts/2016-01-02-draft.md", "title: Draft\ndraft: true")
    write_post(site, "posts/2016-01-03-hidden.md", "title: Hidden\nsearch: false")
    write_post(site, "private/2016-01-04-note.md", "title: Private note")
    write_post(site, "public/posts/real/index.html", "title: Built copy")
    result = _reindex(site, "--index", tmp_path / "index", "--verbose", env={"SEARCHSVC_EXCLUDE": "private/*"})
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == f"Reading a plain folder of posts (no Hugo or Jekyll config in {site})"
    assert sorted(lines[1:-1]) == [
        "excluded: posts/2016-01-03-hidden.md: search: false",
        "excluded: private/2016-01-04-note.md: matches SEARCHSVC_EXCLUDE pattern 'private/*'",
        "not a page: tags/omb.md: no title (a page without one is not a search result)",
        "unpublished: posts/2016-01-02-draft.md: draft: true",
    ]
    assert lines[-1].startswith("added 1, updated 0, removed 0, unchanged 0, failed 0, unpublished 1, not a page 1, excluded 2; 1 documents")
    # Unchanged on the next run: the same counts, nothing read again, still exit 0.
    again = _reindex(site, "--index", tmp_path / "index", env={"SEARCHSVC_EXCLUDE": "private/*"})
    assert again.exit_code == 0
    assert again.output.strip().splitlines()[-1].startswith(
        "added 0, updated 0, removed 0, unchanged 1, failed 0, unpublished 1, not a page 1, excluded 2; 1 documents"
    )


def test_a_generation_that_loses_most_documents_is_not_published_without_allow_shrink(tmp_path):
    site = tmp_path / "site"
    for i in range(4):
        write_post(site, f"posts/p{i}.md", f"title: Post {i}\ndate: 2016-01-0{i + 1}")
    index = tmp_path / "index"
    assert _reindex(site, "--index", index).exit_code == 0
    for i in range(1, 4):
        (site / f"posts/p{i}.md").unlink()
    refused = _reindex(site, "--index", index)
    assert refused.exit_code == 4
    assert refused.output.strip().splitlines()[-1] == (
        "searchsvc reindex: the new generation would hold 1 documents, fewer than half the 4 served now; "
        "nothing was published (if that is intended, run again with --allow-shrink)"
    )
    assert (index / "current").resolve().name == "gen-000001"
    allowed = _reindex(site, "--index", index, "--allow-shrink")
    assert allowed.exit_code == 0
    assert (index / "current").resolve().name == "gen-000002"


def test_serve_content_b_over_an_index_of_a_serves_b(tmp_path):
    a, b, index = tmp_path / "a", tmp_path / "b", tmp_path / "index"
    write_post(a, "posts/alpha.md", "title: Alpha site post\ndate: 2016-01-01")
    write_post(b, "posts/beta.md", "title: Beta site post\ndate: 2016-01-01")
    assert _reindex(a, "--index", index).exit_code == 0
    argv = lambda port: [searchsvc_exe(), "serve", "--index", str(index), "--content", str(b), "--port", str(port)]  # noqa: E731
    with running_server(argv, tmp_path / "serve.log") as (base, _):
        with urllib.request.urlopen(base + "/search.json?per_page=5") as response:
            titles = [hit["title"] for hit in json.load(response)["results"]]
    assert titles == ["Beta site post"]
    assert f"The index in {index} was built from {a}; indexing {b} instead." in (tmp_path / "serve.log").read_text()
