"""JekyllSite against the real Jekyll 4.3: the same pages, at the same URLs, with the same dates.

Every fixture site (jekyll_sites.py) is read by tests/oracles/jekyll.py
through Jekyll's own API and by JekyllSite; the published sets must be equal
page for page (less the pages our search flags keep out) and every URL equal.
The literal tests below pin what a user sees on a few pages.
"""

from __future__ import annotations

import datetime as dt
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The front-matter splitter the ingest pipeline uses (repoint to searchsvc.ingest.frontmatter).
from searchsvc.ingest.document import PostError
from searchsvc.ingest.frontmatter import decode as _decode
from searchsvc.ingest.frontmatter import split_front_matter as _split
from searchsvc.ingest.sites.base import EXCLUDED, NOT_A_PAGE, UNPUBLISHED, PageRules, SiteConfigError, Skip
from searchsvc.ingest.sites.jekyll import JekyllSite

from ...conftest import REPO
from ...oracles import jekyll as oracle
from . import jekyll_sites
from .jekyll_sites import NOW, SITES, fm, write

SEARCH_FLAGGED = {  # Jekyll publishes these; search leaves them out (Skip EXCLUDED)
    "publication": {
        "_posts/2021-01-07-noindex.md": "noindex: true in front matter",
        "search-false.md": "search: false in front matter",
        "sitemap-false.html": "sitemap: false in front matter",
        "search-exclude.md": "searchExclude: true in front matter",
    },
}


def read_meta(path: str | Path) -> dict | None:
    try:
        return _split(_decode(Path(path).read_bytes()))[0]
    except PostError:
        return None  # no front matter: the contract's None


def ours(site: JekyllSite, now: dt.datetime = NOW) -> tuple[dict[str, PageRules], dict[str, Skip]]:
    published, skipped = {}, {}
    for candidate in site.candidates():
        try:
            published[candidate.rel] = site.rules(candidate.rel, read_meta(candidate.path), now)
        except Skip as skip:
            skipped[candidate.rel] = skip
    return published, skipped


def rules(site: JekyllSite, rel: str) -> PageRules:
    return site.rules(rel, read_meta(site.root / rel), NOW)


def skip_of(site: JekyllSite, rel: str) -> Skip:
    with pytest.raises(Skip) as caught:
        rules(site, rel)
    return caught.value


def compare(root: Path, name: str, tz: str | None = None) -> None:
    answer = oracle.published(root, NOW, tz=tz)
    assert "error" not in answer, answer.get("error")
    expected = oracle.html_pages(answer)
    flagged = SEARCH_FLAGGED.get(name, {})
    published, skipped = ours(JekyllSite(root))
    assert set(published) == set(expected) - set(flagged)
    for rel, reason in flagged.items():
        assert (skipped[rel].kind, skipped[rel].reason) == (EXCLUDED, reason)
    urls_equal = {rel: (published[rel].url, expected[rel]["absolute_url"]) for rel in published}
    assert {rel: pair for rel, pair in urls_equal.items() if pair[0] != pair[1]} == {}
    for rel, page in published.items():
        row = expected[rel]
        if "date" in row and page.date is not None:  # documents without a date have Jekyll's build time
            assert page.date.isoformat() == dt.datetime.fromisoformat(row["date"]).isoformat(), rel
        if "categories" in row:
            assert (page.facets["categories"], page.facets["tags"]) == (row["categories"], row["tags"]), rel
    equal = sum(a == b for a, b in urls_equal.values())
    total = len(expected) - len(flagged)
    counts = f"pages {len(published)} (Jekyll {len(expected)}, {len(flagged)} search-flagged)"
    print(f"\n{name}: {counts}; URLs equal {equal}/{total}")


@pytest.mark.slow  # the real jekyll on every site: 6 s
@pytest.mark.parametrize("name", list(SITES))
def test_publishes_what_jekyll_publishes_at_the_same_urls(tmp_path, name):
    oracle.require_jekyll()
    compare(SITES[name](tmp_path), name)


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["digitalgov-2017", "18f-blog"])
def test_real_posts_as_a_jekyll_site(tmp_path, corpus):
    """The shared corpora's real front matter (entities in categories, odd dates) in _posts/."""
    source = REPO.parent / "shared" / "corpus" / corpus
    if not source.is_dir():
        pytest.skip(f"corpus not found at {source} (it lives in ../shared beside the repository)")
    oracle.require_jekyll()
    posts = source / "posts" if (source / "posts").is_dir() else source
    shutil.copytree(posts, tmp_path / "_posts")
    if (source / "pages").is_dir():
        shutil.copytree(source / "pages", tmp_path / "pages")
    (tmp_path / "_config.yml").write_text("url: https://example.gov\nbaseurl: /news\n", encoding="utf-8")
    compare(tmp_path, corpus)


@pytest.mark.slow  # the real jekyll
def test_local_zone_when_the_config_names_none(tmp_path, monkeypatch):
    """No ``timezone:``: dates are read in the process's zone, as Jekyll's Time.parse does."""
    oracle.require_jekyll()
    root = write(tmp_path, {
        "_config.yml": "permalink: /:year/:month/:day/:hour/:title/\n",
        "_posts/2021-03-24-late.md": fm("title: Late\ndate: 2021-03-24 20:00:00 +0000"),
        "_posts/2021-03-25-plain.md": fm("title: Plain"),
    })
    with monkeypatch.context() as patch:
        patch.setenv("TZ", "Asia/Tokyo")
        time.tzset()
        try:
            compare(root, "local zone Asia/Tokyo", tz="Asia/Tokyo")
            assert rules(JekyllSite(root), "_posts/2021-03-24-late.md").url == "/2021/03/25/05/late/"
        finally:
            patch.undo()
            time.tzset()


@pytest.mark.slow  # the real jekyll
def test_the_command_line_writes_what_the_oracle_reports(tmp_path):
    """``jekyll build`` writes a file for each page the API reports, and only those (plus static files)."""
    oracle.require_jekyll()
    for name in ("basic", "collections", "permalinks_and_defaults"):
        root = SITES[name](tmp_path / name)
        answer = oracle.published(root)
        written = set(oracle.build(root, tmp_path / f"{name}-out"))
        pages = {row["destination"] for row in answer["published"].values()}
        statics = {rel for rel in answer["static"] if not rel.startswith("_")}
        html = {p for p in written if p.endswith(".html")}
        assert html == {p for p in pages | statics if p.endswith(".html")}, name
        assert pages <= written, name


# ---------------------------------------------------------------------------
# What a user sees, literally


def test_post_url_date_and_facets_from_the_file_name(tmp_path):
    site = JekyllSite(jekyll_sites.basic(tmp_path))
    page = rules(site, "_posts/2021-03-24-hello.md")
    assert page.url == "https://example.org/blog/news/2021/03/24/hello.html"
    assert page.date == dt.datetime(2021, 3, 24, tzinfo=dt.timezone.utc)
    assert page.facets == {"tags": ["one", "two"], "categories": ["News"], "authors": ["jane-doe"]}
    assert (page.dialect, page.kind, page.title) == ("kramdown", "page", None)
    moved = rules(site, "_posts/2021-03-25-date-override.md")
    assert moved.url == "https://example.org/blog/2021/04/02/date-override.html"
    assert moved.date.isoformat() == "2021-04-02T10:00:00+00:00"
    folder = rules(site, "news/world/_posts/2021-03-29-two-folders.md")
    assert folder.facets["categories"] == ["news", "world", "Alpha", "Beta"]
    assert folder.facets["authors"] == ["jane-doe", "bob"]
    bare = rules(site, "_posts/2021-03-26-no-front-matter.md")
    assert (bare.url, bare.title) == ("https://example.org/blog/2021/03/26/no-front-matter.html", "No Front Matter")


def test_pages_index_pages_and_html(tmp_path):
    site = JekyllSite(jekyll_sites.basic(tmp_path))
    assert rules(site, "about.md").url == "https://example.org/blog/about.html"
    home = rules(site, "index.md")
    assert (home.url, home.kind, home.date) == ("https://example.org/blog/", "home", None)
    assert rules(site, "docs/index.html").url == "https://example.org/blog/docs/"
    contact = rules(site, "contact.html")
    assert (contact.url, contact.dialect) == ("https://example.org/blog/contact.html", "html")


def test_site_url_override_and_relative_urls_without_url(tmp_path):
    root = jekyll_sites.basic(tmp_path)
    local = JekyllSite(root, site_url="http://localhost:4000")
    assert rules(local, "_posts/2021-03-24-hello.md").url == "http://localhost:4000/blog/news/2021/03/24/hello.html"
    assert rules(JekyllSite(root, site_url=""), "about.md").url == "/blog/about.html"


def test_skips_say_why(tmp_path):
    site = JekyllSite(jekyll_sites.basic(tmp_path))
    expected = {
        "_layouts/default.html": (NOT_A_PAGE, "in _layouts/, the layouts folder (a name starting with '_')"),
        "_includes/nav.html": (NOT_A_PAGE, "in _includes/, the includes folder (a name starting with '_')"),
        "_site/old.html": (NOT_A_PAGE, "in _site/, the output folder (destination)"),
        "node_modules/pkg/README.md": (
            EXCLUDED,
            "in node_modules/, a folder Jekyll does not read (excluded by exclude: in the config)",
        ),
        "_drafts/a-draft.md": (UNPUBLISHED, "a draft (_drafts/ is published only with show_drafts: true)"),
        "static.html": (NOT_A_PAGE, "no front matter ('---' on its first line): Jekyll copies it as a static file"),
        "_posts/notes.md": (NOT_A_PAGE, "in _posts/ without a YYYY-MM-DD- date in its name; Jekyll ignores it"),
        ".hidden.md": (NOT_A_PAGE, "a name starting with '.'; Jekyll does not read it"),
    }
    for rel, want in expected.items():
        skip = skip_of(site, rel)
        assert (skip.kind, skip.reason) == want, rel
    rels = {c.rel for c in site.candidates()}
    assert {"_drafts/a-draft.md", "readme.md", "static.html", "_posts/notes.md"} <= rels
    assert not {r for r in rels if r.startswith(("node_modules/", "_layouts/", "_site/", "vendor/bundle/", "_data/"))}


def test_publication_rules(tmp_path):
    site = JekyllSite(jekyll_sites.publication(tmp_path))
    draft = rules(site, "_drafts/draft-one.md")
    assert (draft.url, draft.date.isoformat()) == ("/2024/02/03/draft-one.html", "2024-02-03T12:00:00+00:00")
    assert skip_of(site, "_posts/2099-01-01-future.md").kind == UNPUBLISHED
    assert skip_of(site, "page-off.md").reason == "published: false"
    assert rules(site, "page-string-false.md").url == "/page-string-false.html"  # only a boolean false unpublishes
    assert skip_of(site, "secret.md").kind == EXCLUDED
    assert rules(site, "_pages/kept.md").url == "/_pages/kept.html"
    assert "docs-old/z.md" not in {c.rel for c in site.candidates()}  # exclude: [docs] is a prefix


def test_collections(tmp_path):
    site = JekyllSite(jekyll_sites.collections_site(tmp_path))
    assert rules(site, "_docs/sub/deep.md").url == "/site/manual/sub/deep/"
    pancakes = rules(site, "_recipes/2021-05-01-pancakes.md")
    assert (pancakes.url, pancakes.date.date()) == ("/site/recipes/2021-05-01-pancakes/", dt.date(2021, 5, 1))
    assert rules(site, "_docs/intro.md").date is None
    assert skip_of(site, "_authors/jane.md").reason == "in collection 'authors', which has no output: true"
    assert skip_of(site, "_docs/no-front-matter.md").kind == NOT_A_PAGE


def test_toml_config_and_timezone(tmp_path):
    toml = JekyllSite(jekyll_sites.toml_config(tmp_path / "toml"))
    assert toml.describe() == (
        "Jekyll site, config _config.toml (permalink /:categories/:title/, collections guides; "
        "URLs under https://toml.example/docs/)"
    )
    assert rules(toml, "_posts/2021-03-24-toml.md").url == "https://toml.example/docs/cfg/toml/"
    zoned = JekyllSite(jekyll_sites.timezone(tmp_path / "tz"))
    offset = rules(zoned, "_posts/2021-03-25-offset.md")
    assert (offset.url, offset.date.isoformat()) == ("/2021/03/24/22/offset/", "2021-03-24T22:00:00-04:00")
    assert rules(zoned, "_posts/2021-06-01-unquoted.md").url == "/2021/05/31/21/unquoted/"
    assert rules(zoned, "_posts/2021-06-01-quoted.md").url == "/2021/06/01/01/quoted/"


def test_escaping(tmp_path):
    site = JekyllSite(jekyll_sites.escaping(tmp_path))
    assert rules(site, "_posts/2021-01-01-über-straße.md").url == (
        "https://example.org/blog/caf%C3%A9%20society/c%23%20&%20.net/%C3%BCber-stra%C3%9Fe.html"
    )
    assert rules(site, "my docs/x y.md").url == "https://example.org/blog/my%20docs/x%20y.html"


def test_author_display_names(tmp_path):
    site = JekyllSite(jekyll_sites.basic(tmp_path))
    names = {key: term.label for key, term in site.terms()["authors"].items()}
    assert names == {"jane-doe": "Jane Doe", "bob": "Bob B."}
    assert site.facets == ("tags", "categories", "authors")


def test_detect_and_describe(tmp_path):
    assert JekyllSite.detect(tmp_path) is None
    site = JekyllSite.detect(jekyll_sites.basic(tmp_path / "b"))
    assert site.describe() == "Jekyll site, config _config.yml (permalink date; URLs under https://example.org/blog/)"
    both = write(tmp_path / "both", {"_config.toml": "permalink = 'pretty'\n", "_config.yml": "permalink: none\n"})
    assert JekyllSite.detect(both).config_path.name == "_config.yml"  # Jekyll's order: yml, yaml, toml


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("_config.yml", "title: x\nexclude: [a\nurl: b\n", "_config.yml: not valid YAML (line 3"),
        ("_config.yml", "- a\n- b\n", "_config.yml: must be a mapping of settings, not a list (line 1)"),
        ("_config.yml", "title: x\nexclude: node_modules\n", "_config.yml (line 2): exclude must be a list"),
        (
            "_config.yml",
            "url: x\npermalink: /:year/:nope/\n",
            "_config.yml (line 2): permalink '/:year/:nope/' (posts) uses :nope",
        ),
        (
            "_config.yml",
            "collections:\n  docs:\n    output: true\n    permalink: /:nope/\n",
            "_config.yml (line 1): permalink '/:nope/' (docs) uses :nope",
        ),
        ("_config.toml", 'url = "x"\npermalink = \n', "_config.toml: not valid TOML (line 2)"),
    ],
)
def test_invalid_config_names_file_and_line(tmp_path, name, text, message):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(SiteConfigError) as caught:
        JekyllSite.detect(tmp_path)
    assert str(caught.value).startswith(message)


@pytest.mark.slow  # the real jekyll
def test_jekyll_stops_on_the_same_configs(tmp_path):
    oracle.require_jekyll()
    for text in ("title: x\nexclude: node_modules\n", "permalink: /:year/:nope/\n", "title: x\nexclude: [a\nurl: b\n"):
        root = write(tmp_path / str(abs(hash(text))), {"_config.yml": text, "_posts/2021-01-01-a.md": fm("title: A")})
        assert "error" in oracle.published(root, NOW), text


@pytest.mark.parametrize(
    "front, message",
    [
        ("title: x\ndate: not a date", "date 'not a date' is not a date Jekyll can read"),
        ("title: x\ndate:", "date '' is not a date Jekyll can read"),
        ("title: x\npermalink: /:basename/", "permalink '/:basename/' uses :basename, which Jekyll does not have"),
        ("title: x\ncategories: ['1:x']", "its URL cannot be built"),
    ],
)
@pytest.mark.slow  # the real jekyll on each case
def test_files_jekyll_cannot_build_are_post_errors(tmp_path, front, message):
    root = write(tmp_path, {"_config.yml": "title: t\n", "_posts/2021-01-01-a.md": fm(front)})
    with pytest.raises(PostError) as caught:
        rules(JekyllSite(root), "_posts/2021-01-01-a.md")
    assert str(caught.value).startswith(message)
    if oracle._missing() is None:
        assert "error" in oracle.published(root, NOW)  # Jekyll stops the build on this file


def test_fingerprint_follows_config_defaults_and_authors(tmp_path):
    root = jekyll_sites.basic(tmp_path)
    first = JekyllSite(root).fingerprint()
    (root / "_posts/2021-03-24-hello.md").write_text(fm("title: Changed"), encoding="utf-8")
    assert JekyllSite(root).fingerprint() == first
    (root / "_data/authors.yml").write_text("jane-doe:\n  name: Jane Q. Doe\n", encoding="utf-8")
    second = JekyllSite(root).fingerprint()
    assert second != first
    config = root / "_config.yml"
    defaults = "defaults:\n  - scope: {path: ''}\n    values: {layout: x}\n"
    config.write_text(config.read_text() + defaults, encoding="utf-8")
    assert JekyllSite(root).fingerprint() not in (first, second)


def test_config_is_read_once(tmp_path):
    root = jekyll_sites.basic(tmp_path)
    site = JekyllSite(root)
    (root / "_config.yml").write_text("permalink: pretty\n", encoding="utf-8")
    assert rules(site, "_posts/2021-03-24-hello.md").url == "https://example.org/blog/news/2021/03/24/hello.html"


def test_a_site_travels_to_worker_processes(tmp_path):
    """Pickled after use (its folder verdicts cached), it answers the same."""
    site = JekyllSite(jekyll_sites.basic(tmp_path))
    before = {rel: (page.url, page.date) for rel, page in ours(site)[0].items()}
    copy = pickle.loads(pickle.dumps(site))
    assert {rel: (page.url, page.date) for rel, page in ours(copy)[0].items()} == before
    assert skip_of(copy, "_layouts/default.html").kind == NOT_A_PAGE


def test_imports_without_flask_or_whoosh():
    code = (
        "import sys\n"
        "for name in ('flask', 'whoosh', 'markdown', 'bs4'): sys.modules[name] = None\n"
        "import searchsvc.ingest.sites.jekyll\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
