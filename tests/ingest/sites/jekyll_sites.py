"""Small Jekyll sites written into a folder, one per group of rules.

Each writer takes an empty folder and fills it; ``SITES`` names them all
for the tests that compare JekyllSite with the real Jekyll page for page.
``NOW`` is the "now" both sides use (Jekyll's site.time), so which posts
are in the future does not depend on the day the tests run.
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from pathlib import Path
from typing import Callable

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
DRAFT_MTIME = dt.datetime(2024, 2, 3, 12, 0, tzinfo=dt.timezone.utc).timestamp()


def fm(front: str, body: str = "Some text.") -> str:
    return "---\n" + textwrap.dedent(front).strip() + "\n---\n\n" + body + "\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if rel.startswith("_config") else text, encoding="utf-8")
    return root


def basic(root: Path) -> Path:
    """Posts, pages, what Jekyll never renders; url + baseurl; _data/authors.yml."""
    return write(root, {
        "_config.yml": """\
            title: Example
            url: https://example.org
            baseurl: /blog
            """,
        "_posts/2021-03-24-hello.md": fm("title: Hello\ncategories: [News]\ntags: one two\nauthor: jane-doe"),
        "_posts/2021-03-25-date-override.md": fm("title: Moved\ndate: 2021-04-02 10:00:00 +0000"),
        "_posts/2021-03-26-no-front-matter.md": "Only text, no front matter.\n",
        "_posts/sub/2021-03-27-in-subfolder.md": fm("title: Sub"),
        "news/_posts/2021-03-28-category-folder.md": fm("title: Folder\ncategory: Extra Long\ntags: [a, b]"),
        "news/world/_posts/2021-03-29-two-folders.md": fm(
            "title: Two\ncategories: Alpha Beta\nauthors: [jane-doe, bob]"
        ),
        "_posts/notes.md": fm("title: Not a post"),
        "_posts/2021-03-30-My Post Title!.md": fm("title: Odd name"),
        "_posts/2021-4-1-short-date.md": fm("title: One-digit month"),
        "about.md": fm("title: About"),
        "index.md": fm("title: Home"),
        "docs/index.html": fm("title: Docs home", "<p>Docs</p>"),
        "docs/guide.markdown": fm("title: Guide"),
        "contact.html": fm("title: Contact", "<p>Write</p>"),
        "static.html": "<p>No front matter: copied as it is.</p>\n",
        "readme.md": "No front matter here either.\n",
        "bom.md": "\ufeff" + fm("title: Byte order mark"),
        "blank-first.md": "\n" + fm("title: Blank first line"),
        "feed.xml": fm("layout: null", "<feed/>"),
        "_layouts/default.html": fm("title: Layout", "{{ content }}"),
        "_includes/nav.html": fm("title: Include"),
        "_data/authors.yml": "jane-doe:\n  name: Jane Doe\nbob:\n  display_name: Bob B.\n",
        "_sass/notes.md": fm("title: Sass notes"),
        "_site/old.html": fm("title: Old output"),
        "node_modules/pkg/README.md": fm("title: A package"),
        "vendor/bundle/gems/x.md": fm("title: Bundled gem"),
        "vendor/notes.md": fm("title: Vendor notes"),
        "Gemfile-notes.md": fm("title: Gemfile prefix"),
        ".hidden.md": fm("title: Hidden"),
        "_underscore.md": fm("title: Underscore"),
        "#hash.md": fm("title: Hash"),
        "_drafts/a-draft.md": fm("title: Draft"),
    })


STYLES = [
    "date", "pretty", "ordinal", "weekdate", "none",
    "/:categories/:year/:month/:day/:title/",
    "/:year/:i_month/:i_day/:slug:output_ext",
    "/:short_year/:hour-:minute-:second/:name/",
    "/blog/:collection/:path:output_ext",
    "/:year/:month_:day/:title",
    "/:slugified_categories/:title/",
    "/:w_year/W:week/:w_day/:short_month-:long_month/:short_day-:long_day/:y_day/:title.html",
]


def styled(style: str) -> Callable[[Path], Path]:
    def writer(root: Path) -> Path:
        return write(root, {
            "_config.yml": f"permalink: {style!r}\ncollections:\n  docs:\n    output: true\n",
            "_posts/2021-03-24-hello-world.md": fm("title: Hello\ncategories: [Big News, Two]"),
            "_posts/2020-12-31-new-year.md": fm("title: Eve\ndate: 2020-12-31 23:05:09 +0000"),
            "_posts/2021-01-03-iso-week.html": fm("title: Week 53", "<p>html post</p>"),
            "en/_posts/2019-07-04-folder-cat.md": fm("title: Folder\ncategory: Mixed Case"),
            "about.md": fm("title: About"),
            "index.md": fm("title: Home"),
            "sub/page.md": fm("title: Sub page"),
            "sub/index.html": fm("title: Sub index"),
            "contact.html": fm("title: Contact"),
            "_docs/intro.md": fm("title: Intro"),
            "_docs/deep/part.html": fm("title: Part"),
        })

    writer.__name__ = "style " + style
    return writer


def permalinks_and_defaults(root: Path) -> Path:
    """Front-matter permalinks and defaults: by scope path, type, glob; precedence."""
    return write(root, {
        "_config.yml": """\
            url: https://example.org
            collections:
              docs:
                output: true
            defaults:
              - scope: {path: "", type: posts}
                values: {permalink: "/articles/:year/:title/", tags: [from-defaults]}
              - scope: {path: "guides"}
                values: {permalink: "/guides/:basename/"}
              - scope: {path: "guides", type: pages}
                values: {permalink: "/typed-guides/:basename:output_ext"}
              - scope: {path: "section/*"}
                values: {permalink: "/globbed/:basename/"}
              - scope: {path: "/about"}
                values: {permalink: "/never-applies/"}
              - scope: {path: "hidden"}
                values: {published: false}
              - scope: {path: "_posts/secret"}
                values: {published: false}
              - scope: {type: docs}
                values: {permalink: "/d/:path/"}
              - scope: {path: "_docs/special"}
                values: {permalink: "/special/:name:output_ext", categories: [Manual]}
            """,
        "_posts/2021-03-24-default-permalink.md": fm("title: Default"),
        "_posts/2021-03-25-own-permalink.md": fm("title: Own\npermalink: /p/:categories/:slug.html\ncategories: [X Y]"),
        "_posts/2021-03-26-null-permalink.md": fm("title: Null\npermalink:"),
        "_posts/secret/2021-03-27-hidden-post.md": fm("title: Hidden by defaults"),
        "about.md": fm("title: About"),
        "guides/start.md": fm("title: Start"),
        "guides/deep/more.md": fm("title: More"),
        "guides/own.md": fm("title: Own\npermalink: /mine/"),
        "section/a/page.md": fm("title: Globbed"),
        "hidden/page.md": fm("title: Defaults say published false"),
        "plain/page.md": fm("title: Plain\npermalink: /plain-page"),
        "plain/ext.md": fm("title: Ext\npermalink: /feed.json"),
        "_docs/one.md": fm("title: One"),
        "_docs/special/two.md": fm("title: Two"),
        "_docs/special/three.md": fm("title: Three\npermalink: /three/"),
    })


def collections_site(root: Path) -> Path:
    """Collections with and without output, their permalinks, dated documents."""
    return write(root, {
        "_config.yml": """\
            baseurl: /site
            permalink: pretty
            collections:
              docs:
                output: true
                permalink: /manual/:path/
              recipes:
                output: true
              authors:
                output: false
            """,
        "_docs/intro.md": fm("title: Intro"),
        "_docs/sub/deep.md": fm("title: Deep"),
        "_docs/sub/_inner/kept.md": fm("title: Inner underscore folder"),
        "_docs/_hidden.md": fm("title: Hidden"),
        "_docs/sub/_hidden.md": fm("title: Hidden too"),
        "_docs/no-front-matter.md": "Static file.\n",
        "_docs/future.md": fm("title: Future\ndate: 2099-01-01"),
        "_docs/name.with.dots.md": fm("title: Dots"),
        "_recipes/2021-05-01-pancakes.md": fm("title: Pancakes"),
        "_recipes/soup.html": fm("title: Soup", "<p>Soup</p>"),
        "_authors/jane.md": fm("title: Jane"),
        "_unlisted/page.md": fm("title: Not a collection"),
        "_posts/2021-02-03-a-post.md": fm("title: Post"),
    })


def collections_list(root: Path) -> Path:
    """``collections:`` as a list (no output) and a collections_dir."""
    return write(root, {
        "_config.yml": "collections_dir: my_collections\ncollections: [notes]\n",
        "my_collections/_notes/one.md": fm("title: Note"),
        "my_collections/_posts/2021-01-01-inside.md": fm("title: Inside collections_dir"),
        "my_collections/en/_posts/2021-01-02-nested.md": fm("title: Nested"),
        "_posts/2021-01-03-outside.md": fm("title: Outside collections_dir"),
        "page.md": fm("title: Page"),
    })


def publication(root: Path) -> Path:
    """Drafts shown, published: false, future, exclude/include, search flags."""
    site = write(root, {
        "_config.yml": """\
            show_drafts: true
            exclude: [private, docs, secret.md, "*.skip.md"]
            include: [_pages, .htaccess]
            """,
        "_drafts/draft-one.md": fm("title: Draft by mtime"),
        "_drafts/2021-01-02-dated-draft.md": fm("title: Dated draft"),
        "_posts/2021-01-05-unpublished.md": fm("title: Off\npublished: false"),
        "_posts/2021-01-06-published-null.md": fm("title: Null\npublished:"),
        "_posts/2099-01-01-future.md": fm("title: Later"),
        "_posts/2025-06-01-today.md": fm("title: Today\ndate: 2025-06-01 11:59:00 +0000"),
        "_posts/2025-06-01-later-today.md": fm("title: Later today\ndate: 2025-06-01 12:00:01 +0000"),
        "_posts/2021-01-07-noindex.md": fm("title: Noindex\nnoindex: true"),
        "page-off.md": fm("title: Off\npublished: false"),
        "page-string-false.md": fm("title: String\npublished: 'false'"),
        "search-false.md": fm("title: Not in search\nsearch: false"),
        "sitemap-false.html": fm("title: No sitemap\nsitemap: false"),
        "search-exclude.md": fm("title: Excluded\nsearchExclude: true"),
        "private/x.md": fm("title: Private"),
        "docs/y.md": fm("title: Docs"),
        "docs-old/z.md": fm("title: Prefix of an exclude"),
        "secret.md": fm("title: Secret"),
        "notes.skip.md": fm("title: Glob exclude"),
        "deep/notes.skip.md": fm("title: Glob exclude deeper"),
        "_pages/kept.md": fm("title: Included underscore folder"),
        "kept.md": fm("title: Kept"),
    })
    os.utime(site / "_drafts/draft-one.md", (DRAFT_MTIME, DRAFT_MTIME))
    return site


def publication_all(root: Path) -> Path:
    """future: true and unpublished: true publish what publication() leaves out."""
    return write(root, {
        "_config.yml": "future: true\nunpublished: true\n",
        "_posts/2021-01-05-unpublished.md": fm("title: Off\npublished: false"),
        "_posts/2099-01-01-future.md": fm("title: Later"),
        "page-off.md": fm("title: Off\npublished: false"),
        "_drafts/not-shown.md": fm("title: Drafts still need show_drafts"),
    })


def toml_config(root: Path) -> Path:
    return write(root, {
        "_config.toml": """\
            url = "https://toml.example"
            baseurl = "/docs/"
            permalink = "/:categories/:title/"

            [collections.guides]
            output = true
            """,
        "_posts/2021-03-24-toml.md": fm("title: TOML\ncategories: [cfg]"),
        "_guides/setup.md": fm("title: Setup"),
        "about.md": fm("title: About"),
    })


def timezone(root: Path) -> Path:
    """timezone: dates are read in the site's zone; unquoted YAML timestamps are UTC."""
    return write(root, {
        "_config.yml": "timezone: America/New_York\npermalink: /:year/:month/:day/:hour/:title/\n",
        "_posts/2021-03-25-offset.md": fm("title: Offset\ndate: 2021-03-25 02:00:00 +0000"),
        "_posts/2021-06-01-unquoted.md": fm("title: Unquoted\ndate: 2021-06-01 01:00:00"),
        "_posts/2021-06-01-quoted.md": fm("title: Quoted\ndate: '2021-06-01 01:00:00'"),
        "_posts/2021-06-02-date-only.md": fm("title: Date only\ndate: 2021-06-03"),
        "_posts/2021-06-04-name-only.md": fm("title: Name only"),
    })


def escaping(root: Path) -> Path:
    """Characters a URL must escape, case, Unicode; a site url to normalise."""
    return write(root, {
        "_config.yml": "url: HTTPS://Example.ORG:443\nbaseurl: blog/\npermalink: /:categories/:title:output_ext\n",
        "_posts/2021-01-01-über-straße.md": fm("title: Umlaut\ncategories: [Café Society, 'C# & .NET']"),
        "_posts/2021-01-02-question.md": fm("title: Q\ncategories: ['why?', 'a b']\nslug: Custom Slug Here!"),
        "_posts/2021-01-03-percent.md": fm("title: P\ncategory: 100%"),
        "Read Me.md": fm("title: Spaces"),
        "my docs/x y.md": fm("title: Folder with a space"),
        "ünïcode.html": fm("title: Unicode page"),
        "perma.md": fm("title: Literal\npermalink: /Ünï cöde/page/"),
    })


SITES: dict[str, Callable[[Path], Path]] = {
    "basic": basic,
    **{f"style {s}": styled(s) for s in STYLES},
    "permalinks_and_defaults": permalinks_and_defaults,
    "collections": collections_site,
    "collections_list": collections_list,
    "publication": publication,
    "publication_all": publication_all,
    "toml_config": toml_config,
    "timezone": timezone,
    "escaping": escaping,
}
