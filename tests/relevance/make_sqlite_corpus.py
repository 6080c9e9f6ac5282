"""Build the SQLite documentation corpus the judged set sqlite-docs.json is written for (never committed).

    apt-get install sqlite3-doc      # Debian's package of the SQLite docs (3.40.1; public domain)
    python tests/relevance/make_sqlite_corpus.py [--out /tmp/sqlite-corpus]
    python tests/relevance/make_sqlite_corpus.py --sweep 'regex' ...   # the judging sweeps

Each top-level page of /usr/share/doc/sqlite3 becomes a Markdown post: its
<title> as the title, its text (navigation removed, one paragraph per block)
as the body.  Pages under 150 words, indexes and cross-reference lists are
left out (180 posts).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

SOURCE = Path("/usr/share/doc/sqlite3")
SKIP = {
    "capi3ref.html", "changes.html", "chronology.html", "sitemap.html", "docs.html", "index.html", "news.html",
    "keyword_index.html", "toc.html", "fileio.html", "copyright-release.html", "consortium_agreement-20071201.html",
    "doclist.html", "lang.html", "pragma.html", "doc_backlink_crossref.html", "doc_keyword_crossref.html",
    "doc_pagelink_crossref.html", "doc_target_crossref.html", "requirements.html", "oldnews.html",
    "fileformat.html", "mingw.html",
}
BLOCKS = ["p", "h1", "h2", "h3", "h4", "h5", "li", "pre", "tr", "dt", "dd", "blockquote", "table", "br"]
MIN_WORDS = 150


def build(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for page in sorted(SOURCE.glob("*.html")):
        if page.name in SKIP:
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8", errors="replace"), "html.parser")
        title = soup.title.get_text(" ", strip=True) if soup.title else ""
        for tag in soup(["script", "style", "head"]):
            tag.decompose()
        for nav in soup.select("div.nosearch, div.menu, div.mobile-menu, div.tabs, div.search, div#mtoc"):
            nav.decompose()
        for tag in soup.find_all(BLOCKS):
            tag.append("\n\n")
        text = soup.get_text("")
        body = "\n\n".join(" ".join(part.split()) for part in re.split(r"\n\s*\n", text) if part.strip())
        if not title or len(body.split()) < MIN_WORDS:
            continue
        front = f"---\ntitle: {json.dumps(title)}\ndate: \"2022-12-28\"\n---\n"
        # Liquid-looking text in code samples is not a template here.
        (out / f"{page.stem}.md").write_text(front + body.replace("{%", "{ %").replace("{{", "{ {") + "\n", encoding="utf-8")
        count += 1
    return count


def sweep(folder: Path, pattern: str, top: int = 25) -> None:
    """Pages matching ``pattern``: matches in the title and the body, body length; the judging aid."""
    rx = re.compile(pattern, re.I)
    rows = []
    for path in sorted(folder.glob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        title = json.loads(front.split("title: ", 1)[1].split("\n", 1)[0])
        in_title, in_body = len(rx.findall(title)), len(rx.findall(body))
        if in_title or in_body:
            rows.append((in_title, in_body, len(body.split()), path.name, title))
    rows.sort(key=lambda r: (-r[0], -r[1] / max(r[2], 1)))
    print(f"{pattern}: {len(rows)} pages")
    for in_title, in_body, words, name, title in rows[:top]:
        print(f"  title {in_title} body {in_body:4d} words {words:6d}  {name:28} {title}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/sqlite-corpus"))
    parser.add_argument("--sweep", nargs="+", metavar="REGEX")
    args = parser.parse_args()
    if args.sweep:
        for pattern in args.sweep:
            sweep(args.out, pattern)
        return
    if not SOURCE.is_dir():
        raise SystemExit(f"{SOURCE} not found: apt-get install sqlite3-doc")
    print(f"{build(args.out)} posts in {args.out}")


if __name__ == "__main__":
    main()
