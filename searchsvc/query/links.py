"""The one URL-safety rule for every link the service emits from content.

A link is safe when it is an http(s) URL with a host, or a path that cannot
become scheme-relative or take a scheme: after percent-decoding (repeatedly)
it has no control characters, no backslash, does not start with
``//``, and any ``:`` comes after a ``/``, ``?`` or ``#``.  Whatever built the
URL (``url``/``permalink`` front matter, ``url_pattern``, a generator's
permalinks, term pages), an unsafe one is never written as an ``href``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_CONTROLS = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]")
# A decoded space is a generator's real URL (Hugo and Jekyll write %20 for a
# folder or category with a space); a raw one never is.
_DECODED_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_HTTP = re.compile(r"https?://[^/\\?#@\s]+(?:[/?#]|$)", re.IGNORECASE)


def _decoded(url: str) -> str:
    for _ in range(4):
        plain = unquote(url)
        if plain == url:
            break
        url = plain
    return url


def is_safe_link(url: object) -> bool:
    if not isinstance(url, str) or not url:
        return False
    plain = _decoded(url)
    if _CONTROLS.search(url) or _DECODED_CONTROLS.search(plain) or "\\" in plain:
        return False
    if _HTTP.match(url) and _HTTP.match(plain.replace(" ", "%20")):
        return True
    if plain.startswith("//") or url.startswith("//"):
        return False
    head = re.split(r"[/?#]", plain, maxsplit=1)[0]
    return ":" not in head


def safe_link(url: object) -> str | None:
    """``url`` when it is safe, else None (the result is shown without a link)."""
    return url if is_safe_link(url) else None
