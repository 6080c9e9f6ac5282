"""Heading ids as the generators write them into their HTML.

Checked against the real tools (tests/ingest/test_text.py builds fixture
sites with hugo and jekyll):

* Hugo 0.111 (Goldmark, ``autoHeadingIDType: github``): the id comes from
  the heading's *source* line (the last line of a setext heading), with any
  valid trailing ``{...}`` attribute block removed: letters, digits and "_"
  lower-cased, each " " or "-" becomes "-", everything else (tabs, "*",
  "&", URLs' punctuation) is dropped; nothing left gives "heading".  A taken
  id gets the first free "-1", "-2"...; explicit ids count as taken (and an
  explicit id is used even when taken).
* Jekyll 4.3 (kramdown with its default GFM parser): the id comes from the
  heading's *rendered* text (link text without the URL, entities decoded,
  image alt text left out, "--"/"---" made dashes): lower-cased, characters
  other than word characters, "-", " " and tabs removed, spaces and tabs
  become "-".  The n-th use of the same id gets "-(n-1)", counted per id
  alone (so "a-1" may repeat); explicit ids are not counted; an empty id
  gives no id.
* Plain CommonMark folders have no generator: GitHub's rule (the kramdown
  one on the rendered text, without typography) is what their readers see.
"""

from __future__ import annotations

import re

_GOLDMARK_DROP = re.compile(r"[^\w \-]")
_KRAMDOWN_DROP = re.compile(r"[^\w\- \t\u0300-\u036f]")


def goldmark_base(source_line: str) -> str:
    line = _GOLDMARK_DROP.sub("", source_line.strip().lower())
    return line.replace(" ", "-")


def kramdown_base(rendered: str) -> str:
    text = rendered.replace("---", "\u2014").replace("--", "\u2013").lower()
    return _KRAMDOWN_DROP.sub("", text).replace(" ", "-").replace("\t", "-")


class GoldmarkIds:
    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_number: dict[str, int] = {}  # where the search for a free "-n" resumes

    def explicit(self, anchor: str) -> str:
        self.taken.add(anchor)
        return anchor

    def auto(self, source_line: str, rendered: str) -> str:
        base = goldmark_base(source_line) or "heading"
        anchor = base
        number = self.next_number.get(base, 0)
        while anchor in self.taken:
            number += 1
            anchor = f"{base}-{number}"
        self.next_number[base] = number
        self.taken.add(anchor)
        return anchor


class CountedIds:
    """kramdown-GFM (and GitHub): the n-th use of a base id gets "-(n-1)"."""

    def __init__(self, typography: bool) -> None:
        self.counts: dict[str, int] = {}
        self.typography = typography

    def explicit(self, anchor: str) -> str:
        return anchor

    def auto(self, source_line: str, rendered: str) -> str:
        if self.typography:
            base = kramdown_base(rendered)
        else:
            base = _KRAMDOWN_DROP.sub("", rendered.strip().lower()).replace(" ", "-").replace("\t", "-")
        if not base:
            return ""
        seen = self.counts.get(base, 0)
        self.counts[base] = seen + 1
        return f"{base}-{seen}" if seen else base


def id_factory(dialect: str) -> GoldmarkIds | CountedIds:
    if dialect == "goldmark":
        return GoldmarkIds()
    return CountedIds(typography=dialect == "kramdown")


# Goldmark's attribute block: "#id", ".class" (names without ASCII
# punctuation other than _ - : .) and key=value pairs, space separated.
_NAME = r"[^\s!\"#$%&'()*+,/;<=>?@\[\\\]^`{|}~]*"
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`{}]+)"
_GOLDMARK_ATTR = re.compile(
    r"(?:[#.]" + _NAME + r"|[A-Za-z_:][\w:.\-]*\s*=\s*" + _VALUE + r")"
)
_GOLDMARK_BLOCK = re.compile(r"[ \t]*\{([^{}]*)\}[ \t]*$")
_KRAMDOWN_ID = re.compile(r"[ \t]*\{#([A-Za-z][\w:-]*)\}$")


def trailing_attributes(line: str, dialect: str) -> tuple[str, str | None] | None:
    """``(attribute text as written, explicit id or None)`` when ``line`` ends in a valid block, else None."""
    if not line.endswith("}"):
        return None
    if dialect == "kramdown":
        match = _KRAMDOWN_ID.search(line)
        return (match.group(), match.group(1)) if match else None
    match = _GOLDMARK_BLOCK.search(line)
    if not match:
        return None
    inner = match.group(1)
    pos = 0
    anchor = None
    while True:
        while pos < len(inner) and inner[pos] in " \t,":
            pos += 1
        if pos >= len(inner):
            return match.group(), anchor
        attr = _GOLDMARK_ATTR.match(inner, pos)
        if not attr or attr.end() == pos:
            return None
        if inner[pos] == "#":
            anchor = attr.group()[1:]
        pos = attr.end()
        if pos < len(inner) and inner[pos] not in " \t,":
            return None
