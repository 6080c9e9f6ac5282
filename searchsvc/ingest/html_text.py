"""HTML -> plain text: a stream of parser events written into a TextSink.

The Markdown walker (markdown_text) and the HTML parser share one sink, so raw
HTML inside Markdown opens and closes blocks, hides script/style content and
starts headings exactly as a whole HTML page would.  Only the public API of
the standard library's ``html.parser`` is used.
"""

from __future__ import annotations

import re
import bisect
import html as html_lib
from html.parser import HTMLParser

from .text_model import Heading, Text

# Elements after whose start and end a browser starts a new line of text.
BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody tfoot thead "
    "td th tr ul".split()
)
# Elements whose content a visitor never reads as text.
DROP_TAGS = frozenset("script style noscript template iframe object svg head title".split())
VOID_TAGS = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr basefont bgsound frame spacer".split()
)
HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
# Whitespace other than " " and "\n" (str.isspace's set) becomes " ", then runs of " " one.
# text.render's stand-in for a control character (a noncharacter: no text holds it).
INVISIBLE = "\ufdd0"
_OTHER_SPACE = re.compile("[\t\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufdd0]")
_RUNS = re.compile(r"  +")
_ENTITY = re.compile(r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{1,31});?")
MAX_ENTITIES = 20_000
# html.parser spends about 2 microseconds on a tag: an .html body's tags past
# this many are stripped by pattern instead of parsed (real pages: < 5,000).
MAX_HTML_TAGS = 100_000
# A heading's start inside the pieces (NUL never survives input cleaning).
MARK = "\x00"


def collapse(text: str) -> str:
    return " ".join(text.split())


class TextSink:
    """Collects text pieces, block breaks and headings; ``finish`` normalises them."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.hidden = 0  # open elements whose content is dropped
        self.headings: list[list] = []  # [level, anchor, first piece, last piece]
        self.open_heading: list | None = None

    def text(self, data: str) -> None:
        if not self.hidden and data:
            self.pieces.append(data)

    def block(self) -> None:
        if not self.hidden:
            self.pieces.append("\n")

    def start_heading(self, level: int, anchor: str) -> None:
        if self.open_heading is not None or self.hidden:
            return  # a heading inside a heading (raw HTML) is part of the outer one
        self.pieces.append("\n")
        self.pieces.append(MARK)
        self.open_heading = [level, anchor, len(self.pieces), None]

    def end_heading(self) -> None:
        heading = self.open_heading
        if heading is None:
            return
        heading[3] = len(self.pieces)
        self.headings.append(heading)
        self.open_heading = None
        self.pieces.append("\n")

    def finish(self) -> Text:
        if self.open_heading is not None:
            self.end_heading()
        headings = [
            Heading(level, collapse(_OTHER_SPACE.sub(" ", "".join(self.pieces[first:last]))), anchor, 0)
            for level, anchor, first, last in self.headings
        ]
        # Each heading's MARK follows a "\n", so the segments between marks
        # are whole lines: normalised one by one, their lengths give offsets.
        parts: list[str] = []
        offsets: list[int] = []
        size = 0
        for number, segment in enumerate("".join(self.pieces).split(MARK)):
            if number:
                offsets.append(size)
            segment = _RUNS.sub(" ", _OTHER_SPACE.sub(" ", segment))
            lines = "\n".join(filter(None, map(str.strip, segment.split("\n"))))
            if lines:
                parts.append(lines)
                size += len(lines) + 1
        body = "\n".join(parts)
        for heading, offset in zip(headings, offsets):
            heading.offset = min(offset, len(body))
        return Text(body, headings)


class HtmlTextParser(HTMLParser):
    """html.parser events -> a TextSink.

    An end tag closes the most recent open element of its name and all
    opened after it; an end tag with nothing of its name open is ignored (as
    browsers and bs4 do), so stray tags in posts cannot hide the rest.
    """

    def __init__(self, sink: TextSink) -> None:
        super().__init__(convert_charrefs=True)
        self.sink = sink
        self.stack: list[str] = []
        self.open: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        sink = self.sink
        if tag in VOID_TAGS:
            if tag == "br" or tag == "hr":
                sink.block()
            elif tag == "img" or (tag == "input" and _attr(attrs, "type") == "image"):
                alt = _attr(attrs, "alt")
                if alt:
                    sink.text(" " + alt + " ")
            return
        self.stack.append(tag)
        self.open[tag] = self.open.get(tag, 0) + 1
        if tag in BLOCK_TAGS:
            sink.block()
        if tag in HEADING_TAGS:
            sink.start_heading(HEADING_TAGS[tag], _attr(attrs, "id") or "")
        if tag in DROP_TAGS:
            sink.hidden += 1

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in VOID_TAGS:
            self.handle_starttag(tag, attrs)
        elif tag in BLOCK_TAGS:
            self.sink.block()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            if tag == "br":
                self.sink.block()  # browsers read </br> as <br>
            return
        if not self.open.get(tag):
            return
        while self.stack:
            name = self.stack.pop()
            self.open[name] -= 1
            self._closed(name)
            if name == tag:
                break

    def _closed(self, tag: str) -> None:
        sink = self.sink
        if tag in DROP_TAGS:
            sink.hidden -= 1
        if tag in HEADING_TAGS:
            sink.end_heading()
        if tag in BLOCK_TAGS:
            sink.block()

    def handle_data(self, data: str) -> None:
        # A line break in HTML text is a space; only elements make blocks.
        self.sink.text(data.replace("\n", " "))

    def close_all(self) -> None:
        """End of input: flush html.parser's buffer and close what is still open."""
        try:
            self.close()
        except Exception:  # html.parser gives up on some "<!" soups; what it read stays
            pass
        while self.stack:
            name = self.stack.pop()
            self.open[name] -= 1
            self._closed(name)


def _attr(attrs: list, name: str) -> str | None:
    for key, value in attrs:
        if key == name:
            return value
    return None


_EMPTY_COMMENT = re.compile(r"<!---?>")
_RAW_TEXT_OPEN = re.compile(r"<(script|style)[\s>/]", re.IGNORECASE)


def _closed_constructs(html: str) -> str:
    """``html`` with every construct that cannot end inside it made text or cut.

    html.parser keeps an unfinished tag, comment or script in its buffer and
    scans the whole buffer again on every later feed and at close: a "<"
    with no ">" after it, or a "<!--" with no "-->", would make the work
    quadratic.  Such a "<" can never open anything in this piece (``feed``
    gives the text after the last ">" to the sink itself, so it stays
    text); an unclosed comment, <script> or <style> hides the rest of the
    piece, as it does in a browser.
    """
    comments: list[tuple[int, int]] = []
    if "<!--" in html:
        html = _EMPTY_COMMENT.sub("", html)  # HTML's "<!-->" and "<!--->", unknown to html.parser
        pos = 0
        while True:
            start = html.find("<!--", pos)
            if start < 0:
                break
            end = html.find("-->", start + 4)
            if end < 0:  # a comment that never ends hides the rest, as in a browser
                html = html[:start]
                break
            comments.append((start, end + 3))
            pos = end + 3
    if "<s" in html or "<S" in html:
        lower = html.lower()
        for name in ("script", "style"):
            last_close = lower.rfind("</" + name)
            match = _RAW_TEXT_OPEN.search(html, last_close + 1 if last_close >= 0 else 0)
            while match and (match.group(1).lower() != name or _inside(match.start(), comments)):
                match = _RAW_TEXT_OPEN.search(html, match.end())
            if match:
                html = html[: match.start()]
                lower = lower[: match.start()]
    return html


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    index = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= pos < spans[index][1]


def feed(parser: HtmlTextParser, html: str) -> None:
    """Feed raw HTML; html.parser's rare give-ups drop the tags of that piece, not the text."""
    html = _closed_constructs(html)
    last_close = html.rfind(">")
    tail = html[last_close + 1 :]
    if "<" in tail:  # no tag can start there
        html = html[: last_close + 1]
    else:
        tail = ""
    written = len(parser.sink.pieces)
    try:
        parser.feed(html)
    except Exception:
        # html.parser gave up part-way ("<![" that opens no section): take back
        # what it wrote of this piece and what it still buffers, and strip the
        # piece's tags by pattern instead.
        del parser.sink.pieces[written:]
        parser.reset()
        parser.sink.text(unescape(re.sub(r"<[^>]*>?", " ", html).replace("\n", " ")))
    if tail:
        parser.sink.text(unescape(tail.replace("\n", " ")))


def unescape(text: str) -> str:
    """Entities decoded; past MAX_ENTITIES (a microsecond each) a soup of them is dropped instead."""
    if "&" not in text:
        return text
    if text.count("&") > MAX_ENTITIES:
        return _ENTITY.sub(" ", text)
    return html_lib.unescape(text)


def html_text(source: str) -> Text:
    """Visible text and headings (anchor: the element's id) of an HTML page body."""
    sink = TextSink()
    parser = HtmlTextParser(sink)
    rest = ""
    if source.count("<") > MAX_HTML_TAGS:
        cut = _nth(source, "<", MAX_HTML_TAGS)
        source, rest = source[:cut], source[cut:]
    feed(parser, source)
    parser.close_all()
    if rest:
        sink.block()
        sink.text(unescape(re.sub(r"<[^<>]{0,2000}+>|<", " ", rest)))
    return sink.finish()


def _nth(text: str, char: str, count: int) -> int:
    pos = -1
    for _ in range(count):
        pos = text.find(char, pos + 1)
    return pos
