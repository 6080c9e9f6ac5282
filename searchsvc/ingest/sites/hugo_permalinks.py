"""Hugo 0.111's URL arithmetic: path sanitising, Go's URL escaping, permalink patterns.

Each function mirrors one step Hugo takes (helpers.PathSpec.UnicodeSanitize,
URLize, net/url's Parse+String, resources/page/permalinks.go), as checked
against the real ``hugo`` by tests/ingest/sites/test_hugo.py.  Findings that
the code alone would not explain:

* An expanded permalink pattern is query-unescaped and sanitised again as a
  whole: ``+`` becomes ``-``, ``%2F`` becomes ``/``, the pattern's literal text
  is lower-cased too (``/Lit+Eral/`` -> ``/lit-eral/``).  Default path-based
  URLs are sanitised once (``a+b.md`` -> ``a+b``).
* ``:sections[last]`` on a page of a first-level section is empty and
  ``:sections[:last]`` is that section (Hugo 0.111 takes ``last`` as at least 1).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Callable

_HEX = frozenset("0123456789abcdefABCDEF")
_PATH_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@")
_VALID_ENCODED = _PATH_SAFE | frozenset(b"!'()*[]%")
_FRAGMENT_SAFE = _PATH_SAFE | frozenset(b"?!()*")


def go_lower(text: str) -> str:
    """Go's strings.ToLower: one rune to one rune (Python maps 'İ' to two)."""
    return text.replace("\u0130", "i").lower()


def remove_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


_ASCII_KEPT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./\\_#+~-@")


def _allowed(text: str, i: int, char: str) -> bool:
    if char in _ASCII_KEPT:
        return True
    if char == "%":
        return i + 2 < len(text) and text[i + 1] in _HEX and text[i + 2] in _HEX
    if char < "\x80":
        return False
    category = unicodedata.category(char)
    return category[0] in "LM" or category == "Nd"


def sanitize(text: str, *, lower: bool = True, no_accents: bool = False) -> str:
    """Hugo's MakePath(Sanitized): keep letters, digits, marks and ``./\\_#+~-@%XX``; spaces -> one '-'."""
    if no_accents:
        text = remove_accents(text)
    if _ASCII_KEPT.issuperset(text):  # most paths: nothing to drop or join
        return go_lower(text) if lower else text
    out: list[str] = []
    prepend = was_hyphen = False
    for i, char in enumerate(text):
        if _allowed(text, i, char):
            was_hyphen = char == "-"
            if prepend and not was_hyphen:
                out.append("-")
            prepend = False
            out.append(char)
        elif out and not was_hyphen and char.isspace():
            prepend = True
    result = "".join(out)
    return go_lower(result) if lower else result


def _unescape(text: str, plus_is_space: bool = False) -> str | None:
    """Percent-decoding as Go's url.unescape; None where Go reports an error."""
    if plus_is_space:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    raw = bytearray()
    i = 0
    data = text.encode("utf-8", "surrogatepass")
    while i < len(data):
        if data[i] == 0x25:  # '%'
            pair = data[i + 1 : i + 3].decode("ascii", "replace")
            if len(pair) < 2 or not set(pair) <= _HEX:
                return None
            raw.append(int(pair, 16))
            i += 3
        else:
            raw.append(data[i])
            i += 1
    return raw.decode("utf-8", "surrogateescape")


def query_unescape(text: str) -> str | None:
    return _unescape(text, plus_is_space=True)


def _escape(text: str, safe: frozenset) -> str:
    data = text.encode("utf-8", "surrogateescape")
    return "".join(chr(b) if b in safe else f"%{b:02X}" for b in data)


def url_escape(uri: str) -> str:
    """net/url Parse then String for a path (Hugo's URLEscape): valid escapes kept, the rest escaped."""
    uri, hash_mark, fragment = uri.partition("#")
    uri, question, query = uri.partition("?")
    decoded = _unescape(uri)
    if decoded is None:
        return uri + question + query + hash_mark + fragment
    encoded = uri.encode("utf-8", "surrogateescape")
    path = uri if all(b in _VALID_ENCODED for b in encoded) else _escape(decoded, _PATH_SAFE)
    out = path + question + query
    if hash_mark:
        frag = _unescape(fragment)
        out += "#" + (fragment if frag is None else _escape(frag, _FRAGMENT_SAFE))
    return out


def urlize(text: str, *, lower: bool = True, no_accents: bool = False) -> str:
    return url_escape(sanitize(text, lower=lower, no_accents=no_accents))



def with_slash(url: str | None) -> str:
    url = (url or "").strip()
    return url if url.endswith("/") else url + "/"


def front_matter_url(url: str, base: str, prefix: str) -> str:
    """A page's ``url``: kept as written (case, escapes), a folder unless it names a file; relative
    to the language's root when it has no leading slash."""
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://", url):
        return url
    path = url if url.startswith("/") else f"{prefix}/{url}"
    last = path.rstrip("/").rpartition("/")[2]
    if not path.endswith("/") and "." not in last:
        path += "/"
    return base + url_escape(path).lstrip("/")


# ---------------------------------------------------------------------------
# Go time layouts, for permalink tokens such as :2006 or :Jan

_GO_LAYOUT = re.compile(r"January|Jan(?![a-z])|Monday|Mon(?![a-z])|MST|2006|002|_2|06|01|02|15|03|04|05|PM|pm|Z07:00|-07:00|-0700|Z0700|1|2|3|4|5")
_MONTHS = "January February March April May June July August September October November December".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def _go_chunk(chunk: str, d: dt.datetime) -> str:
    hour12 = d.hour % 12 or 12
    offset = d.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    values = {
        "January": _MONTHS[d.month - 1], "Jan": _MONTHS[d.month - 1][:3], "Monday": _DAYS[d.weekday()],
        "Mon": _DAYS[d.weekday()][:3], "MST": d.tzname() or "UTC", "2006": f"{d.year:04d}", "06": f"{d.year % 100:02d}",
        "002": f"{d.timetuple().tm_yday:03d}", "_2": f"{d.day:2d}", "01": f"{d.month:02d}", "02": f"{d.day:02d}",
        "15": f"{d.hour:02d}", "03": f"{hour12:02d}", "04": f"{d.minute:02d}", "05": f"{d.second:02d}",
        "PM": "PM" if d.hour >= 12 else "AM", "pm": "pm" if d.hour >= 12 else "am",
        "Z07:00": "Z" if minutes == 0 else f"{sign}{hh:02d}:{mm:02d}", "-07:00": f"{sign}{hh:02d}:{mm:02d}",
        "-0700": f"{sign}{hh:02d}{mm:02d}", "Z0700": "Z" if minutes == 0 else f"{sign}{hh:02d}{mm:02d}",
        "1": str(d.month), "2": str(d.day), "3": str(hour12), "4": str(d.minute), "5": str(d.second),
    }
    return values[chunk]


def go_format(layout: str, d: dt.datetime) -> str:
    return _GO_LAYOUT.sub(lambda m: _go_chunk(m.group(0), d), layout)


def is_go_layout(attr: str) -> bool:
    return bool(_GO_LAYOUT.search(attr))


# ---------------------------------------------------------------------------
# Permalink patterns

_ATTRIBUTE = re.compile(r":\w+(\[.+?\])?", re.ASCII)  # Go's \w is ASCII
_KNOWN = frozenset(
    "year month monthname day weekday weekdayname yearday section sections title slug slugorfilename filename".split()
)


class PatternError(ValueError):
    pass


def check_pattern(pattern: str) -> None:
    """Raise PatternError for a token Hugo 0.111 does not know (it refuses to build)."""
    for match in _ATTRIBUTE.finditer(pattern):
        attr = match.group(0)[1:]
        if attr in _KNOWN or attr.startswith("sections[") or is_go_layout(attr):
            continue
        raise PatternError(f"permalink {pattern!r}: unknown token :{attr}")


def _slice_sections(cut: str, entries: list[str]) -> list[str]:
    spec = cut.strip().lower()[1:-1]
    if not entries:
        return []
    last = max(len(entries) - 1, 1)  # what Hugo 0.111 does (see the module docstring)

    def index(text: str, default: int) -> int:
        if text == "":
            return default
        if text == "last":
            return last
        try:
            return max(int(text), 0)
        except ValueError:
            return 0

    if ":" not in spec:
        n = index(spec, 0)
        return [entries[n]] if n < len(entries) and entries[n] else []
    low, high = spec.split(":", 1)
    lo, hi = index(low, 0), min(index(high, len(entries)), len(entries))
    return entries[lo:hi] if lo < len(entries) else []


def expand(pattern: str, token: Callable[[str], str], date: dt.datetime, sections: list[str]) -> str:
    """The pattern with every :token replaced; ``token`` answers title/slug/filename/section."""

    def replace(match: re.Match) -> str:
        attr = match.group(0)[1:]
        if attr == "year":
            return str(date.year)
        if attr == "month":
            return f"{date.month:02d}"
        if attr == "monthname":
            return _MONTHS[date.month - 1]
        if attr == "day":
            return f"{date.day:02d}"
        if attr == "weekday":
            return str((date.weekday() + 1) % 7)  # Go: Sunday is 0
        if attr == "weekdayname":
            return _DAYS[date.weekday()]
        if attr == "yearday":
            return str(date.timetuple().tm_yday)
        if attr == "sections":
            return "/".join(sections)
        if attr.startswith("sections["):
            return "/".join(_slice_sections(attr[len("sections") :], sections))
        if attr in _KNOWN:
            return token(attr)
        return go_format(attr, date)

    return _ATTRIBUTE.sub(replace, pattern)
