"""HugoSite against the real hugo 0.111: the same pages, at the same URLs, with the same terms.

Every fixture site of hugo_sites.py is built by ``hugo`` (tests/oracles/hugo.py)
and read by HugoSite; the published sets must be equal page for page and every
URL equal.  The literal tests pin a few answers so that a change in both
(hugo upgraded, say) cannot pass unnoticed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchsvc.ingest.document import PostError
from searchsvc.ingest.frontmatter import decode as _decode
from searchsvc.ingest.frontmatter import read_post_file as _read
from searchsvc.ingest.frontmatter import split_front_matter as _split
from searchsvc.ingest.sites.base import EXCLUDED, NOT_A_PAGE, UNPUBLISHED, SiteConfigError, Skip, Term
from searchsvc.ingest.sites.hugo import HugoSite
from tests.ingest.sites.hugo_sites import NOW, SITES, config, page
from tests.conftest import load_budget
from tests.oracles.hugo import HugoOutput, hugo_binary, run_hugo

WHEN = dt.datetime.fromisoformat(NOW)
# Pages Hugo publishes that searchsvc leaves out on purpose, per fixture.
ON_PURPOSE = {
    "urls_toml": {"content/404.md": NOT_A_PAGE},
    "opt_out_yaml": {f"content/o/{n}.md": EXCLUDED for n in
                     ("search-false", "noindex", "search-exclude", "sitemap-false", "sitemap-disable")},
}
_BUILT: dict[str, tuple[HugoSite, HugoOutput, dict, dict]] = {}


def front_matter(path: str) -> dict:
    try:
        data, _ = _read(Path(path), 10**7)
        return _split(_decode(data))[0] or {}
    except PostError:
        return {}


def same_instant(ours: dt.datetime | None, hugo: str) -> bool:
    theirs = dt.datetime.fromisoformat(hugo)  # the oracle prints whole seconds
    return (ours and ours.replace(microsecond=0)) == (None if theirs.year == 1 else theirs)


def apply_rules(site: HugoSite) -> tuple[dict, dict]:
    """({site-relative file: PageRules}, {site-relative file: Skip}) for every candidate."""
    rules, skipped = {}, {}
    for cand in site.candidates():
        key = Path(cand.path).relative_to(site.root).as_posix()
        try:
            rules[key] = site.rules(cand.rel, front_matter(cand.path), WHEN)
        except Skip as skip:
            skipped[key] = skip
    return rules, skipped


def built(name: str, tmp_path_factory) -> tuple[HugoSite, HugoOutput, dict, dict]:
    if name not in _BUILT:
        hugo_binary()
        if name == "git_dates" and shutil.which("git") is None:
            pytest.skip("git is not installed (needed for the enableGitInfo fixture)")
        root = tmp_path_factory.mktemp(name)
        SITES[name](root)
        site = HugoSite(root)
        _BUILT[name] = (site, run_hugo(root, WHEN), *apply_rules(site))
    return _BUILT[name]


# The real corpus copies 1,543 posts and builds them (about 10 s): marked slow, still run by default.
NAMES = [pytest.param(n, marks=pytest.mark.slow) if n == "digitalgov_corpus" else n for n in sorted(SITES)]


@pytest.mark.slow  # the real hugo on every site
@pytest.mark.parametrize("name", NAMES)
def test_published_pages_and_urls_equal_hugos(name, tmp_path_factory):
    site, hugo, rules, skipped = built(name, tmp_path_factory)
    theirs = hugo.published()
    ours = {key: r.url for key, r in rules.items()}
    on_purpose = ON_PURPOSE.get(name, {})
    assert {k: skipped[k].kind for k in on_purpose} == on_purpose
    expected = {k: v for k, v in theirs.items() if k not in on_purpose}
    same_urls = sum(ours.get(k) == v for k, v in expected.items())
    print(f"{name}: pages {len(set(ours) & set(expected))}/{len(expected)} (hugo publishes {len(theirs)}, "
          f"{len(on_purpose)} left out on purpose), URLs equal {same_urls}/{len(expected)}")
    assert sorted(ours) == sorted(expected)
    assert ours == expected
    assert len(ours) >= 3


@pytest.mark.parametrize("name", NAMES)
def test_titles_dates_and_terms_equal_hugos(name, tmp_path_factory):
    site, hugo, rules, _ = built(name, tmp_path_factory)
    by_file = hugo.by_file()
    for key, r in rules.items():
        theirs = by_file[key]
        if r.kind != "home":  # Hugo's home title falls back to the site title, as PageRules.title does
            assert (r.title or "") == theirs.title, key
        if r.kind == "page":  # a section's date in Hugo is its newest page's
            assert same_instant(r.date, theirs.date), (key, "date")
            assert same_instant(r.extra["lastmod"], theirs.lastmod), (key, "lastmod")
        assert same_instant(r.extra["publish_date"], theirs.publish_date), (key, "publishDate")
        assert same_instant(r.extra["expiry_date"], theirs.expiry_date), (key, "expiryDate")
        for plural, urls in theirs.terms.items():
            terms = [site.term(plural, v, r.language) for v in r.facets[plural]]
            if "term" in site.config.disable_kinds:
                assert urls == [] and all(t.url is None for t in terms), (key, plural)
            else:
                assert sorted(t.url for t in terms) == urls, (key, plural)
        assert r.language == theirs.lang, key


def test_term_pages_equal_hugos(tmp_path_factory):
    site, hugo, _, skipped = built("taxonomies_yaml", tmp_path_factory)
    theirs = hugo.terms()
    for plural, terms in site.terms().items():
        for key, term in terms.items():
            rendered = next(r for r in theirs[plural].values() if r.permalink == term.url)
            assert term.label == (rendered.title or key)  # Hugo shows "" for a term page without title
    assert site.terms()["authors"] == {"jane-doe": Term("Jane D.", "https://example.org/people/jane-d..html")}
    assert site.terms()["topics"]["c++"] == Term("C Plus Plus", "https://example.org/topics/c++.html")
    assert site.terms()["topics"]["untitled"] == Term("untitled", "https://example.org/topics/untitled.html")
    assert site.term("topics", "ÄÖ x") == Term("ÄÖ x", "https://example.org/topics/%C3%A4%C3%B6-x.html")
    assert theirs["topics"]["ÄÖ x"].permalink == "https://example.org/topics/%C3%A4%C3%B6-x.html"
    assert skipped["content/authors/jane-doe/_index.md"].kind == NOT_A_PAGE
    assert skipped["content/authors/_index.md"].kind == NOT_A_PAGE


def test_literal_answers(tmp_path_factory):
    site, _, rules, skipped = built("urls_toml", tmp_path_factory)
    assert site.rules("posts/hello.md", {"title": "Hello", "date": "2021-03-04"}, WHEN).url == (
        "https://example.org/blog/2021/03/hello/")
    url = {k.removeprefix("content/"): r.url for k, r in rules.items()}
    assert url["posts/title-urlized.md"] == "https://example.org/blog/2021/03/caf%C3%A9-%C3%BCn%C3%AFcode-more-a-b/"
    assert url["posts/url-relative.md"] == "https://example.org/blog/Rel/Path/"
    assert url["posts/bundle/index.md"] == "https://example.org/blog/2020/01/a-leaf-bundle/"
    assert url["lit/page.md"] == "https://example.org/blog/lit-eral/x-y/mixed-case--plus/"
    assert url["Docs Section/My File & Co #1+2~x@y.md"] == "https://example.org/blog/docs-section/my-file-co-#1+2~x@y/"
    assert url["_index.md"] == "https://example.org/blog/"
    assert url["posts/_index.md"] == "https://example.org/blog/posts/"
    assert "content/posts/bundle/resource.md" not in rules and "content/posts/bundle/resource.md" not in skipped
    with pytest.raises(Skip) as resource:
        site.rules("posts/bundle/resource.md", {"title": "x"}, WHEN)
    assert resource.value.kind == NOT_A_PAGE
    assert rules["content/posts/hello.md"].dialect == "goldmark"
    assert rules["content/Docs Section/html-page.html"].dialect == "html"
    assert rules["content/posts/_index.md"].kind == "section"
    assert site.describe() == "Hugo site, config hugo.toml, content in content/"
    mirror = HugoSite(site.root, site_url="https://mirror.example/search")  # SEARCHSVC_SITE_URL
    assert mirror.rules("posts/hello.md", {"title": "Hello", "date": "2021-03-04"}, WHEN).url == (
        "https://mirror.example/search/2021/03/hello/")


def test_literal_publication_answers(tmp_path_factory):
    site, _, rules, skipped = built("publication_json", tmp_path_factory)
    reasons = {k.removeprefix("content/"): (s.kind, s.reason) for k, s in skipped.items()}
    assert reasons["p/draft.md"] == (UNPUBLISHED, "a draft")
    assert reasons["p/published-false.md"] == (UNPUBLISHED, "a draft")
    assert reasons["p/future-date.md"] == (UNPUBLISHED, "in the future (publish date 2030-01-01T00:00:00+00:00)")
    assert reasons["p/expired.md"] == (UNPUBLISHED, "expired (2024-05-31T00:00:00+00:00)")
    assert reasons["p/list-local.md"][1] == "_build: list: local (Hugo leaves it out of the site's page lists)"
    assert reasons["p/headless/index.md"] == (UNPUBLISHED, "a headless bundle")
    assert reasons["drafts/child.md"] == (UNPUBLISHED, "its section drafts/ is a draft")
    assert reasons["drafts/sub/grandchild.md"] == (UNPUBLISHED, "its section drafts/ is a draft")
    assert "content/p/build-no-underscore.md" in rules and "content/never-section/child.md" in rules
    assert "content/p/headless/res.md" not in skipped  # a resource is no candidate at all


def test_languages_and_content_root(tmp_path_factory):
    site, _, rules, skipped = built("languages_toml", tmp_path_factory)
    assert site.content_root == site.root  # content/ and content_fr/ share only the site root
    assert rules["content/posts/hello.es.md"].url == "https://example.org/es/2021/hola/"
    assert rules["content/posts/hello.es.md"].language == "es"
    assert rules["content_fr/docs/spanish-in-fr-dir.es.md"].language == "es"
    assert rules["content/docs/url-rel.es.md"].url == "https://example.org/es/relative-es/"
    assert skipped["content/posts/hello.de.md"].kind == UNPUBLISHED
    site2, _, rules2, _ = built("config_dir", tmp_path_factory)
    assert site2.content_root == site2.root / "content"
    assert rules2["content/es/posts/hola.md"].url == "https://example.org/es/posts/2021/hola.html"
    assert rules2["content/en/about.md"].url == "https://example.org/en/about.html"
    assert {c.rel for c in site2.candidates()} >= {"en/about.md", "es/_index.md"}
    assert site2.describe() == (
        "Hugo site, config config/_default/hugo.toml, config/_default/languages.toml, config/_default/params.toml, "
        "config/_default/permalinks.yaml, config/_default/taxonomies.json, config/production/hugo.toml, "
        "content in content/es/, content/en/, languages es, en")


def test_dates_literal(tmp_path_factory):
    site, _, rules, _ = built("dates_toml", tmp_path_factory)
    r = rules["content/d/late-evening.md"]
    assert r.date.isoformat() == "2021-03-04T23:30:00-05:00"
    assert r.url == "https://example.org/2021/03/04/local-time/"
    assert rules["content/d/2019-02-03-hello-there.md"].url == "https://example.org/2019/02/03/hello-there/"
    hugo = built("dates_toml", tmp_path_factory)[1].by_file()
    assert rules["content/d/modified.md"].extra["lastmod"].isoformat() == "2015-02-02T00:00:00-05:00"
    assert hugo["content/d/modified.md"].lastmod == "2015-02-02T00:00:00-05:00"
    assert rules["content/d/mtime.md"].extra["lastmod"].isoformat() == "2020-09-13T12:26:40+00:00"  # :fileModTime
    assert dt.datetime.fromisoformat(hugo["content/d/mtime.md"].lastmod).timestamp() == 1_600_000_000
    git_site, hugo, git_rules, _ = built("git_dates", tmp_path_factory)
    assert git_rules["content/g/committed.md"].date.isoformat() == "2019-04-05T06:07:08+00:00"
    assert git_rules["content/g/uncommitted.md"].url == "https://example.org/2002/02/uncommitted/"
    assert hugo.by_file()["content/g/committed.md"].lastmod == "2019-04-05T06:07:08Z"
    assert git_rules["content/g/committed.md"].extra["lastmod"].isoformat() == "2019-04-05T06:07:08+00:00"


def test_opt_out_reasons(tmp_path_factory):
    _, _, rules, skipped = built("opt_out_yaml", tmp_path_factory)
    assert {k: s.reason for k, s in skipped.items()} == {
        "content/o/search-false.md": "search: false",
        "content/o/noindex.md": "noindex: true",
        "content/o/search-exclude.md": "searchExclude: true",
        "content/o/sitemap-false.md": "sitemap: false",
        "content/o/sitemap-disable.md": "sitemap: {disable: true}",
    }


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("hugo.toml", 'title = "t"\nbaseURL = \n', "hugo.toml, line 2: not valid TOML (Invalid value (at line 2, column 11))"),
        ("hugo.yaml", "title: t\n  bad: [\n", "hugo.yaml, line 2: not valid YAML (mapping values are not allowed here)"),
        ("config.json", '{"title": }', "config.json, line 1: not valid JSON (Expecting value)"),
        ("config.yaml", "- a\n- b\n", "config.yaml: the configuration is a list, not a mapping of settings"),
        ("hugo.toml", '[permalinks]\nposts = "/:year/:nonsense/"\n', "hugo.toml: permalink '/:year/:nonsense/': unknown token :nonsense"),
        ("hugo.toml", '[permalinks]\nposts = "/:contentbasename/"\n', "hugo.toml: permalink '/:contentbasename/': unknown token :contentbasename"),
        ("hugo.toml", 'timeZone = "Mars/Olympus"\n', "hugo.toml: timeZone 'Mars/Olympus' is not a known time zone"),
    ],
)
def test_config_errors_name_the_file_and_line(tmp_path, name, text, message):
    config(tmp_path, name, text)
    with pytest.raises(SiteConfigError) as error:
        HugoSite.detect(tmp_path)
    assert str(error.value) == f"{tmp_path / name}{message.removeprefix(name)}"
    page(tmp_path, "content/posts/a.md", {"title": "a"})
    done = subprocess.run([hugo_binary(), "--renderToMemory", "--quiet", "-s", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode != 0  # hugo 0.111 refuses to build it too (:contentbasename came in a later Hugo)


def test_detect_needs_a_config(tmp_path):
    page(tmp_path, "content/x.md", {"title": "x"})
    assert HugoSite.detect(tmp_path) is None
    config(tmp_path, "config/_default/params.toml", "x = 1\n")
    site = HugoSite.detect(tmp_path)
    assert site is not None and site.describe() == "Hugo site, config config/_default/params.toml, content in content/"


def test_per_kind_permalinks_follow_hugo_0112_which_0111_cannot_build(tmp_path):
    config(tmp_path, "hugo.yaml", """
        baseURL: https://example.org/
        permalinks:
          page:
            posts: /:year/:slug/
          section:
            posts: /blog/
          term:
            tags: /t/:slug/
    """)
    page(tmp_path, "content/posts/_index.md", {"title": "Posts"})
    page(tmp_path, "content/posts/hi.md", {"title": "Hi there", "date": "2021-03-04", "tags": ["Go Lang"]})
    site = HugoSite(tmp_path)
    assert site.rules("posts/hi.md", {"title": "Hi there", "date": "2021-03-04"}, WHEN).url == "https://example.org/2021/hi-there/"
    assert site.rules("posts/_index.md", {"title": "Posts"}, WHEN).url == "https://example.org/blog/"
    assert site.term("tags", "Go Lang") == Term("Go Lang", "https://example.org/t/go-lang/")
    hugo_binary()
    done = subprocess.run(["hugo", "-s", str(tmp_path), "-d", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode != 0 and "panic" in done.stderr  # Hugo 0.111 crashes on this form


def test_fingerprint_follows_config_and_index_front_matter(tmp_path):
    config(tmp_path, "hugo.toml", 'baseURL = "https://example.org/"\n')
    page(tmp_path, "content/posts/_index.md", {"title": "Posts"})
    page(tmp_path, "content/posts/a.md", {"title": "A"})
    page(tmp_path, "content/tags/go/_index.md", {"title": "Go"})
    first = HugoSite(tmp_path).fingerprint()
    assert HugoSite(tmp_path).fingerprint() == first
    page(tmp_path, "content/posts/a.md", {"title": "A, edited"})
    assert HugoSite(tmp_path).fingerprint() == first  # a page's own change is the page's business
    assert HugoSite(tmp_path, site_url="https://other.org/").fingerprint() != first
    steps = [
        lambda: page(tmp_path, "content/posts/_index.md", "title: Posts\ncascade:\n  draft: true"),
        lambda: page(tmp_path, "content/tags/go/_index.md", {"title": "Golang"}),
        lambda: config(tmp_path, "hugo.toml", 'baseURL = "https://example.org/"\nuglyURLs = true\n'),
        lambda: page(tmp_path, "content/posts/b/index.md", {"title": "a new leaf bundle"}),
        lambda: page(tmp_path, "content/posts/sub/_index.md", {"title": "a new section"}),
    ]
    seen = {first}
    for step in steps:
        step()
        now = HugoSite(tmp_path).fingerprint()
        assert now not in seen
        seen.add(now)


def test_rules_are_fast_and_need_no_flask(tmp_path):
    config(tmp_path, "hugo.toml", 'baseURL = "https://example.org/"\n[permalinks]\nposts = "/:year/:month/:slug/"\n')
    page(tmp_path, "content/posts/_index.md", "title: Posts\ncascade:\n  - _target:\n      path: /posts/s1/**\n    tags: [x]")
    metas = {}
    for i in range(3000):
        rel = f"posts/s{i % 10}/p{i}.md"
        metas[rel] = {"title": f"Post number {i}", "date": f"2020-01-{i % 28 + 1:02d}", "tags": ["a", "b"]}
        page(tmp_path, "content/" + rel, metas[rel])
    start = time.perf_counter()
    site = HugoSite(tmp_path)
    built_s = time.perf_counter() - start
    start = time.perf_counter()
    urls = {rel: site.rules(rel, meta, WHEN).url for rel, meta in metas.items()}
    rules_s = time.perf_counter() - start
    assert urls["posts/s3/p13.md"] == "https://example.org/2020/01/post-number-13/"
    print(f"HugoSite over 3,000 pages: built in {built_s:.3f} s, rules() {rules_s / 3000 * 1e6:.0f} us a page")
    assert built_s < load_budget(2.0) and rules_s < load_budget(3.0)
    code = "import sys, searchsvc.ingest.sites.hugo; print(sorted(m for m in ('flask', 'whoosh') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
