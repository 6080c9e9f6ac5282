"""Markdown -> plain text through Python-Markdown, its inline and block tests gated.

(To be replaced by a CommonMark parser without private hooks: issue 10.)
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any, Callable

from .clean import strip_templates
from .html_replay import html_to_text

# Markdown is imported when the first post is parsed, not here: an
# incremental `searchsvc reindex` that parses nothing must start fast.
if TYPE_CHECKING:
    import markdown

_local = threading.local()


# Limits beyond which Python-Markdown is skipped for a plain strip: deep
# nesting makes it recurse (RecursionError) or go cubic, and unclosed
# brackets make its inline patterns rescan the rest of the paragraph.
MAX_CONTAINER_MARKERS = 32
MAX_INDENT_COLUMNS = 256
MAX_INLINE_SCAN = 2_000_000
# Dense markup costs Python-Markdown ~20 µs a character (linear, but a 2 MiB
# post of "*a*a…" would take 40 s); bigger bodies get the plain strip.  The
# corpus's largest body is 68 KB.
MAX_MARKDOWN_CHARS = 256 * 1024
# The container markers (">", "-", "1.") and indentation that open a line.
_LINE_PREFIX = re.compile(r"^(?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])))*[ \t]*", re.MULTILINE)
_MARKER = re.compile(r">|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])")
# A line prefix longer than MAX_CONTAINER_MARKERS starts with that many + 1
# of its characters: lines without such a start need no closer look.
_LONG_PREFIX = re.compile(r"^[ \t>*+\-.)\d]{%d}" % (MAX_CONTAINER_MARKERS + 1), re.MULTILINE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_BRACKETS = re.compile(r"[\[\]()]")


def _markdown_instance(reference: bool = False) -> markdown.Markdown:
    attr = "md_reference" if reference else "md"
    md = getattr(_local, attr, None)
    if md is None:
        import markdown

        md = markdown.Markdown(extensions=["tables", "fenced_code"])
        if not reference:
            _gate_inline_patterns(md)
            _gate_block_tests(md)
        setattr(_local, attr, md)
    return md


def _drop_markdown_instance(reference: bool) -> None:
    setattr(_local, "md_reference" if reference else "md", None)


# Python-Markdown's inline pass tries every inline pattern on every text
# node, and most text nodes contain none of the characters a pattern needs
# (a third of its time goes to such misses).  Every match of the pattern
# named here contains (or, for "backtick", is followed by) one of these
# strings, so when the text from the search position on holds none of them
# the pattern cannot match and the call is answered as a miss without
# running it.  Patterns not named here (another Python-Markdown version's)
# always run.
_INLINE_NEEDLES = {
    "backtick": ("`",),
    "escape": ("\\",),
    "reference": ("[",),
    "link": ("[",),
    "short_reference": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "html": ("<",),
    "entity": ("&",),
    "linebreak": ("  \n",),
    "em_strong": ("*", "_"),
    "em_strong2": ("*", "_"),
    "not_strong": ("*", "_"),
}


def _gate_inline_patterns(md: markdown.Markdown) -> None:
    """Make ``md``'s inline pass skip patterns that cannot match (same HTML, less time).

    Replaces the InlineProcessor's private ``__handleInline`` (ten lines,
    unchanged since Python-Markdown 3.0) by the same loop with a gate: a
    pattern whose needles are all absent from ``data[start:]`` is treated as
    the miss it would be (next pattern, search from 0) without running it.
    The patterns are read from a plain list in the registry's order: the
    same sequence without the registry's sort on every lookup.
    """
    from markdown.treeprocessors import InlineProcessor
    from markdown.util import AtomicString

    inline = md.treeprocessors["inline"]
    if type(inline) is not InlineProcessor or not all(
        hasattr(InlineProcessor, f"_InlineProcessor__{name}") for name in ("handleInline", "applyPattern")
    ):
        return  # not the processor this was written against: leave it alone
    registry = md.inlinePatterns
    patterns = list(registry)
    by_id = {id(registry[name]): found for name, found in _INLINE_NEEDLES.items() if name in registry}
    needles = [by_id.get(id(pattern)) for pattern in patterns]
    count = len(patterns)

    def handle_inline(data: str, pattern_index: int = 0) -> str:
        if not isinstance(data, AtomicString):
            start = 0
            while pattern_index < count:
                wanted = needles[pattern_index]
                if wanted is not None:
                    for needle in wanted:
                        if data.find(needle, start) >= 0:
                            break
                    else:
                        pattern_index += 1
                        start = 0
                        continue
                data, matched, start = inline._InlineProcessor__applyPattern(
                    patterns[pattern_index], data, pattern_index, start
                )
                if not matched:
                    pattern_index += 1
        return data

    inline.inlinePatterns = patterns
    inline._InlineProcessor__handleInline = handle_inline


# Block processors whose test() is a regex (or, for tables, a row split)
# that can only succeed when the block holds one of these characters:
# "quote" (r"(^|\n)[ ]{0,3}>"), "hashheader" (a run of "#"), "setextheader"
# (an "=" or "-" underline), "hr" (three "-", "_" or "*"), "table" (a
# header row split on "|").  Keyed by name and class, so another version's
# processors are left alone.
_BLOCK_NEEDLES = {
    "quote": ("BlockQuoteProcessor", ">"),
    "hashheader": ("HashHeaderProcessor", "#"),
    "setextheader": ("SetextHeaderProcessor", "=-"),
    "hr": ("HRProcessor", "-_*"),
    "table": ("TableProcessor", "|"),
}


def _gate_block_tests(md: markdown.Markdown) -> None:
    """Answer the block tests above False, without running them, for blocks without their characters.

    Each test is run for every block until one says yes; a False it would
    have returned changes nothing (the tests keep no state that a later
    run() reads without a True test first).
    """
    registry = md.parser.blockprocessors
    for name, (class_name, chars) in _BLOCK_NEEDLES.items():
        if name not in registry or type(registry[name]).__name__ != class_name:
            continue
        processor = registry[name]
        processor.test = _gated_test(processor.test, chars)


def _gated_test(test: Callable, chars: str) -> Callable:
    def gated(parent: Any, block: str) -> bool:
        for char in chars:
            if char in block:
                return test(parent, block)
        return False

    return gated


def _markdown_is_risky(source: str) -> bool:
    for match in _LINE_PREFIX.finditer(source) if _LONG_PREFIX.search(source) else ():
        prefix = match.group()
        if len(prefix) <= MAX_CONTAINER_MARKERS:
            continue  # too short to hold too many markers or columns
        indent = len(prefix) - len(prefix.lstrip(" \t"))
        columns = indent + 3 * prefix.count("\t", 0, indent)
        if columns > MAX_INDENT_COLUMNS or len(_MARKER.findall(prefix)) > MAX_CONTAINER_MARKERS:
            return True
    if "[" not in source and "<" not in source:
        return False
    cost = 0
    for block in _BLANK_LINE.split(source):
        size = len(block)
        if "[" in block:
            # Distance from each "[" / "(" to its closer (or the block end):
            # what Python-Markdown's link patterns scan.
            squares: list[int] = []
            rounds: list[int] = []
            for match in _BRACKETS.finditer(block):
                char, pos = match.group(), match.start()
                if char == "[":
                    squares.append(pos)
                elif char == "(":
                    rounds.append(pos)
                elif char == "]":
                    if squares:
                        cost += pos - squares.pop()
                elif rounds:
                    cost += pos - rounds.pop()
            cost += sum(size - pos for pos in squares) + sum(size - pos for pos in rounds)
        last_close = block.rfind(">")
        unclosed = block.count("<", last_close + 1)
        if unclosed:  # a "<" with no ">" after it is rescanned to the end
            cost += unclosed * (size - block.index("<", last_close + 1))
        if cost > MAX_INLINE_SCAN:
            return True
    return False


MAX_BLOCK_LINES = 200
MAX_BLOCK_CHARS = 16 * 1024


def _bound_blocks(source: str) -> str:
    """Insert blank lines so no block exceeds MAX_BLOCK_LINES / MAX_BLOCK_CHARS.

    Python-Markdown rescans the rest of a block for each line it consumes
    (5,000 "---" lines take 1.5 s, 50,000 take minutes); bounded blocks keep
    the total linear.  Real blocks are far smaller (the corpus's largest:
    182 lines, 12 KB), so real posts are unchanged; an over-long line is cut
    at a space (or after a tag).
    """
    if len(source) <= MAX_BLOCK_CHARS and source.count("\n") < MAX_BLOCK_LINES:
        return source
    out: list[str] = []
    lines = chars = 0
    for line in source.split("\n"):
        if not line.strip():
            lines = chars = 0
            out.append(line)
            continue
        while len(line) > MAX_BLOCK_CHARS:
            cut = line.rfind(" ", MAX_BLOCK_CHARS // 2, MAX_BLOCK_CHARS)
            if cut < 0:  # no space: after a tag, else anywhere
                cut = line.rfind(">", MAX_BLOCK_CHARS // 2, MAX_BLOCK_CHARS - 1) + 1 or MAX_BLOCK_CHARS
            out.extend((line[:cut], ""))
            line = line[cut:].lstrip(" ")
            lines = chars = 0
        if lines >= MAX_BLOCK_LINES or chars + len(line) > MAX_BLOCK_CHARS:
            out.append("")
            lines = chars = 0
        out.append(line)
        lines += 1
        chars += len(line) + 1
    return "\n".join(out)


# WordPress exports indent raw HTML inside list items and quotes; CommonMark
# (Hugo) renders such lines as HTML, Python-Markdown as code blocks whose
# tags and URLs would reach the text.  An indented line that starts with a
# tag is therefore moved to the margin before conversion.
_INDENTED_HTML_LINE = re.compile(r"^[ \t]+(?=(?:>[ \t]*)*<(?:/?[A-Za-z][A-Za-z0-9-]*[\s/>]|!--))", re.MULTILINE)
_STRIP_PREFIX = re.compile(r"^(?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])|#{1,6}(?=[ \t])))+", re.MULTILINE)
# Each scan stops at the next bracket or space, so the passes stay linear.
_MD_IMAGE = re.compile(r"!\[[^\[\]\n]{0,1000}\]\([^()\[\]\s]{0,2000}(?:\s+\"[^\"\n]{0,500}\")?\)")
_MD_LINK = re.compile(r"\[([^\[\]\n]{0,1000})\]\([^()\[\]\s]{0,2000}(?:\s+\"[^\"\n]{0,500}\")?\)")


def _plain_strip(source: str, reference: bool = False) -> str:
    """The fallback for hostile Markdown: markers and link targets out, HTML to text."""
    text = _STRIP_PREFIX.sub("", source)
    text = _MD_IMAGE.sub(" ", text)
    text = _MD_LINK.sub(r"\1", text)
    return html_to_text(text, reference=reference)


def markdown_to_text(markdown_source: str, *, reference: bool = False) -> str:
    """Plain text of a Markdown body: no markup, no URLs, no script/style content.

    Liquid tags, Hugo shortcodes and WordPress shortcodes are removed first
    (the text inside paired ones stays); the HTML Python-Markdown produces is
    reduced by :func:`html_to_text`.  Hostile nesting or bracket soup skips
    Markdown for a plain strip instead of recursing or going quadratic.
    """
    source = markdown_source.replace("\r\n", "\n").replace("\r", "\n")
    source = strip_templates(source)
    if "<" in source:
        source = _INDENTED_HTML_LINE.sub("", source)
    source = _bound_blocks(source)
    if len(source) > MAX_MARKDOWN_CHARS or _markdown_is_risky(source):
        return _plain_strip(source, reference)
    md = _markdown_instance(reference)
    try:
        produced = md.convert(source)
    except RecursionError:
        _drop_markdown_instance(reference)  # its state is half-built; use a fresh one next time
        return _plain_strip(source, reference)
    except Exception:
        _drop_markdown_instance(reference)
        raise
    md.reset()
    return html_to_text(produced, reference=reference)
