"""A page body -> the plain text a visitor reads, and its headings.

The one entry point is :func:`render`.  The dialect says which generator's
rules apply: "goldmark" (Hugo), "kramdown" (Jekyll), "commonmark" (plain
folders: GitHub's heading ids), "html" (an .html page body).  Template syntax
goes first (shortcodes), then the dialect's own syntax (kramdown_syntax),
then the size and nesting bounds (bounds), then the parse (markdown_text or
html_text).  ``render`` never raises and never returns markup.
"""

from __future__ import annotations

import logging
import re

from .bounds import bound_markdown, plain_text
from .html_text import INVISIBLE, TextSink, html_text
from .kramdown_syntax import dedent_tag_lines, strip_kramdown
from .markdown_text import markdown_text
from .shortcodes import strip_templates
from .text_model import Heading, Text

__all__ = ["DIALECTS", "Heading", "Text", "render"]

DIALECTS = ("goldmark", "kramdown", "commonmark", "html")
logger = logging.getLogger(__name__)
# Vertical tab and form feed are white space to the generators, as to us.  The
# other control characters are ordinary characters to them: "   \x1f<div>" is
# a paragraph, not an indented code block, so they become a placeholder that
# the parsers treat as a letter and TextSink.finish as a space (and the NUL
# is TextSink's heading mark).
_SPACES = re.compile(r"[\x0b\x0c]")
_CONTROL = re.compile(r"[\x00\x0e-\x1f\x7f\ufeff]")


def render(source: str, dialect: str) -> Text:
    """Plain text and headings of ``source`` as ``dialect``'s generator shows it."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    text = _SPACES.sub(" ", str(source).replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub(INVISIBLE, text.replace(INVISIBLE, " "))
    try:
        return _render(text, dialect)
    except RecursionError:
        logger.debug("nesting too deep for the parser; tags stripped instead")
    except Exception:  # the promise: a body never stops its page from being indexed
        logger.exception("rendering failed; tags stripped instead")
    return _stripped(text)


def _render(text: str, dialect: str) -> Text:
    text = strip_templates(text)
    if dialect == "html":
        return html_text(text)
    if dialect == "kramdown":
        text = strip_kramdown(text)
    elif dialect == "commonmark":
        text = dedent_tag_lines(text)
    parsed, rest = bound_markdown(text)
    sink = TextSink()
    markdown_text(parsed, dialect, sink)
    if rest:
        sink.block()
        sink.text(plain_text(rest))
    return sink.finish()


def _stripped(text: str) -> Text:
    import html

    plain = html.unescape(re.sub(r"<[^>]{0,4000}>|[<>]", " ", text)).replace(INVISIBLE, " ")
    lines = (" ".join(line.split()) for line in plain.split("\n"))
    return Text("\n".join(line for line in lines if line), [])
