"""Files -> documents: the safe walk of the content folder and one post -> Document.

No Whoosh and no Flask here.  :func:`iter_post_paths` lists the posts,
:func:`load_post` turns one file into a :class:`Document` or raises
:class:`PostError` (cannot be indexed) / :class:`Unpublished` (draft or
expired).  Nothing else ever leaves :func:`load_post`.

Decisions for the ambiguous cases (tests/test_documents.py pins each one):

* Front matter: YAML between ``---`` lines or TOML between ``+++`` lines
  (split by python-frontmatter's handlers; TOML loaded with the stdlib
  ``tomllib`` because frontmatter's TOML handler needs the ``toml`` package).
  Leading blank lines, CRLF/CR line ends, a UTF-8 BOM and UTF-16/32 with a
  BOM are accepted.  YAML is composed with the safe (libyaml) loader and
  rejected when it uses any alias (``*name``): Hugo/Jekyll front matter never
  needs one and an alias bomb is then impossible.  Front matter must be a
  mapping of at most 64 KiB.
* Strings from front matter (title, summary, facet values) are entity-decoded
  until stable (at most 3 passes: the corpus double-encodes, e.g.
  ``&amp;#8217;``), the WordPress export's ``\\:`` becomes ``:``, and
  whitespace (including ``&nbsp;``) is collapsed.  HTML in them is kept as
  literal text: escaping is the renderer's job.
* Facets: a string is ONE value (never split on commas, as Hugo does); a
  number/bool/date is coerced to text; a list may hold scalars or lists of
  scalars (flattened one level); a mapping is ignored with a warning (the
  post is still indexed).  A facet also reads its singular key
  (``author`` for ``authors``, ``tag``, ``category``, ``topic``...) after the
  plural one.  Values longer than 200 characters are cut with "…"; at most
  100 values per facet are kept.  Keys are matched case-insensitively and
  ignoring ``_``/``-`` (``expiryDate`` = ``expiry_date`` = ``expirydate``).
* Published: ``draft`` true (or "true"/"yes"/"on"/"1") and Jekyll's
  ``published: false`` are drafts; an expiry date at or before ``now`` is
  expired (a date without offset counts as UTC).  Future dates are indexed.
* Date: ``date``, else ``publishDate``/``pubdate``/``published``; missing or
  unusable -> the file's modification time (tz-aware UTC) and a warning.
* Summary: ``summary``, else ``deck``, else ``description``, each cleaned as
  above plus Liquid/Hugo/WordPress shortcodes removed; a value with no letter
  or digit ("...", "…", "-") or a placeholder word (see ``_PLACEHOLDERS``)
  counts as missing; else the first 40 words of the body.  Cut at a word
  boundary to 500 characters with "…".
* Body text: blocks (paragraphs, list items, cells, headings...) are separated
  by one newline, all other whitespace is one space.  It is exactly what
  Python-Markdown + BeautifulSoup give (``load_post(..., reference=True)``
  computes it that way, for the benchmarks' peer); the service gets it in
  under 60% of the time by skipping the Markdown inline patterns and block
  tests that cannot match and by reading html.parser's events without
  building a tree (tests/test_parse_fast.py, bench/check_parse_fast.py).
* URL: ``url``/``permalink`` when it is a site path or an http(s) URL (any
  other scheme, e.g. ``javascript:``, is ignored with a warning); otherwise
  ``url_pattern``.  The slug is ``slug`` front matter, else the file name
  without a ``YYYY-MM-DD-`` prefix (the folder name for ``index.md``),
  else the slugified title; generated URLs are lower case (Hugo's default).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html as html_lib
import logging
import os
import re
import stat
import string
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

import yaml
from frontmatter.default_handlers import BaseHandler, SafeLoader, YAMLHandler

# Markdown and bs4 are imported when the first post is parsed, not here: an
# incremental `searchsvc reindex` that parses nothing must start fast
# (issue 5: an unchanged 15,440-post folder in <= 0.5 s, interpreter start
# included), and they are about a tenth of a second of imports.
if TYPE_CHECKING:
    import markdown
    from bs4 import BeautifulSoup

from .settings import DEFAULTS

logger = logging.getLogger(__name__)

POST_SUFFIXES = (".md", ".markdown", ".html")
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 500
SUMMARY_WORDS = 40
MAX_FACET_VALUE_CHARS = 200
MAX_FACET_VALUES = 100
ELLIPSIS = "…"


@dataclass
class Document:
    id: str  # path relative to the content root, forward slashes
    title: str
    summary: str
    body: str  # plain text; blocks separated by "\n"
    date: dt.datetime  # tz-aware when the source gave an offset
    url: str
    facets: dict[str, list[str]]  # one entry per configured facet name
    warnings: list[str] = field(default_factory=list)  # "<id>: ..." one-liners


class PostError(Exception):
    """The file cannot be indexed; ``str(exc)`` is a one-line reason without the file name."""


class Unpublished(Exception):
    """A draft or an expired post; ``str(exc)`` says which ("draft: true", "expired 2016-01-01")."""


# ---------------------------------------------------------------------------
# Walking the content folder


def _inside(real_path: str, real_root: str) -> bool:
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def _is_post_name(name: str) -> bool:
    return name.lower().endswith(POST_SUFFIXES)


def iter_post_paths(root: Path, stats: dict | None = None) -> Iterator[Path]:
    """Every post file under ``root``, sorted by path parts.

    Hidden names (".git", ".draft.md") are skipped.  Symbolic links are
    followed only when their real path stays inside ``root``; every real
    directory and file is visited once (so loops end and a linked folder does
    not index its posts twice; real paths win over links).  A folder that
    cannot be listed is logged and skipped.  ``stats``, when given, receives
    ``str(path)`` -> ``os.stat_result`` for each post, from the walk (so callers need not stat again).
    """
    root = Path(root)
    real_root = os.path.realpath(root)
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()  # (st_dev, st_ino) of dirs and files
    links: list[Path] = []
    try:
        info = os.stat(root)
    except OSError as exc:
        logger.warning("%s: cannot read the content folder (%s)", root, exc.strerror or exc)
        return iter(())
    seen.add((info.st_dev, info.st_ino))
    _walk_real(root, found, seen, links, stats)
    # Links last, so that a post reachable both directly and through a link
    # keeps its real path as its id.
    while links:
        batch = sorted(links, key=lambda p: p.parts)
        links.clear()
        for link in batch:
            real = os.path.realpath(link)
            if not _inside(real, real_root):
                continue
            try:
                info = os.stat(real)
            except OSError:
                continue  # dangling link
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue
            if stat.S_ISDIR(info.st_mode):
                seen.add(key)
                _walk_real(link, found, seen, links, stats)
            elif stat.S_ISREG(info.st_mode) and _is_post_name(link.name):
                seen.add(key)
                found.append(link)
                if stats is not None:
                    stats[str(link)] = info
    found.sort(key=lambda p: p.parts)
    return iter(found)


def _walk_real(top: Path, found: list[Path], seen: set, links: list[Path], stats: dict | None = None) -> None:
    """Depth-first over real directories under ``top``; links are set aside."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                items = list(entries)
        except OSError as exc:
            logger.warning("%s: cannot list folder (%s); skipped", folder, exc.strerror or exc)
            continue
        for entry in items:
            name = entry.name
            if name.startswith("."):
                continue
            path = folder / name
            try:
                if entry.is_symlink():
                    links.append(path)
                elif entry.is_dir(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    key = (info.st_dev, info.st_ino)
                    if key not in seen:
                        seen.add(key)
                        stack.append(path)
                elif _is_post_name(name) and entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    key = (info.st_dev, info.st_ino)
                    if key not in seen:  # a hard link to a post already found
                        seen.add(key)
                        found.append(path)
                        if stats is not None:
                            stats[str(path)] = info
            except OSError:
                continue  # vanished while listing


# ---------------------------------------------------------------------------
# Reading and splitting a post


class _TOMLHandler(BaseHandler):
    """``+++`` front matter loaded with the stdlib (frontmatter's own needs ``toml``)."""

    FM_BOUNDARY = re.compile(r"^\+{3,}[ \t]*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


class _YAMLHandler(YAMLHandler):
    # frontmatter's pattern ends in \s*$, which lets a delimiter swallow the
    # blank lines after it; [ \t]* keeps line numbers exact.
    FM_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)


_YAML = _YAMLHandler()
_TOML = _TOMLHandler()


def _read(path: Path, limit: int) -> tuple[bytes, float]:
    """The file's bytes and mtime; the size is checked before reading."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise PostError("file vanished (deleted after it was listed)") from None
    except PermissionError:
        raise PostError("permission denied") from None
    except IsADirectoryError:
        raise PostError("not a regular file") from None
    except OSError as exc:
        raise PostError(f"cannot be opened: {exc.strerror or type(exc).__name__}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PostError("not a regular file")
        if info.st_size > limit:
            raise PostError(f"file is {info.st_size} bytes, over the limit of {limit} bytes (setting max_post_bytes)")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise PostError(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
        if len(data) > limit:  # grew after the check
            raise PostError(f"file grew past the limit of {limit} bytes (setting max_post_bytes)")
        return data, info.st_mtime


def _decode(data: bytes) -> str:
    if not data:
        raise PostError("empty file")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "utf-32"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        if b"\x00" in data:
            raise PostError("binary file (contains NUL bytes)")
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8-sig":
            line = data.count(b"\n", 0, exc.start) + 1
            raise PostError(f"not valid UTF-8 (line {line})") from None
        raise PostError(f"not valid {encoding.upper()}") from None
    if "\x00" in text:
        raise PostError("binary file (contains NUL characters)")
    if not text.strip():
        raise PostError("empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split(text: str) -> tuple[Any, str]:
    """Front matter (loaded) and the body text."""
    start = len(text) - len(text.lstrip())
    lines_before = text.count("\n", 0, start)
    text = text[start:]
    first = text.split("\n", 1)[0].rstrip()
    if re.fullmatch(r"-{3,}", first):
        handler, kind = _YAML, "YAML"
    elif re.fullmatch(r"\+{3,}", first):
        handler, kind = _TOML, "TOML"
    else:
        raise PostError("no front matter (the file must start with a '---' line)")
    try:
        fm, body = handler.split(text)
    except ValueError:
        raise PostError(f"front matter is not closed (no second '{first[:3]}' line)") from None
    if len(fm.encode("utf-8", "surrogatepass")) > MAX_FRONT_MATTER_BYTES:
        raise PostError(f"front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB")
    if kind == "YAML":
        data = _load_yaml(fm, lines_before)
    else:
        data = _load_toml(fm, lines_before)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PostError(f"front matter is a {_kind(data)}, not a mapping of fields")
    return data, body


def _load_yaml(fm: str, lines_before: int) -> Any:
    loader = SafeLoader(fm)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in fm:  # an alias is "*name": without a "*" there is none to find
            _reject_aliases(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {lines_before + mark.line + 1})" if mark is not None else ""
        if "constructor for the tag" in (exc.problem or ""):
            raise PostError(f"front matter uses a YAML tag that is not allowed{where}") from None
        raise PostError(f"front matter is not valid YAML{where}") from None
    except yaml.YAMLError:
        raise PostError("front matter is not valid YAML") from None
    finally:
        loader.dispose()


def _reject_aliases(root: yaml.Node) -> None:
    """A node reached twice is an alias: refuse it before anything is built."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            line = node.start_mark.line + 1 if node.start_mark else "?"
            raise PostError(f"front matter uses a YAML alias (*name, near line {line}); aliases are not allowed")
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)


def _load_toml(fm: str, lines_before: int) -> Any:
    try:
        return tomllib.loads(fm)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        where = f" (line {lines_before + int(match.group(1))})" if match else ""
        raise PostError(f"front matter is not valid TOML{where}") from None
    except RecursionError:
        raise PostError("front matter is nested too deeply") from None


def _kind(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return f"single value ({type(value).__name__})"


# ---------------------------------------------------------------------------
# Cleaning strings


_PLACEHOLDERS = frozenset(
    {"summary", "description", "todo", "tbd", "tk", "n/a", "na", "none", "null", "placeholder", "lorem ipsum", "xxx"}
)
_HAS_WORD = re.compile(r"[^\W_]")
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


def _decode_entities(text: str) -> str:
    for _ in range(3):
        if "&" not in text:
            break
        decoded = html_lib.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _clean_inline(text: str) -> str:
    """A front matter string as display text: entities, the \\: quirk, whitespace."""
    return _collapse(_decode_entities(text).replace("\\:", ":"))


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


def _cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters, cut at a word boundary with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut falls inside a word
        space = head.rfind(" ")
        if space > limit // 2:
            head = head[:space]
    return head.rstrip(" ,;:.-–—") + ELLIPSIS


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dt.date, dt.time)):  # dt.datetime is a dt.date
        return value.isoformat()
    return None


def facet_key(value: str) -> str:
    """The form under which facet values are one value.

    Case-insensitive (casefold), entities decoded, runs of whitespace,
    underscores and hyphens become one "-", trimmed:
    ``facet_key("Customer Experience") == facet_key("customer_experience") == "customer-experience"``.
    """
    text = str(value)
    if "&" in text:
        text = _decode_entities(text)
    return re.sub(r"[\s_\-]+", "-", text.casefold()).strip("-")


# ---------------------------------------------------------------------------
# Dates


_DATE_RE = re.compile(
    r"""(\d{4})[-/](\d{1,2})[-/](\d{1,2})
    (?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?
       \s*(?:(Z|z|UTC|GMT)|([+-])(\d{1,2})(?::?(\d{2}))?)?
    )?""",
    re.VERBOSE,
)
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")


def parse_date(value: Any) -> dt.datetime | None:
    """A datetime from front matter, or None when there is no usable one.

    Accepts datetime/date objects (YAML, TOML) and strings: ISO 8601 with or
    without offset ("2017-01-05T09:00:00-05:00", "…Z"), "2015-12-14 1:00:28
    -0400" (one-digit hour, offset without colon), bare dates, RFC 2822 and
    "January 5, 2017".  Tz-aware only when the source gave an offset.
    """
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    match = _DATE_RE.fullmatch(text)
    if match:
        return _date_from_match(match)
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        return parsed
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _date_from_match(match: re.Match) -> dt.datetime | None:
    year, month, day, hour, minute, second, fraction, utc, sign, off_h, off_m = match.groups()
    try:
        tz = None
        if utc:
            tz = dt.timezone.utc
        elif sign:
            offset = dt.timedelta(hours=int(off_h), minutes=int(off_m or 0))
            tz = dt.timezone(-offset if sign == "-" else offset)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tzinfo=tz
        )
    except ValueError:  # month 13, hour 25, offset >= 24 h...
        return None


def _as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


# ---------------------------------------------------------------------------
# Body text


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody tfoot thead "
    "td th tr ul".split()
)
_DROP_TAGS = frozenset("script style noscript template iframe object svg".split())
_BLOCK_BREAK = object()
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


# ---------------------------------------------------------------------------
# One post -> Document


def _norm_key(key: Any) -> str:
    return re.sub(r"[\s_\-]", "", str(key)).casefold()


def _singular(name: str) -> str | None:
    if name.endswith("ies") and len(name) > 3:
        return name[:-3] + "y"
    if name.endswith("s") and len(name) > 1:
        return name[:-1]
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    if isinstance(value, str):
        return value.strip().casefold() in {"true", "yes", "on", "1"}
    return False


def _falsy(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value.strip().casefold() in {"false", "no", "off"}
    return False


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:59] + ELLIPSIS


def load_post(
    path: Path, root: Path, settings: Mapping[str, Any], now: dt.datetime | None = None, *, reference: bool = False
) -> Document:
    """One post file -> :class:`Document`.

    Raises :class:`PostError` when the file cannot be indexed and
    :class:`Unpublished` for drafts and expired posts (unless
    ``index_drafts``/``index_expired``); never anything else.  ``reference``
    parses with plain Python-Markdown and BeautifulSoup (bench/common.py's
    reference pipeline); the result is the same, only slower.
    """
    try:
        return _load_post(Path(path), Path(root), settings, now, reference)
    except (PostError, Unpublished):
        raise
    except RecursionError:
        raise PostError("too deeply nested to read") from None
    except Exception as exc:  # the promise: only PostError/Unpublished leave
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise PostError(f"unexpected {type(exc).__name__}" + (f": {detail}" if detail else "")) from exc


def _setting(settings: Mapping[str, Any], name: str) -> Any:
    return settings[name] if name in settings else DEFAULTS[name]


def _relative_id(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root)
    except ValueError:
        try:
            rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
        except ValueError:
            raise PostError("outside the content directory") from None
    doc_id = rel.as_posix()
    try:
        doc_id.encode("utf-8")
    except UnicodeEncodeError:
        raise PostError("file name is not valid UTF-8") from None
    return doc_id


def _load_post(
    path: Path, root: Path, settings: Mapping[str, Any], now: dt.datetime | None, reference: bool = False
) -> Document:
    doc_id = _relative_id(path, root)
    if not _inside(os.path.realpath(path), os.path.realpath(root)):
        raise PostError("outside the content directory (a link leads out of it)")
    data, mtime = _read(path, int(_setting(settings, "max_post_bytes")))
    meta_raw, body_source = _split(_decode(data))
    meta: dict[str, Any] = {}
    for key, value in meta_raw.items():
        meta.setdefault(_norm_key(key), value)

    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(f"{doc_id}: {message}")

    _check_published(meta, settings, now, warn)

    title = _title(meta, warn)
    date = _date(meta, mtime, warn)
    if path.suffix.lower() == ".html":
        source = strip_templates(body_source)
        body = html_to_text(source, reference=True) if reference else html_to_text(source)
    else:
        body = markdown_to_text(body_source, reference=True) if reference else markdown_to_text(body_source)
    names = _setting(settings, "facets")
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    facets = {name: _facet(meta, name, warn) for name in names}
    return Document(
        id=doc_id,
        title=title,
        summary=_summary(meta, body, warn),
        body=body,
        date=date,
        url=_url(meta, doc_id, title, date, str(_setting(settings, "url_pattern")), warn),
        facets=facets,
        warnings=warnings,
    )


def _check_published(meta: dict, settings: Mapping[str, Any], now: dt.datetime | None, warn: Callable) -> None:
    if not _setting(settings, "index_drafts"):
        if _truthy(meta.get("draft")):
            raise Unpublished("draft: true")
        if _falsy(meta.get("published")):
            raise Unpublished("published: false")
    if "expirydate" in meta and meta["expirydate"] not in (None, ""):
        raw = meta["expirydate"]
        expiry = parse_date(raw)
        if expiry is None:
            warn(f"expiry date {_shown(raw)} is not a date; ignored")
        elif not _setting(settings, "index_expired"):
            current = _as_utc(now) if now is not None else dt.datetime.now(dt.timezone.utc)
            if _as_utc(expiry) <= current:
                shown = raw.strip() if isinstance(raw, str) else _scalar_text(raw) or str(raw)
                raise Unpublished(f"expired {shown}")


def _title(meta: dict, warn: Callable) -> str:
    raw = meta.get("title")
    if raw is None:
        raise PostError("no title")
    text = _scalar_text(raw)
    if text is None:
        raise PostError(f"title is a {_kind(raw)}, not text")
    title = _clean_inline(text)
    if not title:
        raise PostError("no title")
    if len(title) > MAX_TITLE_CHARS:
        warn(f"title is {len(title)} characters; cut to {MAX_TITLE_CHARS}")
        title = _cut(title, MAX_TITLE_CHARS)
    return title


def _date(meta: dict, mtime: float, warn: Callable) -> dt.datetime:
    raw: Any = None
    for key in ("date", "publishdate", "pubdate", "published"):
        value = meta.get(key)
        if value is None or isinstance(value, bool) or value == "":
            continue
        raw = value
        parsed = parse_date(value)
        if parsed is not None:
            return parsed
        break
    shown = "missing" if raw is None else _shown(raw)
    warn(f"no usable date ({shown}); using the file's modification time")
    return dt.datetime.fromtimestamp(mtime, dt.timezone.utc)


def _summary(meta: dict, body: str, warn: Callable) -> str:
    for key in ("summary", "deck", "description"):
        raw = meta.get(key)
        if raw is None:
            continue
        text = _scalar_text(raw)
        if text is None:
            warn(f"{key} is a {_kind(raw)}, not text; ignored")
            continue
        summary = _collapse(strip_templates(_decode_entities(text).replace("\\:", ":")))
        if _HAS_WORD.search(summary) and summary.casefold().strip(" .…!?") not in _PLACEHOLDERS:
            return _cut(summary, MAX_SUMMARY_CHARS)
    words = body.split(maxsplit=SUMMARY_WORDS)
    if len(words) > SUMMARY_WORDS:
        return _cut(" ".join(words[:SUMMARY_WORDS]).rstrip(" ,;:.-–—") + ELLIPSIS, MAX_SUMMARY_CHARS)
    return _cut(" ".join(words), MAX_SUMMARY_CHARS)


def _facet(meta: dict, name: str, warn: Callable) -> list[str]:
    keys = [_norm_key(name)]
    singular = _singular(keys[0])
    if singular and singular in meta:
        keys.append(singular)
    raw_values: list[str] = []
    for key in keys:
        raw_values.extend(_facet_items(meta.get(key), name, warn))
    values: list[str] = []
    seen: set[str] = set()
    cut = 0
    for raw in raw_values:
        value = _clean_inline(raw)
        if len(value) > MAX_FACET_VALUE_CHARS:
            value = _cut(value, MAX_FACET_VALUE_CHARS)
            cut += 1
        key = facet_key(value)
        if not key or key in seen:
            continue
        seen.add(key)
        values.append(value)
    if cut:
        warn(f"{name}: {cut} value(s) longer than {MAX_FACET_VALUE_CHARS} characters cut")
    if len(values) > MAX_FACET_VALUES:
        warn(f"{name}: {len(values)} values; only the first {MAX_FACET_VALUES} kept")
        values = values[:MAX_FACET_VALUES]
    return values


def _facet_items(value: Any, name: str, warn: Callable) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        warn(f"{name} is a mapping, not a list of values; ignored")
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    found: list[str] = []
    skipped = 0
    for item in items:
        if item is None:
            continue
        inner = item if isinstance(item, (list, tuple)) else [item]
        for sub in inner:
            if sub is None:
                continue
            text = _scalar_text(sub)
            if text is None:
                skipped += 1
            else:
                found.append(text)
    if skipped:
        warn(f"{name}: {skipped} value(s) that are not text ignored")
    return found


# ---------------------------------------------------------------------------
# URL


_URL_FIELDS = frozenset({"year", "month", "day", "slug", "section"})
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")


def _url(meta: dict, doc_id: str, title: str, date: dt.datetime, pattern: str, warn: Callable) -> str:
    for key in ("url", "permalink"):
        raw = meta.get(key)
        if raw is None or raw == "":
            continue
        url = _front_matter_url(raw)
        if url is not None:
            return url
        warn(f"{key} {_shown(raw)} is not a site path or http(s) URL; ignored")
    parts = doc_id.split("/")
    fields = {
        "year": f"{date.year:04d}",
        "month": f"{date.month:02d}",
        "day": f"{date.day:02d}",
        "slug": _slug(meta, parts, title),
        "section": parts[0] if len(parts) > 1 else "",
    }
    try:
        pieces = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise PostError(f"setting url_pattern is not a valid pattern ({exc})") from None
    out = []
    for literal, name, spec, conversion in pieces:
        out.append(literal)
        if name is None:
            continue
        if name not in _URL_FIELDS or spec or conversion:
            allowed = " ".join("{%s}" % f for f in sorted(_URL_FIELDS))
            raise PostError(f"setting url_pattern has an unknown field {{{name}}}; use {allowed}")
        out.append(fields[name])
    return re.sub(r"(?<!:)/{2,}", "/", "".join(out))


def _front_matter_url(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    url = raw.strip()
    if not url or _BAD_URL_CHARS.search(url):
        return None
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", url)
    if scheme:
        return url if scheme.group(1).lower() in ("http", "https") else None
    if url.startswith("//"):
        return None
    return url if url.startswith("/") else "/" + url


def _slugify(text: str) -> str:
    return re.sub(r"[\W_]+", "-", text.casefold()).strip("-")


def _slug(meta: dict, parts: list[str], title: str) -> str:
    raw = meta.get("slug")
    text = _scalar_text(raw) if raw is not None else None
    if text is not None and text.strip():
        return re.sub(r"\s+", "-", _clean_inline(text)).casefold()
    stem = parts[-1].rsplit(".", 1)[0]
    if stem.casefold() in ("index", "_index") and len(parts) > 1:
        stem = parts[-2]
    stem = re.sub(r"^\d{4}-\d{1,2}-\d{1,2}(?:-|$)", "", stem)
    stem = re.sub(r"\s+", "-", stem.strip()).casefold()
    if stem:
        return stem
    return _slugify(title) or "post"
