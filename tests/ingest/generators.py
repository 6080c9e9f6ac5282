"""The real generators as oracles: build a throw-away site from given bodies, read what they publish.

Used by tests/ingest/test_text.py and bench/bench_text.py.  Sites are
written to a temporary folder (never the repository); each body becomes one
post with a minimal front matter and a layout that prints only the content.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from searchsvc.ingest.html_text import html_text

HUGO_CONFIG = """baseURL = "http://example.org/"
title = "oracle"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.renderer]
unsafe = true
"""


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def hugo_pages(bodies: dict[str, str], folder: Path) -> dict[str, str]:
    """name -> the HTML Hugo 0.111 renders for that body (raw HTML allowed, as content sites set it)."""
    site = folder / "hugo"
    (site / "content" / "posts").mkdir(parents=True)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    (site / "layouts" / "_default" / "single.html").write_text("{{ .Content }}")
    (site / "layouts" / "_default" / "list.html").write_text("")
    for name, body in bodies.items():
        (site / "content" / "posts" / f"{name}.md").write_text(f'---\ntitle: "{name}"\n---\n{body}')
    subprocess.run(["hugo", "--quiet", "--source", str(site)], check=True, capture_output=True, timeout=300)
    return {name: _read(site / "public" / "posts" / name / "index.html") for name in bodies}


def jekyll_pages(bodies: dict[str, str], folder: Path) -> dict[str, str]:
    """name -> the HTML Jekyll 4.3 (kramdown, GFM input: its defaults) renders for that body."""
    site = folder / "jekyll"
    (site / "_posts").mkdir(parents=True)
    (site / "_layouts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: oracle\nmarkdown: kramdown\n")
    (site / "_layouts" / "default.html").write_text("{{ content }}")
    for name, body in bodies.items():
        front = f'---\nlayout: default\ntitle: "{name}"\nrender_with_liquid: false\n---\n'
        (site / "_posts" / f"2020-01-01-{name}.md").write_text(front + body)
    subprocess.run(
        ["jekyll", "build", "--quiet", "--source", str(site), "--destination", str(site / "_site")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {name: _read(site / "_site" / "2020" / "01" / "01" / f"{name}.html") for name in bodies}


def _read(page: Path) -> str:
    """The published page; "" when the generator wrote none (Hugo skips an empty body)."""
    return page.read_text() if page.exists() else ""


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.found.append((int(tag[1]), dict(attrs).get("id") or ""))


def heading_ids(html: str) -> list[tuple[int, str]]:
    """(level, id) of every h1-h6 in ``html``, in order ("" when it has no id)."""
    parser = _Headings()
    parser.feed(html)
    parser.close()
    return parser.found


# Footnote reference numbers and back links: markers the text leaves out on purpose.
_FOOTNOTE_MARKERS = re.compile(
    r'<sup[^>]*(?:fnref|footnote-ref)[^>]*>.*?</sup>|<a[^>]*(?:footnote-backref|reversefootnote)[^>]*>.*?</a>', re.DOTALL
)
_TYPOGRAPHY = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "«": "<<", "»": ">>"})


def published_text(html: str) -> str:
    """The text a visitor reads on a published page (footnote markers left out)."""
    return html_text(_FOOTNOTE_MARKERS.sub("", html)).body


def words(text: str) -> list[str]:
    """The word sequence, blind to the generators' typography (smart quotes, dashes)."""
    text = unicodedata.normalize("NFC", text).translate(_TYPOGRAPHY).replace("'", "")
    return re.findall(r"\w+", text.casefold())
