"""HTML -> visible text: html.parser's events replayed as bs4 would build its tree.

(To be replaced by a plain HTML-to-text walk without private hooks: issue 10.)
"""

from __future__ import annotations

import html as html_lib
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody tfoot thead "
    "td th tr ul".split()
)
_DROP_TAGS = frozenset("script style noscript template iframe object svg".split())
_BLOCK_BREAK = object()


def html_to_text(html: str, *, reference: bool = False) -> str:
    """Visible text of an HTML fragment.

    Block elements are separated by one newline and other whitespace is one
    space; script, style, noscript, template, iframe, object and svg contents
    and comments are dropped; attributes (URLs, handlers) never appear.

    The text is what BeautifulSoup (html.parser) + :func:`_soup_text` give;
    ``reference=True`` computes it that way, otherwise a tree-less replay of
    the same parser events does, in about a third of the time
    (bench/check_parse_fast.py proves them identical on the real corpus).
    """
    if "<" not in html:
        return _normalise_text([html_lib.unescape(html).replace("\n", " ")])
    # html.parser rescans to the end for every "<" that no ">" follows:
    # such a "<" can never open a tag, so make it text.
    last_close = html.rfind(">")
    if "<" in html[last_close + 1 :]:
        html = html[: last_close + 1] + html[last_close + 1 :].replace("<", "&lt;")
    if not reference:
        pieces = _fast_text_pieces(html)
        if pieces is not None:
            return _normalise_text(pieces)
    from bs4 import BeautifulSoup
    from bs4.exceptions import ParserRejectedMarkup

    try:
        # The leading <br> is the root tag, so an "<?xml ...?>" in a post
        # cannot make bs4 warn (XMLParsedAsHTMLWarning; warnings are errors
        # under our pytest settings).
        soup = BeautifulSoup("<br>" + html, "html.parser")
        return _normalise_text(_soup_text(soup))
    except (RecursionError, ParserRejectedMarkup):
        # Nesting too deep for a tree, or markup html.parser gives up on (a
        # "<![" that opens no section): the post is still indexed, its tags
        # stripped by pattern.
        text = re.sub(r"<[^>]*>", " ", html)
        return _normalise_text([html_lib.unescape(text).replace("\n", " ")])


def html_to_text_reference(html: str) -> str:
    """:func:`html_to_text` computed through a BeautifulSoup tree (the reference)."""
    return html_to_text(html, reference=True)


_fast_parser_class: Any = None


class _Bail(Exception):
    """The fast path meets something it does not replay; bs4 decides instead."""


def _fast_text_pieces(html: str) -> list | None:
    """What ``_soup_text(BeautifulSoup("<br>" + html, "html.parser"))`` returns, or None.

    Replays bs4's tree building on a stack of tag names instead of building
    the tree: its ``_popToTag`` (an end tag closes the most recent open tag of
    its name and everything opened after it; an end tag with no open tag of
    its name is ignored), void tags, string containers, and its handlers for
    character and entity references, comments, declarations, processing
    instructions and CDATA.  Since bs4 only ever appends to the most recently
    opened tag, the tree's document order is the event order, so the text
    can be emitted as the events come.  The events come from
    :func:`_replay_simple` when the fragment is all plain tokens, else from
    html.parser.  None (use bs4) for a <meta> tag (bs4 rewrites its
    attributes) and whenever html.parser raises.
    """
    global _fast_parser_class
    if _fast_parser_class is None:
        _fast_parser_class = _make_fast_parser()
    parser = _fast_parser_class()
    try:
        if not _replay_simple(html, parser):
            parser = _fast_parser_class()
            parser.feed("<br>" + html)
            parser.close()
    except Exception:
        return None
    return parser.pieces


_W = "[ \t\n\r\f]"  # html.parser's separators (not \s, which has Unicode spaces)
# Text, entities and plain tags (letters/digits names, quoted attributes):
# what Python-Markdown writes and most raw HTML in posts is.  html.parser
# splits these exactly so (text runs end at "<" or "&"), in every Python
# version; anything else goes through html.parser itself.
_SIMPLE_TOKEN = re.compile(
    r"([^<&]+)"
    r"|<([a-zA-Z][a-zA-Z0-9]*)(?:%(w)s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:%(w)s*=%(w)s*(?:\"[^\"<>]*\"|'[^'<>]*'))?)*%(w)s*(/?)>"
    r"|</([a-zA-Z][a-zA-Z0-9]*)>"
    r"|&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);" % {"w": _W}
)
# Tags whose content some html.parser version reads as raw text.
_RAW_TEXT_TAGS = frozenset("script style xmp iframe noembed noframes noscript plaintext textarea title".split())


def _replay_simple(html: str, parser: Any) -> bool:
    """Feed ``parser``'s handlers the events html.parser would, when ``html`` is all simple tokens.

    False, with nothing fed, when some part of ``html`` is not a simple
    token or a raw-text tag opens.
    """
    events = []
    pos = 0
    for match in _SIMPLE_TOKEN.finditer(html):
        if match.start() != pos:
            return False
        pos = match.end()
        events.append(match)
    if pos != len(html):
        return False
    for match in events:
        start = match.group(2)
        if start is not None and start.lower() in _RAW_TEXT_TAGS:
            return False
    parser.handle_starttag("br", [])
    for match in events:
        text, start, slash, end, ref = match.groups()
        if text is not None:
            parser.handle_data(text)
        elif start is not None:
            if slash:
                parser.handle_startendtag(start.lower(), [])
            else:
                parser.handle_starttag(start.lower(), [])
        elif end is not None:
            parser.handle_endtag(end.lower())
        elif ref[0] == "#":
            parser.handle_charref(ref[1:])
        else:
            parser.handle_entityref(ref)
    return True


def _make_fast_parser() -> type:
    from html.parser import HTMLParser

    from bs4.builder import HTMLTreeBuilder
    from bs4.builder._htmlparser import BeautifulSoupHTMLParser
    from bs4.dammit import EntitySubstitution

    entities = EntitySubstitution.HTML_ENTITY_TO_CHARACTER
    numeric = BeautifulSoupHTMLParser._dereference_numeric_character_reference
    block, drop = _BLOCK_TAGS, _DROP_TAGS
    # The builder's facts that decide what _soup_text sees: void tags are
    # closed as soon as they open (so their end tags never pop anything), and
    # text inside an open string container (rt, rp, script, style, template)
    # becomes a NavigableString subclass that _soup_text skips.
    void = frozenset(HTMLTreeBuilder.DEFAULT_EMPTY_ELEMENT_TAGS)
    containers = frozenset(HTMLTreeBuilder.DEFAULT_STRING_CONTAINERS)

    class FastTextParser(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=False)  # as bs4's builder
            self.pieces: list[str] = []
            self.stack: list[str] = []
            self.open: dict[str, int] = {}
            self.dropped = 0  # open tags whose whole subtree _soup_text skips
            self.hidden = 0  # open string containers: their text is skipped

        def updatepos(self, i: int, j: int) -> int:
            return j  # line numbers are never read here

        def _push(self, tag: str) -> None:
            if tag == "meta":
                raise _Bail
            if tag in block and not self.dropped:
                self.pieces.append("\n")
            self.stack.append(tag)
            self.open[tag] = self.open.get(tag, 0) + 1
            if tag in drop:
                self.dropped += 1
            if tag in containers:
                self.hidden += 1

        def _pop(self) -> str:
            tag = self.stack.pop()
            self.open[tag] -= 1
            if tag in drop:
                self.dropped -= 1
            if tag in containers:
                self.hidden -= 1
            if tag in block and not self.dropped:
                self.pieces.append("\n")
            return tag

        def handle_starttag(self, tag: str, attrs: list) -> None:
            self._push(tag)
            if tag in void:
                self._pop()

        def handle_startendtag(self, tag: str, attrs: list) -> None:
            self._push(tag)
            self._pop()

        def handle_endtag(self, tag: str) -> None:
            if self.open.get(tag):
                while self._pop() != tag:
                    pass

        def handle_data(self, data: str) -> None:
            if not self.dropped and not self.hidden:
                self.pieces.append(data.replace("\n", " "))

        def handle_charref(self, name: str) -> None:
            text, _replaced, extra = numeric(name)
            self.handle_data(text)
            self.handle_data(extra)

        def handle_entityref(self, name: str) -> None:
            text = entities.get(name)
            self.handle_data(text if text is not None else "&" + name)

        def handle_comment(self, data: str) -> None:
            pass

        def handle_decl(self, decl: str) -> None:
            pass

        def handle_pi(self, data: str) -> None:
            pass

        def unknown_decl(self, data: str) -> None:
            # CDATA is kept by _soup_text even inside a string container, and
            # bs4 turns an empty string (only an empty CDATA gives one) into " ".
            if data.upper().startswith("CDATA[") and not self.dropped:
                self.pieces.append(data[6:].replace("\n", " ") or " ")

    return FastTextParser


def _soup_text(soup: BeautifulSoup) -> list:
    """Text pieces and block breaks, in document order, without recursion."""
    from bs4 import CData, NavigableString, Tag

    pieces: list = []
    stack: list = [soup]
    while stack:
        node = stack.pop()
        if node is _BLOCK_BREAK:
            pieces.append("\n")
        elif isinstance(node, Tag):
            name = node.name
            if name in _DROP_TAGS:
                continue
            if name in _BLOCK_TAGS:
                pieces.append("\n")
                stack.append(_BLOCK_BREAK)
            stack.extend(reversed(node.contents))
        elif type(node) is NavigableString or type(node) is CData:
            pieces.append(node.replace("\n", " "))
    return pieces


def _normalise_text(pieces: list) -> str:
    lines = ("".join(pieces)).split("\n")
    return "\n".join(line for line in (" ".join(part.split()) for part in lines) if line)
