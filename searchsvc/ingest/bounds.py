"""Bounds that keep markdown-it-py's work linear and small on hostile Markdown.

markdown-it-py is linear on prose but some markup makes it rescan: each "["
looks for its label's end through the rest of the paragraph (9.5 s for
``"[" * 200_000``), and dense markup costs it several microseconds a
character even when linear (2 MB of ``"*a "`` takes over 5 s).  Three
bounds, none of which changes a real post (the corpora's largest block is
182 lines and 12 KB, their most expensive body a tenth of the budget):

* blocks: a blank line is inserted so that no block exceeds MAX_BLOCK_LINES
  lines or MAX_BLOCK_CHARS characters (an over-long line is cut at a space);
* brackets: a "[" with no "]" after it in its block can never open a link,
  and brackets nested deeper than MAX_BRACKET_DEPTH are never links either:
  both are escaped, so no label scan runs past them;
* budget: a body's estimated parse cost (characters, each markup character
  weighted by what it costs markdown-it-py) beyond MARKUP_BUDGET is not
  parsed: the part up to the budget (cut at a blank line) is, and the rest
  reaches the text with its markup stripped by pattern (``plain_text``).
"""

from __future__ import annotations

import re

from .html_text import unescape

MAX_BLOCK_LINES = 200
MAX_BLOCK_CHARS = 16 * 1024
MAX_BRACKET_DEPTH = 8
# At most about 0.35 s of markdown-it-py on this machine (tests/ingest/test_text.py::test_worst_inputs);
# the corpora's most expensive body costs 123,493.
MARKUP_BUDGET = 1_000_000
# Relative cost of a character for markdown-it-py, measured per character on
# 100 KB runs of each (prose is 1).
_WEIGHTS = {
    "\n": 32, ":": 60, "#": 40, "*": 20, "_": 20, "[": 20, "]": 20, "(": 20, "~": 12, "<": 10, "`": 10, "|": 10,
    "{": 8, "&": 8, "\\": 6, ">": 4,
}
_BLANK_KEEP = re.compile(r"(\n[ \t]*\n)")


def cost(source: str) -> int:
    return len(source) + sum(weight * source.count(char) for char, weight in _WEIGHTS.items())


def bound_markdown(source: str) -> tuple[str, str]:
    """``(the part to parse, made safe; the rest to strip by pattern)``."""
    rest = ""
    if cost(source) > MARKUP_BUDGET:
        source, rest = _cut_to_budget(source)
    return _escape_brackets(_bound_blocks(_bound_containers(source))), rest


MAX_CONTAINER_MARKERS = 12
# A line opening with more container markers (">", "-", "1.") than that.
_DEEP_PREFIX = re.compile(
    r"^(?:[ \t]{0,3}(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]?){%d,}" % (MAX_CONTAINER_MARKERS + 1), re.MULTILINE
)


def _bound_containers(source: str) -> str:
    """Quotes and lists nested past MAX_CONTAINER_MARKERS are flattened to that depth.

    The parser gives up on tokens nested past its limit, and their text would
    be lost; a reader of such a page sees the words, whatever the nesting.
    """
    return _DEEP_PREFIX.sub(lambda m: ">" * MAX_CONTAINER_MARKERS + " ", source)


def _cut_to_budget(source: str) -> tuple[str, str]:
    low, high = 0, len(source)
    while high - low > 1024:  # the longest prefix within budget, to a kilobyte
        middle = (low + high) // 2
        if cost(source[:middle]) > MARKUP_BUDGET:
            high = middle
        else:
            low = middle
    blank = source.rfind("\n\n", 0, low)
    cut = blank + 1 if blank > 0 else low
    return source[:cut], source[cut:]


def _bound_blocks(source: str) -> str:
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


_BRACKET = re.compile(r"\\.|[\[\]]", re.DOTALL)
# A "[" costs markdown-it-py at most a scan to the end of its block: a block
# whose "[" count times length stays under this is cheap whatever its brackets.
MAX_LABEL_SCAN = 20_000


def _escape_brackets(source: str) -> str:
    """Escape each "[" that no "]" closes in its block, and brackets nested too deep."""
    if "[" not in source:
        return source
    blocks = _BLANK_KEEP.split(source)
    changed = False
    for number in range(0, len(blocks), 2):  # odd items are the blank-line separators
        block = blocks[number]
        if "[" in block and block.count("[") * len(block) > MAX_LABEL_SCAN:
            escaped = _escape_block(block)
            if escaped is not block:
                blocks[number] = escaped
                changed = True
    return "".join(blocks) if changed else source


def _escape_block(block: str) -> str:
    escape: list[int] = []
    open_at: list[int] = []
    for match in _BRACKET.finditer(block):
        token = match.group()
        if token == "[":
            if len(open_at) >= MAX_BRACKET_DEPTH:
                escape.append(match.start())
            else:
                open_at.append(match.start())
        elif token == "]" and open_at:
            open_at.pop()
    escape.extend(open_at)  # the block ends: what is still open never closes
    if not escape:
        return block
    escape.sort()
    pieces = []
    last = 0
    for pos in escape:
        pieces.append(block[last:pos])
        pieces.append("\\[")
        last = pos + 1
    pieces.append(block[last:])
    return "".join(pieces)


# Possessive quantifiers: a failed match never backtracks through its run.
_TAG = re.compile(r"<[^<>]{0,2000}+>")
_LINK = re.compile(r"!?\[([^\[\]\n]{0,1000}+)\]\([^()\s]{0,2000}+(?:\s++\"[^\"\n]{0,500}+\")?\)")
# The lookahead keeps it from an empty match (a replacement) on every line.
_PREFIX = re.compile(r"^(?=[ \t>#*+\-0-9])[ \t>#*]*+(?:(?:[-+]|\d{1,9}[.)])(?=[ \t]))?", re.MULTILINE)
_MARKS = str.maketrans({char: " " for char in "*_`~|<>[]\\#"})


def plain_text(source: str) -> str:
    """Text of Markdown by pattern: line markers, link targets, tags and markup characters out."""
    text = _PREFIX.sub("", source)
    if "](" in text:
        text = _LINK.sub(r" \1 ", text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    return unescape(text).translate(_MARKS)
