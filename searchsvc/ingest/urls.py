"""A post's URL: front matter ``url``/``permalink`` when safe, else the URL pattern.

``url``/``permalink`` is used when it is a site path or an http(s) URL (any
other scheme, e.g. ``javascript:``, is ignored with a warning); otherwise
``url_pattern``.  The slug is ``slug`` front matter, else the file name
without a ``YYYY-MM-DD-`` prefix (the folder name for ``index.md``), else the
slugified title; generated URLs are lower case (Hugo's default).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from typing import Any, Callable

from ..settings import URL_FIELDS
from .clean import clean_inline, scalar_text
from .document import PostError
from .fields import shown


_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")


def page_url(meta: dict, doc_id: str, title: str, date: dt.datetime, pattern: str, warn: Callable) -> str:
    for key in ("url", "permalink"):
        raw = meta.get(key)
        if raw is None or raw == "":
            continue
        url = front_matter_url(raw)
        if url is not None:
            return url
        warn(f"{key} {shown(raw)} is not a site path or http(s) URL; ignored")
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
        if name not in URL_FIELDS or spec or conversion:
            allowed = " ".join("{%s}" % f for f in sorted(URL_FIELDS))
            raise PostError(f"setting url_pattern has an unknown field {{{name}}}; use {allowed}")
        out.append(fields[name])
    return re.sub(r"(?<!:)/{2,}", "/", "".join(out))


def front_matter_url(raw: Any) -> str | None:
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
    text = scalar_text(raw) if raw is not None else None
    if text is not None and text.strip():
        return re.sub(r"\s+", "-", clean_inline(text)).casefold()
    stem = parts[-1].rsplit(".", 1)[0]
    if stem.casefold() in ("index", "_index") and len(parts) > 1:
        stem = parts[-2]
    stem = re.sub(r"^\d{4}-\d{1,2}-\d{1,2}(?:-|$)", "", stem)
    stem = re.sub(r"\s+", "-", stem.strip()).casefold()
    if stem:
        return stem
    return _slugify(title) or "post"
