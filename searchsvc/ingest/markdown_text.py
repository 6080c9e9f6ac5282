"""Markdown -> plain text and headings, through markdown-it-py's token stream.

markdown-it-py (CommonMark) with GFM tables and strikethrough and
mdit-py-plugins' footnotes and definition lists is the parser closest to
Goldmark; kramdown's own syntax is removed before (kramdown_syntax).  The
tokens are walked, not rendered: text goes straight into a TextSink, raw
HTML (blocks and inline tags) goes through one HtmlTextParser that shares the
sink, so a raw ``<div>`` or ``<script>`` acts on the Markdown around it as
on the rendered page.
"""

from __future__ import annotations

import re
import threading

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .anchors import id_factory, trailing_attributes
from .html_text import DROP_TAGS, HtmlTextParser, TextSink, feed

# Container nesting markdown-it follows (block quotes in lists in...); deeper
# markers are read as text.  Real posts nest at most 6 deep.
MAX_NESTING = 32


class _TextMarkdownIt(MarkdownIt):
    """URLs never reach the text, so they are neither normalised nor validated."""

    def normalizeLink(self, url: str) -> str:
        return url

    def normalizeLinkText(self, link: str) -> str:
        return link

    def validateLink(self, url: str) -> bool:
        return True


_local = threading.local()


# markdown-it-py tries every block rule on every line (and again on each
# line of a paragraph, to see whether it ends there); many of a post's tries
# are for syntax whose characters it does not contain.  Such a rule is
# disabled for that post: same tokens (each check below is implied by any
# match of its rule, some loosely; the corpora render identically), a tenth
# less time.
# Inline rules are left on: gating them saves little and multiplies the
# rule sets.
_DEFINITION_STARTS = tuple(f"\n{' ' * n}{m}" for n in range(4) for m in ":~")
_MAY_MATCH = (
    (("table",), lambda s: "|" in s),
    (("strikethrough",), lambda s: "~" in s),
    (("footnote_def", "footnote_ref", "footnote_inline", "footnote_tail"), lambda s: "[^" in s or "^[" in s),
    (("deflist",), lambda s: s[:1] in (":", "~") or any(m in s for m in _DEFINITION_STARTS)),
    (("fence",), lambda s: "```" in s or "~~~" in s),
    (("blockquote",), lambda s: ">" in s),
    (("hr",), re.compile(r"[-*_][ \t]*[-*_][ \t]*[-*_]").search),
    (("lheading",), re.compile(r"[=-][ \t]*$", re.MULTILINE).search),
    (("list",), re.compile(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)", re.MULTILINE).search),
    (("code",), lambda s: "    " in s or "\t" in s),
    (("heading",), lambda s: "#" in s),
    (("reference",), lambda s: "]:" in s),
)
MAX_PARSERS = 256  # distinct rule sets kept per thread (the two corpora use 113)


def _unused_rules(source: str) -> tuple[str, ...]:
    unused: list[str] = []
    for names, may_match in _MAY_MATCH:
        if not may_match(source):
            unused.extend(names)
    return tuple(unused)


def _parser(unused: tuple[str, ...] = ()) -> MarkdownIt:
    cache = getattr(_local, "parsers", None)
    if cache is None or len(cache) >= MAX_PARSERS:
        cache = _local.parsers = {}
    md = cache.get(unused)
    if md is None:
        md = _TextMarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING})
        md.enable(["table", "strikethrough"])
        md.use(footnote_plugin).use(deflist_plugin)
        if unused:
            md.disable(list(unused))
        cache[unused] = md
    return md


def markdown_text(source: str, dialect: str, sink: TextSink) -> None:
    """Walk the tokens of ``source`` into ``sink``."""
    tokens = _parser(_unused_rules(source)).parse(source)
    walker = _Walker(sink, dialect)
    walker.blocks(tokens)
    walker.html.close_all()


class _Walker:
    def __init__(self, sink: TextSink, dialect: str) -> None:
        self.sink = sink
        self.dialect = dialect
        self.html = HtmlTextParser(sink)
        self.ids = id_factory(dialect)
        self.raw_open: dict[str, int] = {}  # inline <script>/<style>... still open

    def blocks(self, tokens: list[Token]) -> None:
        sink = self.sink
        index = 0
        count = len(tokens)
        while index < count:
            token = tokens[index]
            kind = token.type
            if kind == "inline":
                self.inline(token.children or ())
            elif kind == "heading_open" and index + 1 < count and tokens[index + 1].type == "inline":
                inline = tokens[index + 1]
                if inline.content or self.dialect != "kramdown":
                    self.heading(int(token.tag[1]), inline, token.markup in ("=", "-"))
                else:  # kramdown reads a lone "#" as a paragraph, not an empty heading
                    sink.block()
                index += 2  # the inline and the heading_close
            elif kind == "fence" or kind == "code_block":
                sink.block()
                sink.text(token.content.replace("\n", " "))
                sink.block()
            elif kind == "html_block":
                feed(self.html, token.content)
            elif token.nesting or kind == "hr":
                sink.block()
            index += 1

    def heading(self, level: int, inline: Token, setext: bool) -> None:
        children = list(inline.children or ())
        source_line = inline.content.rsplit("\n", 1)[-1] if setext else inline.content
        anchor = None
        found = trailing_attributes(source_line, self.dialect) if source_line.endswith("}") else None
        if found is not None:
            written, anchor = found
            source_line = source_line[: len(source_line) - len(written)]
            children = _without_suffix(children, written)
        if anchor is not None:
            anchor = self.ids.explicit(anchor)
        else:
            anchor = self.ids.auto(source_line, _plain(children))
        self.sink.start_heading(level, anchor)
        self.inline(children)
        self.sink.end_heading()

    def inline(self, children) -> None:
        sink = self.sink
        for token in children:
            kind = token.type
            if kind == "text" or kind == "code_inline":
                sink.text(token.content)
            elif kind == "softbreak":
                sink.text(" ")
            elif kind == "hardbreak":
                sink.block()
            elif kind == "html_inline":
                self.inline_html(token.content)
            elif kind == "image":  # its alt text, where the image stands
                self.inline(token.children or ())

    def inline_html(self, content: str) -> None:
        """One inline tag.  A <script>/<style>/... opened here hides the Markdown
        text up to its end tag, as a browser hides it: the tag and its end come
        as separate tokens, with the text between them parsed as Markdown."""
        match = _TAG_NAME.match(content)
        name = match.group(2).lower() if match else ""
        if name in DROP_TAGS:
            if match.group(1):
                if self.raw_open.get(name):
                    self.raw_open[name] -= 1
                    self.sink.hidden -= 1
            elif not content.rstrip().endswith("/>"):
                self.raw_open[name] = self.raw_open.get(name, 0) + 1
                self.sink.hidden += 1
            return
        feed(self.html, content)


_TAG_NAME = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")


def _without_suffix(children: list[Token], written: str) -> list[Token]:
    """The heading's inline tokens without the attribute block that ends its last text."""
    if children and children[-1].type == "text":
        last = children[-1]
        stripped = written.strip()
        content = last.content.rstrip()
        if content.endswith(stripped):
            copy = last.copy(content=content[: len(content) - len(stripped)].rstrip())
            return children[:-1] + [copy]
    return children


def _plain(children) -> str:
    """A heading's text as kramdown sees it for its id: no image alt text, no tags."""
    parts: list[str] = []
    for token in children:
        kind = token.type
        if kind == "text" or kind == "code_inline":
            parts.append(token.content)
        elif kind == "softbreak":
            parts.append(" ")
    return "".join(parts)
