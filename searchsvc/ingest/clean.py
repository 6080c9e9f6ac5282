"""Strings from front matter and template markup made into display text."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..words import decode_entities

ELLIPSIS = "…"


PLACEHOLDERS = frozenset(
    {"summary", "description", "todo", "tbd", "tk", "n/a", "na", "none", "null", "placeholder", "lorem ipsum", "xxx"}
)
HAS_WORD = re.compile(r"[^\W_]")
_LIQUID_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}")
_LIQUID_ENDCOMMENT = re.compile(r"\{%-?\s*endcomment\s*-?%\}")
# A tag ends at its closer, but never reaches past the next opener or 4,000
# characters: each scan stops early, so the whole pass stays linear.
_CURLY_TAG = re.compile(r"\{\{(?:(?!\}\}|\{\{)[\s\S]){0,4000}\}\}")
_LIQUID_TAG = re.compile(r"\{%(?:(?!%\}|\{%)[\s\S]){0,4000}%\}")
_UNCLOSED_TAG = re.compile(r"\{[{%][^\n]*")
_WP_NAMES = (
    "youtube|vimeo|dailymotion|caption|wp_caption|embed|gallery|audio|video|playlist|tweet|"
    "googlemaps|slideshare|soundcloud|flickr|instagram|scribd|polldaddy|gist"
)
# [youtube=URL], [youtube URL], [caption id="" width="300"], [/caption], [gallery]
# but not Markdown's [video](url) / [video][1] or prose such as [video not shown].
_WP_TAG = re.compile(
    r"\[/?(?:" + _WP_NAMES + r")"
    r"(?:=[^\]\n]{0,2000}|[ \t](?=[^\]\n]{0,2000}?(?:=|://))[^\]\n]{0,2000})?\](?![(\[:])"
)
_WP_EMBED = re.compile(r"\[embed\b[^\]\n]{0,2000}\][^\[\n]{0,2000}\[/embed\]")




def collapse(text: str) -> str:
    return " ".join(text.split())


def clean_inline(text: str) -> str:
    """A front matter string as display text: entities, the \\: quirk, whitespace."""
    return collapse(decode_entities(text).replace("\\:", ":"))


def strip_templates(text: str) -> str:
    """Remove Liquid tags, Hugo shortcodes and WordPress shortcodes.

    The text between paired shortcodes stays (``{{< note >}}text{{< /note >}}``
    -> ``text``); Liquid comments and ``[embed]URL[/embed]`` go entirely; an
    unclosed ``{%``/``{{`` is dropped to the end of its line.
    """
    if "{" in text:
        text = _strip_liquid_comments(text)
        text = _CURLY_TAG.sub(" ", text)
        text = _LIQUID_TAG.sub(" ", text)
        text = _UNCLOSED_TAG.sub(" ", text)
    if "[" in text:
        text = _WP_EMBED.sub(" ", text)
        text = _WP_TAG.sub(" ", text)
    return text


def _strip_liquid_comments(text: str) -> str:
    if "comment" not in text:
        return text
    parts = []
    pos = 0
    while True:
        start = _LIQUID_COMMENT.search(text, pos)
        if not start:
            break
        end = _LIQUID_ENDCOMMENT.search(text, start.end())
        if not end:
            break  # no end anywhere after: leave the rest to the tag pass
        parts.append(text[pos:start.start()])
        parts.append(" ")
        pos = end.end()
    parts.append(text[pos:])
    return "".join(parts)


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters, cut at a word boundary with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut falls inside a word
        space = head.rfind(" ")
        if space > limit // 2:
            head = head[:space]
    return head.rstrip(" ,;:.-–—") + ELLIPSIS


def scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dt.date, dt.time)):  # dt.datetime is a dt.date
        return value.isoformat()
    return None
