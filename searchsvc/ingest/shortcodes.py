"""Template syntax in a body -> what a reader of the rendered page sees of it.

Hugo shortcodes (``{{< name ... >}}``, ``{{% name ... %}}``), Liquid tags and
outputs (``{% ... %}``, ``{{ ... }}``) and WordPress shortcodes (``[caption
...]``) are markup of the site's templates: they leave their human text (the
caption, title, alt text... of a figure or a button; the inner text of a
paired shortcode), and nothing else.  ``{% raw %}...{% endraw %}`` shows its
content literally; a Liquid comment shows nothing.

One left-to-right scan with bounded lookahead: a tag ends at its closer but
never looks further than MAX_TAG_CHARS, so the pass stays linear on any
input (an unclosed ``{{`` is dropped to the end of its line).
"""

from __future__ import annotations

import re

MAX_TAG_CHARS = 4000
# Named arguments whose value a template shows to the reader.
HUMAN_KEYS = frozenset(
    "alt attr attribution caption cite description heading label quote subtitle summary text title".split()
)
_OPENER = re.compile(r"\{[{%]|\[")
_RAW_START = re.compile(r"\{%-?\s*raw\s*-?%\}")
_RAW_END = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_COMMENT_START = re.compile(r"\{%-?\s*comment\s*-?%\}")
_COMMENT_END = re.compile(r"\{%-?\s*endcomment\s*-?%\}")
# {{</* shortcode */>}} is Hugo's way to show a shortcode literally.
_N = "{0,%d}" % MAX_TAG_CHARS
_HUGO_ESCAPED = re.compile(r"\{\{([<%])/\*((?:(?!\*/)[\s\S])" + _N + r")\*/([>%])\}\}")
_HUGO_TAG = re.compile(r"\{\{([<%])((?:(?![<%]\}\}|\{\{)[\s\S])" + _N + r")[>%]\}\}")
_LIQUID_TAG = re.compile(r"\{%((?:(?!%\}|\{%)[\s\S])" + _N + r")%\}")
_LIQUID_OUTPUT = re.compile(r"\{\{((?:(?!\}\}|\{\{)[\s\S])" + _N + r")\}\}")
_UNCLOSED = re.compile(r"\{[{%][^\n]" + _N)
# key="v", key='v', key: "v", key=v, or a positional "v" / v.
_ARGUMENT = re.compile(
    r"""(?:([A-Za-z_][\w-]*)\s*[:=]\s*)?("(?:[^"\\]|\\.)*"|'[^']*'|`[^`]*`|[^\s,"'`]+)"""
)
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


def human_text(arguments: str) -> str:
    """The reader-facing values among a tag's arguments, space separated.

    Named values count when their key is in HUMAN_KEYS; a positional quoted
    value counts when it reads as prose (has a space, no URL or path).
    """
    found: list[str] = []
    for match in _ARGUMENT.finditer(arguments):
        key, raw = match.groups()
        quoted = raw[:1] in "\"'`"
        value = raw[1:-1] if quoted and len(raw) >= 2 else raw
        if quoted and raw[0] == '"':
            value = value.replace('\\"', '"')
        if key is not None:
            if key.lower() in HUMAN_KEYS:
                found.append(value)
        elif quoted and _reads_as_prose(value):
            found.append(value)
    return " ".join(" ".join(found).split())


def _reads_as_prose(value: str) -> bool:
    return " " in value.strip() and "://" not in value and not value.lstrip().startswith(("/", "#", "."))


def _tag_name_and_arguments(inner: str) -> tuple[str, str]:
    inner = inner.strip().strip("-").strip()
    match = re.match(r"(/?)\s*([\w./-]*)", inner)
    name = match.group(2) if match else ""
    return name, inner[match.end() if match else 0 :]


def _bounded_pair(text: str, start: int, end_pattern: re.Pattern, state: dict, key: str) -> re.Match | None:
    """The closer after ``start``, remembering where none exists, so repeated openers stay linear."""
    if state.get(key, -1) >= start:
        return None
    found = end_pattern.search(text, start)
    if found is None:
        state[key] = len(text)
    return found


def _liquid(text: str, pos: int, out: list[str], state: dict) -> int:
    """Handle the Liquid construct at ``pos`` (text[pos:pos+2] == "{%"); the position after it."""
    raw = _RAW_START.match(text, pos)
    if raw:
        end = _bounded_pair(text, raw.end(), _RAW_END, state, "raw")
        if end:
            out.append(text[raw.end() : end.start()])
            return end.end()
        return raw.end()
    comment = _COMMENT_START.match(text, pos)
    if comment:
        end = _bounded_pair(text, comment.end(), _COMMENT_END, state, "comment")
        if end:
            out.append(" ")
            return end.end()
        return comment.end()
    tag = _LIQUID_TAG.match(text, pos)
    if tag:
        _name, arguments = _tag_name_and_arguments(tag.group(1))
        out.append(_spaced(human_text(arguments)))
        return tag.end()
    return _unclosed(text, pos, out)


def _curly(text: str, pos: int, out: list[str]) -> int:
    """Handle ``{{`` at ``pos``: a Hugo shortcode or a Liquid output."""
    if text.startswith(("{{<", "{{%"), pos):
        escaped = _HUGO_ESCAPED.match(text, pos)
        if escaped:
            # What Hugo prints: the shortcode itself, which is code, not prose.
            out.append(" ")
            return escaped.end()
        tag = _HUGO_TAG.match(text, pos)
        if tag:
            name, arguments = _tag_name_and_arguments(tag.group(2))
            out.append(_spaced(human_text(arguments)) if not name.startswith("/") else " ")
            return tag.end()
    output = _LIQUID_OUTPUT.match(text, pos)
    if output:
        # Inside a link target or an attribute value it leaves nothing, so
        # "[a]({{ '/x' | url }})" stays a link; elsewhere it ends a word.
        out.append("" if text[pos - 1 : pos] in "(\"'/=" and pos else " ")
        return output.end()
    return _unclosed(text, pos, out)


def _unclosed(text: str, pos: int, out: list[str]) -> int:
    match = _UNCLOSED.match(text, pos)
    out.append(" ")
    return match.end() if match else pos + 2


def _spaced(value: str) -> str:
    return f" {value} " if value else " "


def strip_templates(text: str) -> str:
    """``text`` without template syntax, keeping what a reader sees of it."""
    if "{" in text and ("{{" in text or "{%" in text):
        text = _strip_curly(text)
    if "[" in text:
        text = _WP_EMBED.sub(" ", text)
        text = _WP_TAG.sub(" ", text)
    return text


def _strip_curly(text: str) -> str:
    out: list[str] = []
    state: dict = {}
    pos = 0
    size = len(text)
    while pos < size:
        found = text.find("{", pos)
        if found < 0:
            break
        nxt = text[found + 1 : found + 2]
        if nxt == "%":
            out.append(text[pos:found])
            pos = _liquid(text, found, out, state)
        elif nxt == "{":
            out.append(text[pos:found])
            pos = _curly(text, found, out)
        else:
            out.append(text[pos : found + 1])
            pos = found + 1
    out.append(text[pos:])
    return "".join(out)
