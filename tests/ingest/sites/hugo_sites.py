"""Small Hugo sites written into a folder, one per feature group, each config in another format.

Every writer takes an empty folder and fills it; ``SITES`` names them for
the parametrized tests.  Pages are named after what they test, so a failure
reads as the rule that broke.  No two pages may share a URL (the oracle
refuses such a site: Hugo would silently keep one of them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any, Callable

NOW = "2024-06-01T12:00:00+00:00"  # every fixture is judged at this instant (hugo --clock)


def page(root: Path, rel: str, front: dict[str, Any] | str | None = None, body: str = "Body text.\n") -> Path:
    """A content file with YAML front matter (a dict, written as JSON-in-YAML) or a raw string."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if front is None:
        text = body
    elif isinstance(front, str):
        text = "---\n" + textwrap.dedent(front).strip() + "\n---\n" + body
    else:
        lines = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in front.items())
        text = "---\n" + lines + "---\n" + body
    path.write_text(text, encoding="utf-8")
    return path


def config(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def urls_toml(root: Path) -> None:
    """hugo.toml: baseURL with a path, per-section permalinks, default paths, bundles, sanitising."""
    config(root, "hugo.toml", """
        baseURL = "https://example.org/blog/"
        title = "URLs"
        [permalinks]
        posts = "/:year/:month/:slug/"
        notes = "/n/:sections/:filename/"
        dated = "/d/:monthname-:weekday-:weekdayname-:yearday/:2006-:Jan/:slugorfilename"
        lit = "/Lit+Eral/X Y/:title/"
        deep = "/deep/:sections[1:]/:sections[last]/:filename/"
    """)
    c = "content/"
    page(root, c + "_index.md", {"title": "Home page"})
    page(root, c + "about.md", {"title": "About us"})
    page(root, c + "404.md", {"title": "Not found"})
    page(root, c + "posts/_index.md", {"title": "All posts"})
    page(root, c + "posts/hello.md", {"title": "Hello", "date": "2021-03-04"})
    page(root, c + "posts/title-urlized.md", {"title": "Café: Ünïcode & more! a+b", "date": "2021-03-05T23:30:00-05:00"})
    page(root, c + "posts/slugged.md", {"title": "Ignored", "slug": "My Own Slug", "date": "2020-12-31"})
    page(root, c + "posts/undated.md", {"title": "No date at all"})
    page(root, c + "posts/url-absolute.md", {"title": "U", "url": "/custom/Path/"})
    page(root, c + "posts/url-relative.md", {"title": "R", "url": "Rel/Path"})
    page(root, c + "posts/url-file.md", {"title": "F", "url": "/Some/File.html"})
    page(root, c + "posts/url-space.md", {"title": "S", "url": "/with space/x+y/"})
    page(root, c + "posts/bundle/index.md", {"title": "A leaf bundle", "date": "2020-01-02"})
    page(root, c + "posts/bundle/resource.md", {"title": "A resource, not a page"})
    page(root, c + "posts/bundle/deeper/index.md", {"title": "Also a resource"})
    page(root, c + "posts/nested/deep.md", {"title": "Deep in a folder that is no section", "date": "2019-07-08"})
    page(root, c + "notes/a/_index.md", {"title": "Notes A"})
    page(root, c + "notes/a/b/_index.md", {"title": "Notes A B"})
    page(root, c + "notes/a/b/leaf.md", {"title": "Leaf"})
    page(root, c + "notes/a/no-section/leaf2.md", {"title": "Leaf two"})
    page(root, c + "notes/bundle-name/index.md", {"title": "Bundle under a pattern"})
    page(root, c + "dated/one.md", {"title": "One", "date": "2021-03-07T10:20:30+02:00"})
    page(root, c + "dated/two.md", {"title": "Two", "slug": "The Two!", "date": "2022-11-27"})
    page(root, c + "lit/page.md", {"title": "Mixed Case + Plus"})
    page(root, c + "deep/top.md", {"title": "top"})
    page(root, c + "deep/s1/_index.md", {"title": "s1"})
    page(root, c + "deep/s1/s2/_index.md", {"title": "s2"})
    page(root, c + "deep/s1/s2/bottom.md", {"title": "bottom"})
    page(root, c + "Docs Section/My File & Co #1+2~x@y.md", {"title": "weird file name"})
    page(root, c + "Docs Section/ÄÖÜ ñ.md", {"title": "accented file name"})
    page(root, c + "Docs Section/dots.v1.2.md", {"title": "dots"})
    page(root, c + "Docs Section/slug-with-slash.md", {"title": "x", "slug": "a/b"})
    page(root, c + "Docs Section/html-page.html", "title: An HTML page", "<p>Hello</p>\n")
    page(root, c + "Docs Section/leaf slug/index.md", {"title": "x", "slug": "bundle-slug"})
    page(root, c + "sect-url/_index.md", {"title": "Section with url", "url": "/elsewhere/"})
    page(root, c + "sect-url/child.md", {"title": "child"})
    page(root, c + "sect-slug/_index.md", {"title": "Section slug is ignored", "slug": "nope"})
    # Not content: Hugo never reads these folders as pages.
    page(root, "layouts/partials/note.md", {"title": "layout"})
    page(root, "archetypes/default.md", {"title": "archetype"})
    page(root, "static/readme.md", {"title": "static"})
    page(root, "data/x.md", {"title": "data"})
    page(root, "themes/t/content/theme-page.md", {"title": "theme"})


def taxonomies_yaml(root: Path) -> None:
    """config.yaml: custom taxonomies, term pages, taxonomy permalinks, uglyURLs."""
    config(root, "config.yaml", """
        baseURL: https://example.org/
        uglyURLs: true
        taxonomies:
          author: authors
          topic: topics
          series: series
        permalinks:
          authors: /people/:slug/
          posts: /:year/:title/
    """)
    c = "content/"
    page(root, c + "posts/a.md", {"title": "A", "date": "2021-01-01", "authors": ["Jane Doe", "jane doe", "JANE-DOE"],
                                  "topics": ["Big Thing", "C++", "Node.js", "ÄÖ x", 2021, True, ["nested"], " padded "]})
    page(root, c + "posts/b.md", {"title": "B", "date": "2021-02-01", "authors": "Ann Lee, Bob Roe", "topics": {"a": 1}})
    page(root, c + "posts/c.md", {"title": "C", "date": "2021-03-01", "Topics": ["Upper Key"], "topic": ["singular ignored"],
                                  "tags": ["not a taxonomy here"], "series": "One"})
    page(root, c + "posts/_index.md", {"title": "Posts"})
    page(root, c + "pages/plain.md", {"title": "Plain page"})
    page(root, c + "pages/bundle/index.md", {"title": "Ugly bundle"})
    page(root, c + "authors/_index.md", {"title": "All authors"})
    page(root, c + "authors/jane-doe/_index.md", {"title": "Jane D.", "display_name": "JD"})
    page(root, c + "topics/c++/_index.md", {"title": "C Plus Plus"})
    page(root, c + "topics/untitled/_index.md", {"description": "a term page without title"})
    page(root, c + "pages/url-dir.md", {"title": "url with slash", "url": "/u/dir/"})
    page(root, c + "pages/url-bare.md", {"title": "url without slash", "url": "/u/bare"})
    page(root, c + "pages/url-file.md", {"title": "url with suffix", "url": "/u/file.htm"})


def publication_json(root: Path) -> None:
    """hugo.json: drafts, future and expired dates, _build, headless, draft sections."""
    config(root, "hugo.json", json.dumps({"baseURL": "https://example.org/", "title": "Publication"}))
    c = "content/"
    page(root, c + "p/published.md", {"title": "published"})
    page(root, c + "p/draft.md", {"title": "draft", "draft": True})
    page(root, c + "p/draft-string.md", {"title": "draft string", "draft": "true"})
    page(root, c + "p/draft-false.md", {"title": "draft false", "draft": False})
    page(root, c + "p/published-false.md", {"title": "published false", "published": False})
    page(root, c + "p/future-date.md", {"title": "future date", "date": "2030-01-01"})
    page(root, c + "p/future-publishdate.md", {"title": "future publishDate", "date": "2020-01-01", "publishDate": "2030-01-01"})
    page(root, c + "p/future-pubdate.md", {"title": "future pubdate", "pubdate": "2030-01-01"})
    page(root, c + "p/future-published.md", {"title": "future published", "published": "2030-01-01"})
    page(root, c + "p/past-publishdate.md", {"title": "past publishDate", "publishDate": "2024-05-01"})
    page(root, c + "p/future-lastmod.md", {"title": "future lastmod only", "lastmod": "2030-01-01"})
    page(root, c + "p/expired.md", {"title": "expired", "expiryDate": "2024-05-31"})
    page(root, c + "p/expired-unpublishdate.md", {"title": "unpublishdate", "unpublishdate": "2020-01-01"})
    page(root, c + "p/expires-later.md", {"title": "expires later", "expirydate": "2024-06-02"})
    page(root, c + "p/expiry-hour.md", {"title": "expired an hour ago", "expiryDate": "2024-06-01T11:00:00Z"})
    page(root, c + "p/render-never.md", {"title": "never", "_build": {"render": "never"}})
    page(root, c + "p/render-false.md", {"title": "false", "_build": {"render": False}})
    page(root, c + "p/render-link.md", {"title": "link", "_build": {"render": "link"}})
    page(root, c + "p/render-upper-key.md", {"title": "upper", "_BUILD": {"Render": "never"}})
    page(root, c + "p/list-never.md", {"title": "list never", "_build": {"list": "never"}})
    page(root, c + "p/list-local.md", {"title": "list local", "_build": {"list": "local"}})
    page(root, c + "p/list-false.md", {"title": "list false", "_build": {"list": False}})
    page(root, c + "p/build-no-underscore.md", {"title": "build is not _build", "build": {"render": "never"}})
    page(root, c + "p/render-nonsense.md", {"title": "unknown word is always", "_build": {"render": "sometimes"}})
    page(root, c + "p/headless/index.md", {"title": "headless", "headless": True})
    page(root, c + "p/headless/res.md", {"title": "res"})
    page(root, c + "p/headless-regular.md", {"title": "headless means nothing here", "headless": True})
    page(root, c + "drafts/_index.md", {"title": "Draft section", "draft": True})
    page(root, c + "drafts/child.md", {"title": "child of a draft section", "draft": False})
    page(root, c + "drafts/sub/_index.md", {"title": "sub"})
    page(root, c + "drafts/sub/grandchild.md", {"title": "grandchild"})
    page(root, c + "expired-section/_index.md", {"title": "Expired section", "expiryDate": "2020-01-01"})
    page(root, c + "expired-section/child.md", {"title": "child"})
    page(root, c + "never-section/_index.md", {"title": "section never rendered", "_build": {"render": "never", "list": "never"}})
    page(root, c + "never-section/child.md", {"title": "child still rendered"})


def cascade_toml(root: Path) -> None:
    """config.toml: cascade as a map and as a list with _target, nearest section wins, site cascade."""
    config(root, "config.toml", """
        baseURL = "https://example.org/"
        [[cascade]]
        [cascade._target]
        path = "/site-wide/**"
        [cascade._build]
        render = "never"
    """)
    c = "content/"
    page(root, c + "site-wide/hidden.md", {"title": "hidden by the site config's cascade"})
    page(root, c + "map/_index.md", "title: Map\ncascade:\n  _target:\n    path: /map/x/**\n  tags: [from-map]\n  title: cascaded title")
    page(root, c + "map/own.md", {"title": "own title", "tags": ["own"]})
    page(root, c + "map/untitled.md", {"summary": "no title: the cascade gives one"})
    page(root, c + "map/x/p.md", {"title": "map x p"})
    page(root, c + "map/sub/_index.md", "title: Map sub\ncascade:\n  tags: [from-sub]")
    page(root, c + "map/sub/untitled.md", {"summary": "nearer cascade wins per key: tags from sub, title from map"})
    page(root, c + "list/_index.md", textwrap.dedent("""
        title: List
        cascade:
          - _target:
              path: /list/hidden/**
            _build:
              render: never
          - _target:
              kind: page
            tags: [pages-only]
          - _target:
              path: '**/draft-by-glob.md'
            draft: true
          - _target:
              path: /list/*
            categories: [one-level]
          - _target:
              environment: development
            draft: true
    """))
    page(root, c + "list/p.md", {"title": "list p"})
    page(root, c + "list/draft-by-glob.md", {"title": "draft by glob"})
    page(root, c + "list/hidden/_index.md", {"title": "hidden section"})
    page(root, c + "list/hidden/q.md", {"title": "hidden q"})
    page(root, c + "list/deeper/_index.md", {"title": "deeper"})
    page(root, c + "list/deeper/r.md", {"title": "deeper r"})
    page(root, c + "list/leaf/index.md", {"title": "leaf"})
    page(root, c + "drafted/_index.md", "title: Drafted by cascade\ncascade:\n  draft: true")
    page(root, c + "drafted/p.md", {"title": "drafted p", "draft": False})


def dates_toml(root: Path) -> None:
    """config.toml: the frontmatter date handlers, timeZone, buildFuture."""
    config(root, "config.toml", """
        baseURL = "https://example.org/"
        timeZone = "America/New_York"
        buildFuture = true
        [frontmatter]
        date = [":filename", ":default"]
        lastmod = ["lastmod", ":fileModTime"]
        publishDate = ["publishDate", "date"]
        [permalinks]
        d = "/:year/:month/:day/:slug/"
    """)
    c = "content/"
    page(root, c + "d/2019-02-03-hello-there.md", {"title": "From the filename"})
    page(root, c + "d/2019-02-03-slugged.md", {"title": "Slug wins", "slug": "own-slug"})
    page(root, c + "d/2019-02-03.md", {"title": "Only a date"})
    page(root, c + "d/2019-02-03-dated.md", {"title": "Filename beats date", "date": "2018-01-01"})
    page(root, c + "d/b2019-02-03.md", {"title": "Not a date prefix", "date": "2017-05-06"})
    page(root, c + "d/late-evening.md", {"title": "Local time", "date": "2021-03-04T23:30:00"})
    page(root, c + "d/utc.md", {"title": "UTC", "date": "2021-03-04T23:30:00Z"})
    page(root, c + "d/pubdate-only.md", {"title": "pubdate is no date here", "pubdate": "2016-01-02"})
    page(root, c + "d/future.md", {"title": "Future but buildFuture", "date": "2031-01-01"})
    page(root, c + "d/2020-05-06-bundle/index.md", {"title": "Bundle dated by its folder"})
    page(root, c + "d/modified.md", {"title": "lastmod reads its alias modified", "date": "2015-01-01", "modified": "2015-02-02"})
    page(root, c + "d/mtime.md", {"title": "lastmod from the file", "date": "2015-01-01"})
    os.utime(root / c / "d/mtime.md", (1_600_000_000, 1_600_000_000))


def config_dir(root: Path) -> None:
    """config/_default + config/production, two languages with their own contentDir in a subdir."""
    config(root, "config/_default/hugo.toml", """
        baseURL = "https://example.org/"
        defaultContentLanguage = "es"
        defaultContentLanguageInSubdir = true
        title = "from _default"
    """)
    config(root, "config/_default/languages.toml", """
        [en]
        weight = 2
        contentDir = "content/en"
        [es]
        weight = 1
        contentDir = "content/es"
    """)
    config(root, "config/_default/permalinks.yaml", "posts: /:section/:year/:filename/\n")
    config(root, "config/_default/taxonomies.json", '{"author": "authors"}\n')
    config(root, "config/_default/params.toml", "x = 1\n")
    config(root, "config/production/hugo.toml", "uglyURLs = true\n")
    config(root, "config/development/hugo.toml", "uglyURLs = false\nbaseURL = 'http://localhost/'\n")
    c = "content/"
    page(root, c + "en/posts/hello.md", {"title": "Hello", "date": "2021-01-01", "authors": ["Jane"]})
    page(root, c + "en/about.md", {"title": "About"})
    page(root, c + "es/posts/hola.md", {"title": "Hola", "date": "2021-01-01", "authors": ["Jane"]})
    page(root, c + "es/posts/_index.md", {"title": "Entradas"})
    page(root, c + "es/_index.md", {"title": "Inicio"})


def languages_toml(root: Path) -> None:
    """hugo.toml: languages by filename suffix and by contentDir, a disabled language."""
    config(root, "hugo.toml", """
        baseURL = "https://example.org/"
        defaultContentLanguage = "en"
        [languages.en]
        weight = 1
        title = "English"
        [languages.es]
        weight = 2
        [languages.fr]
        weight = 3
        contentDir = "content_fr"
        [languages.de]
        weight = 4
        disabled = true
        [permalinks]
        posts = "/:year/:slug/"
    """)
    c = "content/"
    page(root, c + "posts/hello.md", {"title": "Hello", "date": "2021-01-01", "tags": ["a"]})
    page(root, c + "posts/hello.es.md", {"title": "Hola", "date": "2021-01-02", "tags": ["a"]})
    page(root, c + "posts/hello.de.md", {"title": "Hallo", "date": "2021-01-03"})
    page(root, c + "posts/only.en.md", {"title": "Only EN"})
    page(root, c + "posts/bundle/index.es.md", {"title": "Bundle ES"})
    page(root, c + "posts/bundle/index.md", {"title": "Bundle EN"})
    page(root, c + "posts/_index.es.md", {"title": "Posts ES"})
    page(root, c + "_index.es.md", {"title": "Home ES"})
    page(root, c + "about.fr.md", {"title": "French page in the default content dir"})
    page(root, c + "docs/unknown-suffix.it.md", {"title": "it is no language here"})
    page(root, c + "docs/url-abs.es.md", {"title": "absolute url es", "url": "/absolute-es/"})
    page(root, c + "docs/url-rel.es.md", {"title": "relative url es", "url": "relative-es/"})
    page(root, "content_fr/posts/bonjour.md", {"title": "Bonjour", "tags": ["a"]})
    page(root, "content_fr/docs/spanish-in-fr-dir.es.md", {"title": "Spanish file in the French dir"})


def kinds_yaml(root: Path) -> None:
    """hugo.yaml: disableKinds, disablePathToLower, removePathAccents, ignoreFiles, contentDir."""
    config(root, "hugo.yaml", """
        baseURL: https://example.org/
        contentDir: src
        disableKinds: [home, term, taxonomy]
        ignoreErrors: [error-disable-taxonomy]
        buildDrafts: true
        disablePathToLower: true
        removePathAccents: true
        ignoreFiles: ['\\.ignored\\.md$', '/scratch/']
    """)
    c = "src/"
    page(root, c + "_index.md", {"title": "Home is disabled"})
    page(root, c + "Caps/Ünï Çødé.md", {"title": "Accents removed, case kept", "tags": ["x"]})
    page(root, c + "Caps/_index.md", {"title": "Caps section"})
    page(root, c + "Caps/MixedCase.md", {"title": "x", "slug": "Mixed Slug"})
    page(root, c + "Caps/skip.ignored.md", {"title": "ignored file"})
    page(root, c + "Caps/draft.md", {"title": "a draft, but buildDrafts", "draft": True})
    page(root, c + "scratch/notes.md", {"title": "ignored folder"})
    page(root, c + "tags/_index.md", {"title": "taxonomy list page"})
    page(root, "content/not-the-content-dir.md", {"title": "contentDir is src"})


def opt_out_yaml(root: Path) -> None:
    """config.yml: pages Hugo publishes but whose front matter keeps them out of search."""
    config(root, "config.yml", "baseURL: https://example.org/\n")
    c = "content/"
    page(root, c + "o/kept.md", {"title": "kept"})
    page(root, c + "o/search-false.md", {"title": "x", "search": False})
    page(root, c + "o/noindex.md", {"title": "x", "noindex": True})
    page(root, c + "o/search-exclude.md", {"title": "x", "searchExclude": True})
    page(root, c + "o/sitemap-false.md", {"title": "x", "sitemap": False})
    page(root, c + "o/sitemap-disable.md", {"title": "x", "sitemap": {"disable": True}})
    page(root, c + "o/sitemap-priority.md", {"title": "kept too", "sitemap": {"priority": 0.5}})
    page(root, c + "o/noindex-false.md", {"title": "kept three", "noindex": False})


def language_urls_yaml(root: Path) -> None:
    """hugo.yaml: a baseURL per language (no language prefix then), disableKinds page, buildExpired."""
    config(root, "hugo.yaml", """
        baseURL: https://example.org/
        buildExpired: true
        disableKinds: [page]
        languages:
          en: {weight: 1, baseURL: "https://example.org/en-base/"}
          fr: {weight: 2, baseURL: "https://example.fr/"}
    """)
    c = "content/"
    page(root, c + "_index.md", {"title": "Home EN"})
    page(root, c + "_index.fr.md", {"title": "Accueil", "expiryDate": "2020-01-01"})
    page(root, c + "docs/_index.md", {"title": "Docs"})
    page(root, c + "docs/_index.fr.md", {"title": "Documents"})
    page(root, c + "docs/sub/_index.fr.md", {"title": "Sous-section"})
    page(root, c + "docs/page.md", {"title": "pages are disabled"})


def git_dates(root: Path) -> None:
    """hugo.toml with enableGitInfo: lastmod and date from git's author dates."""
    config(root, "hugo.toml", """
        baseURL = "https://example.org/"
        enableGitInfo = true
        [frontmatter]
        date = [":git", "date"]
        [permalinks]
        g = "/:year/:month/:filename/"
    """)
    page(root, "content/g/committed.md", {"title": "committed"})
    page(root, "content/g/with-date.md", {"title": "front matter date loses to git", "date": "2001-01-01"})
    env = dict(os.environ, GIT_AUTHOR_DATE="2019-04-05T06:07:08+00:00", GIT_COMMITTER_DATE="2019-04-05T06:07:08+00:00",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "fixture"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)
    page(root, "content/g/uncommitted.md", {"title": "not in git", "date": "2002-02-02"})


CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "digitalgov-2017"


def digitalgov_corpus(root: Path) -> None:
    """The real 2017 digital.gov posts (copied into a temporary site) under a Hugo config of its kind."""
    import pytest

    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS} (it lives in ../shared beside the repository)")
    shutil.copytree(CORPUS, root / "content" / "posts", ignore=shutil.ignore_patterns("README.md"))
    config(root, "hugo.toml", """
        baseURL = "https://digital.gov/"
        [frontmatter]
        date = [":filename", ":default"]
        [permalinks]
        posts = "/:year/:month/:day/:slug/"
        [taxonomies]
        author = "authors"
        category = "categories"
        tag = "tags"
    """)


SITES: dict[str, Callable[[Path], None]] = {
    "urls_toml": urls_toml,
    "taxonomies_yaml": taxonomies_yaml,
    "publication_json": publication_json,
    "cascade_toml": cascade_toml,
    "dates_toml": dates_toml,
    "config_dir": config_dir,
    "languages_toml": languages_toml,
    "kinds_yaml": kinds_yaml,
    "opt_out_yaml": opt_out_yaml,
    "language_urls_yaml": language_urls_yaml,
    "git_dates": git_dates,
    "digitalgov_corpus": digitalgov_corpus,
}
