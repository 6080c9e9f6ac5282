"""Jekyll 4.3's URL arithmetic: slugs, permalink templates, escaping, base URLs.

Each function mirrors one piece of Jekyll (or of the Addressable gem it
calls); the Ruby it follows is named in its docstring, because the quirks are
the point: a template value is escaped but the template's own text is not,
``:categories`` is lower-cased but ``:title`` keeps its case, and a URL is
cleaned by squeezing ``//`` and turning ``..`` into ``/``.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import unicodedata
import urllib.parse
from typing import Any, Callable, Mapping

from ..dates import parse_date

# Jekyll::Configuration::STYLE_TO_PERMALINK
NAMED_STYLES = {
    "none": "/:categories/:title:output_ext",
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
}

# Jekyll::Drops::UrlDrop's placeholders (the ones a template may use).
DATE_PLACEHOLDERS = {
    "year": "%Y",
    "month": "%m",
    "day": "%d",
    "hour": "%H",
    "minute": "%M",
    "second": "%S",
    "i_day": "%-d",
    "i_month": "%-m",
    "short_month": "%b",
    "long_month": "%B",
    "short_year": "%y",
    "w_year": "%G",
    "week": "%V",
    "w_day": "%u",
    "short_day": "%a",
    "long_day": "%A",
    "y_day": "%j",
}
DOCUMENT_PLACEHOLDERS = frozenset(DATE_PLACEHOLDERS) | {
    "collection",
    "name",
    "title",
    "slug",
    "categories",
    "slugified_categories",
    "path",
    "output_ext",
}
PAGE_PLACEHOLDERS = ("path", "basename", "output_ext")  # Jekyll::Page#url_placeholders, in order

_PLACEHOLDER = re.compile(r":([a-z_]+)")
_MONTHS = "January February March April May June July August September October November December".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


class PlaceholderError(ValueError):
    """A permalink names a placeholder Jekyll does not have (Jekyll stops the build)."""


def style_to_permalink(style: str) -> str:
    """Configuration#style_to_permalink: a named style's pattern, or the text itself."""
    return NAMED_STYLES.get(style, style)


def add_permalink_suffix(template: str, style: str) -> str:
    """Utils.add_permalink_suffix: end a page/collection template like the site's style."""
    if style == "pretty":
        return template + "/"
    if style in ("date", "ordinal", "none"):
        return template + ":output_ext"
    # Any other style (a pattern, or "weekdate", which Jekyll forgot here) by its ending.
    if style.endswith("/"):
        template += "/"
    if style.endswith(":output_ext"):
        template += ":output_ext"
    return template


def unknown_placeholders(template: str) -> list[str]:
    """The placeholders of a document template that Jekyll's UrlDrop does not know."""
    bad = []
    for name in _PLACEHOLDER.findall(template):
        pool = [name, name[:-1]] if name.endswith("_") else [name]
        if not any(key in DOCUMENT_PLACEHOLDERS for key in pool):
            bad.append(":" + name)
    return bad


# ---------------------------------------------------------------------------
# Slugs


def _slug_keeps(char: str, extra: str) -> bool:
    # Jekyll's classes are [\p{M}\p{L}\p{Nd}] plus, in "pretty" mode, ._~!$&'()+,;=@
    category = unicodedata.category(char)
    return category[0] in "ML" or category == "Nd" or char in extra


_ASCII_SLUG = {"default": re.compile(r"[^A-Za-z0-9]+"), "pretty": re.compile(r"[^A-Za-z0-9._~!$&'()+,;=@]+")}
_END_HYPHENS = re.compile(r"^-|-$", re.MULTILINE)  # Ruby's gsub(/^-|-$/): one at each end of each line


def slugify(text: str | None, mode: str = "default", cased: bool = False) -> str | None:
    """Utils.slugify for the modes URLs use ("default", "pretty")."""
    if text is None:
        return None
    if text.isascii():  # the only ASCII letters and digits are [A-Za-z0-9]; no marks
        slug = _ASCII_SLUG[mode].sub("-", text)
    else:
        extra = "._~!$&'()+,;=@" if mode == "pretty" else ""
        out: list[str] = []
        for char in text:
            if _slug_keeps(char, extra):
                out.append(char)
            elif not out or out[-1] != "\x00":
                out.append("\x00")  # a run of other characters becomes one hyphen
        slug = "".join(out).replace("\x00", "-")
    slug = _END_HYPHENS.sub("", slug)
    return slug if cased else slug.lower()


def titleize_slug(slug: str) -> str:
    """Utils.titleize_slug: "hello-world" -> "Hello World" (Ruby's capitalize lowers the rest)."""
    return " ".join(part[:1].upper() + part[1:].lower() for part in slug.split("-"))


# ---------------------------------------------------------------------------
# Escaping (Jekyll::URL.escape_path via Addressable::URI.encode)

# Addressable's character classes; urllib's quote() always keeps A-Z a-z 0-9 _ . - ~ as well.
_PCHAR = "!$&'()*+,;=:@"
_CLASSES = {
    "scheme": "+",
    "authority": _PCHAR + "[]",
    "path": _PCHAR + "/",
    "query": _PCHAR + "/?",
    "fragment": _PCHAR + "/?",
}
_URI = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.DOTALL)
_PLAIN = re.compile(r"^[a-zA-Z0-9./-]+$")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9.+\-]*")


def _encode(text: str, safe: str) -> str:
    return urllib.parse.quote(text, safe=safe, errors="surrogateescape")


def escape_path(value: str) -> str:
    """Jekyll::URL.escape_path: percent-encode a placeholder value as Addressable does.

    Addressable parses the value as a URI first, so "?" survives (it starts a
    query) and the first "#" is re-encoded by Jekyll afterwards.
    """
    if not value or _PLAIN.match(value):
        return value
    scheme, authority, path, query, fragment = _URI.match(value).groups()
    if scheme is not None and not _SCHEME.fullmatch(scheme):
        raise ValueError(f"{value!r} is not a valid URI part (Addressable: invalid scheme format)")
    if path.startswith("//") and authority is None:
        raise ValueError(f"{value!r} is not a valid URI part (a path with two leading slashes)")
    out = ""
    if scheme is not None:
        out += _encode(scheme, _CLASSES["scheme"]) + ":"
    if authority is not None:
        out += "//" + _encode(authority, _CLASSES["authority"])
    out += _encode(path, _CLASSES["path"])
    if query is not None:
        out += "?" + _encode(query, _CLASSES["query"])
    if fragment is not None:
        out += "#" + _encode(fragment, _CLASSES["fragment"])
    return out.replace("#", "%23", 1)


# ---------------------------------------------------------------------------
# Templates


def expand_document(template: str, values: Mapping[str, Callable[[], str | None]]) -> str:
    """URL#generate_url_from_drop: every ``:name`` replaced by its escaped value."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        pool = [name, name[:-1]] if name.endswith("_") else [name]
        winner = next((key for key in pool if key in values), None)
        if winner is None:
            raise PlaceholderError(f"permalink {template!r} uses :{name}, which Jekyll does not have")
        return match.group(0).replace(":" + winner, escape_path(values[winner]() or ""), 1)

    return _PLACEHOLDER.sub(replace, template)


def expand_page(template: str, values: Mapping[str, str | None]) -> str:
    """URL#generate_url_from_hash: plain text replacement, in Page#url_placeholders' order."""
    result = template
    for key in PAGE_PLACEHOLDERS:
        if ":" not in result:
            break
        value = values.get(key)
        if value is None:
            result = result.replace("/:" + key, "")
        else:
            result = result.replace(":" + key, escape_path(value))
    return result


_SLASHES = re.compile(r"/{2,}")


def sanitize_url(text: str) -> str:
    """URL#sanitize_url: a leading "/", ".." -> "/", "./" dropped, runs of "/" squeezed."""
    result = ("/" + text).replace("..", "/").replace("./", "")
    return _SLASHES.sub("/", result)


def date_value(date: dt.datetime, name: str) -> str:
    """One of UrlDrop's date placeholders, with English names whatever the locale."""
    if name in ("short_month", "long_month"):
        month = _MONTHS[date.month - 1]
        return month[:3] if name == "short_month" else month
    if name in ("short_day", "long_day"):
        day = _DAYS[date.weekday()]
        return day[:3] if name == "short_day" else day
    if name == "i_day":
        return str(date.day)
    if name == "i_month":
        return str(date.month)
    if name == "w_year":
        return f"{date.isocalendar()[0]:04d}"
    if name == "week":
        return f"{date.isocalendar()[1]:02d}"
    if name == "w_day":
        return str(date.isoweekday())
    if name == "year":
        return f"{date.year:04d}"
    return date.strftime(DATE_PLACEHOLDERS[name])


# ---------------------------------------------------------------------------
# Base URLs (the relative_url / absolute_url filters, Addressable's normalize)

_NORMAL_PATH = re.compile(r"(?:/(?!\.\.?(?:/|$))[A-Za-z0-9\-._~!$&'()*+,;=:@]*)*/?")
_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21"}
_QUERY_KEEP = "!$'()*+,=:@/?"


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]*")


def _normalize_component(text: str, safe: str) -> str:
    """Addressable::URI.normalize_component: decode every %XX, NFKC, encode again."""
    if safe == _PCHAR and _PLAIN_SEGMENT.fullmatch(text):
        return text
    raw = urllib.parse.unquote_to_bytes(text) if "%" in text else text.encode("utf-8", "surrogateescape")
    try:
        decoded = unicodedata.normalize("NFKC", raw.decode("utf-8"))
    except UnicodeDecodeError:
        return urllib.parse.quote_from_bytes(raw, safe=safe)
    return _encode(decoded, safe)


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                out.append("")
        elif segment == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/".join(out)


def normalize_uri(text: str) -> str:
    """Addressable::URI.parse(text).normalize.to_s for the URLs Jekyll's filters build."""
    scheme, authority, path, query, fragment = _URI.match(text).groups()
    out = ""
    if scheme is not None:
        scheme = scheme.lower()
        out += scheme + ":"
    if authority is not None:
        userinfo, _, hostport = authority.rpartition("@")
        host, port = hostport, ""
        match = re.fullmatch(r"(.*?):([^:@\[\]]*)", hostport)
        if match:
            host, port = match.groups()
        host = host.lower()
        if any(ord(c) > 127 for c in host):
            host = host.encode("idna").decode("ascii")
        if port == _DEFAULT_PORTS.get(scheme or ""):
            port = ""
        out += "//" + (userinfo + "@" if userinfo else "") + host + (":" + port if port else "")
    path = path.strip()
    if not _NORMAL_PATH.fullmatch(path):  # most page paths are already normal: no %, no dot segment
        path = _remove_dot_segments("/".join(_normalize_component(part, _PCHAR) for part in path.split("/")))
    if not path and scheme in ("http", "https", "ftp", "tftp"):
        path = "/"
    out += path
    if query is not None:
        out += "?" + "&".join(_normalize_component(part, _QUERY_KEEP) for part in query.split("&"))
    if fragment is not None:
        out += "#" + _normalize_component(fragment, _CLASSES["fragment"])
    return out


def _leading_slash(text: str) -> str:
    return text if not text or text.startswith("/") else "/" + text


def is_absolute(url: str) -> bool:
    return _URI.match(url).group(1) is not None


def relative_url(baseurl: str, url: str) -> str:
    """Jekyll's relative_url filter: the base path joined to a page URL, normalised."""
    if is_absolute(url):
        return url
    base = baseurl[:-1] if baseurl.endswith("/") else baseurl  # Ruby's chomp("/"): one slash
    return normalize_uri(_leading_slash(base) + _leading_slash(url))


def absolute_url(site_url: str, baseurl: str, url: str) -> str:
    """Jekyll's absolute_url filter (relative_url when the site has no ``url``)."""
    if is_absolute(url):
        return url
    if not site_url:
        return relative_url(baseurl, url)
    return normalize_uri(site_url + relative_url(baseurl, url))


# ---------------------------------------------------------------------------
# Dates (Utils.parse_date(value.to_s): Time.parse, then localtime)


def local_time(naive: dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    """A wall-clock time in the site's zone (None: the process's local zone, as Ruby's Time)."""
    return naive.astimezone() if tz is None else naive.replace(tzinfo=tz)


def jekyll_time(value: Any, tz: dt.tzinfo | None) -> dt.datetime:
    """A front-matter or config date as Jekyll reads it; ValueError when Jekyll cannot."""
    if isinstance(value, dt.datetime):
        # An unquoted YAML timestamp without offset is UTC to Psych; PyYAML leaves it naive.
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(tz)
    if isinstance(value, dt.date):
        return local_time(dt.datetime(value.year, value.month, value.day), tz)
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f"date {ruby_str(value)!r} is not a date Jekyll can read (Jekyll stops the build)")
    return parsed.astimezone(tz) if parsed.tzinfo else local_time(parsed, tz)


def name_date(text: str, tz: dt.tzinfo | None) -> dt.datetime:
    """A file name's date as Time.parse reads it: 2-digit years, a day past the month's end rolls on."""
    pieces = text.split("-")
    year, month, day = (int(p) for p in pieces)
    if len(pieces[0]) == 2:
        year += 2000 if year < 69 else 1900
    if not 1 <= month <= 12 or not 1 <= day <= 31 or year < 1:
        raise ValueError(f"the date {text} in the file name is not a date (Jekyll stops the build)")
    return local_time(dt.datetime(year, month, 1) + dt.timedelta(days=day - 1), tz)


# ---------------------------------------------------------------------------
# A document's URL (Document#url with Drops::UrlDrop)


def document_url(
    template: str, rel: str, folder: str, label: str, data: Mapping[str, Any], date: dt.datetime, output_ext: str
) -> str:
    """``rel`` is Jekyll's relative_path, ``folder`` the collection's "_label"."""
    ext = posixpath.splitext(rel)[1]
    basename = posixpath.splitext(rel.rsplit("/", 1)[-1])[0]
    # cleaned_relative_path: the extension off, the first "_label" anywhere out, trailing dots off.
    cleaned = (rel[: len(rel) - len(ext)] if ext else rel).replace(folder, "", 1).rstrip(".")
    slug = ruby_str(data.get("slug"))
    categories = [ruby_str(c) for c in data.get("categories") or []]
    values: dict[str, Callable[[], str | None]] = {
        "collection": lambda: label,
        "name": lambda: slugify(basename),
        "title": lambda: slugify(slug, "pretty", cased=True),
        "slug": lambda: slugify(slug),
        "categories": lambda: "/".join(dict.fromkeys(c.lower() for c in categories)),
        "slugified_categories": lambda: "/".join(dict.fromkeys(slugify(c) or "" for c in categories)),
        "path": lambda: cleaned,
        "output_ext": lambda: output_ext,
    }
    values.update({name: (lambda name=name: date_value(date, name)) for name in DATE_PLACEHOLDERS})
    return sanitize_url(expand_document(template, values))


def ruby_str(value: Any) -> str:
    """Ruby's to_s for YAML scalars (true, not True; nil is "")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
