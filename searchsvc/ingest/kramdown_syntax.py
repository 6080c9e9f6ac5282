"""kramdown's own syntax, removed before the CommonMark parse (Jekyll posts).

Attribute lists (block IALs ``{: .lead}`` on their own line, span IALs
``*x*{: .cls}`` right after an element, ALDs ``{:ref: .cls}``), extensions
(``{::comment}...{:/comment}`` and ``{::options ... /}`` leave nothing,
``{::nomarkdown}`` keeps its content) and abbreviation definitions
(``*[HTML]: ...``) are markup a reader never sees.  An IAL that gives the
heading above it an id (``{: #intro}``) becomes that heading's explicit
``{#intro}``.  kramdown reads an indented line that starts with a tag as
HTML, where CommonMark sees an indented code block (WordPress exports indent
their HTML so): such lines lose their indentation.  A block-level HTML
line ends its block in kramdown, where CommonMark's HTML block runs on to the
next blank line (swallowing a heading right below a ``<div>...</div>``): a
blank line is put between them.  Fenced code is left
alone, as kramdown leaves it.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
# Bodies never hold "{" and scans are possessive: each match attempt stops at
# the next brace, so a soup of "{:" stays linear.
_EXTENSION_OPEN = re.compile(r"\{::(comment|nomarkdown)\b[^{}\n]{0,500}+\}")
_EXTENSION_TAG = re.compile(r"\{::\w+\b[^{}\n]{0,500}+\}|\{:/\w*\}")
_BLOCK_IAL = re.compile(r"^[ ]{0,3}\{:(?:[^{}\n\\]|\\.){0,500}+\}[ \t]*$")
_SPAN_IAL = re.compile(r"(?<=\S)\{:(?!:)(?:[^{}\n\\]|\\.){0,500}+\}")
_IAL_ID = re.compile(r"(?:^|\s)#([A-Za-z][\w:-]*)")
_ABBREVIATION = re.compile(r"^[ ]{0,3}\*\[[^\]\n]{1,200}\]:.*$")
_ATX = re.compile(r"^[ ]{0,3}#{1,6}(?:[ \t]|$)")
_SETEXT_LINE = re.compile(r"^[ ]{0,3}(?:=+|-+)[ \t]*$")
_BLOCK_HTML_LINE = re.compile(
    r"^[ ]{0,3}</?(?:address|article|aside|blockquote|br|div|dl|figure|footer|form|h[1-6]|header|hr|"
    r"ol|p|pre|section|table|ul)\b[^\n]*>[ \t]*$",
    re.IGNORECASE,
)
_INDENTED_TAG = re.compile(r"^[ \t]+(?=</?[A-Za-z][A-Za-z0-9-]*[\s/>]|<!--)", re.MULTILINE)


# An indented line that starts with a tag, or with a list marker and a tag.
_INDENTED_ITEM_TAG = re.compile(r"^[ \t]+(?=(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?(?:</?[A-Za-z][A-Za-z0-9-]*[\s/>]|<!--))", re.MULTILINE)


def dedent_tag_lines(source: str) -> str:
    """Indented lines that start with a tag (or a list item that does) lose their indentation.

    For plain folders of posts: most were exported from WordPress by tools
    that indent raw HTML, and their readers saw it rendered, not as code.
    """
    return _INDENTED_ITEM_TAG.sub("", source) if "<" in source else source


def strip_kramdown(source: str) -> str:
    if "{:" in source:
        source = _EXTENSION_TAG.sub("", _extension_blocks(source))
    if "{:" not in source and "*[" not in source and "<" not in source:
        return source
    out: list[str] = []
    fence: str | None = None
    for line in source.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if opened:
            fence = opened.group(1)
            out.append(line)
            continue
        if _BLOCK_IAL.match(line):
            _give_heading_id(out, line)
            continue
        if _ABBREVIATION.match(line):
            continue
        if "{:" in line:
            line = _SPAN_IAL.sub("", line)
        if line[:1] in " \t" and "<" in line:
            line = _INDENTED_TAG.sub("", line)
        if out and line[:4].lstrip(" ")[:1] == "#" and _ATX.match(line) and _BLOCK_HTML_LINE.match(out[-1]):
            out.append("")
        out.append(line)
    return "\n".join(out)


def _extension_blocks(source: str) -> str:
    """``{::comment}...{:/comment}`` -> nothing, ``{::nomarkdown}...{:/}`` -> its content."""
    if "{::" not in source:
        return source
    out: list[str] = []
    pos = 0
    found: dict[str, int] = {}  # closer -> its next position (-1: none left), so each is searched once per use
    for opener in _EXTENSION_OPEN.finditer(source):
        if opener.start() < pos:
            continue  # inside the block just removed
        name = opener.group(1)
        closers = [at for at in (_next(source, "{:/" + name + "}", opener.end(), found), _next(source, "{:/}", opener.end(), found)) if at >= 0]
        if not closers:
            continue  # unclosed: the tag pass removes the opener alone
        close = min(closers)
        out.append(source[pos : opener.start()])
        out.append(source[opener.end() : close] if name == "nomarkdown" else " ")
        pos = source.index("}", close) + 1
    out.append(source[pos:])
    return "".join(out)


def _next(source: str, needle: str, start: int, found: dict[str, int]) -> int:
    at = found.get(needle)
    if at is None or (0 <= at < start):
        at = source.find(needle, start)
        found[needle] = at
    return at


def _give_heading_id(out: list[str], ial: str) -> None:
    """A block IAL applies to the block above: a heading there takes its id."""
    found = _IAL_ID.search(ial.strip()[2:-1])
    if not found or not out:
        return
    if _ATX.match(out[-1]):
        out[-1] = out[-1].rstrip() + " {#" + found.group(1) + "}"
    elif len(out) >= 2 and _SETEXT_LINE.match(out[-1]) and out[-2].strip():
        out[-2] = out[-2].rstrip() + " {#" + found.group(1) + "}"
