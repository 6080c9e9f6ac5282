"""A post's front matter -> its fields: published or not, title, date, summary, facets.

Decisions for the ambiguous cases (tests pin each one):

* Strings from front matter (title, summary, facet values) are entity-decoded
  until stable, the WordPress export's ``\\:`` becomes ``:``, and
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
* Summary: the first of the ``summary_keys`` setting's keys (default
  ``summary``, ``excerpt``, ``deck``, ``description``) with a value, each cleaned as
  above plus Liquid/Hugo/WordPress shortcodes removed; a value with no letter
  or digit ("...", "…", "-") or a placeholder word (see ``PLACEHOLDERS``)
  counts as missing; else the first 40 words of the body.  Cut at a word
  boundary to 500 characters with "…".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable, Mapping

from ..words import decode_entities, facet_key
from .clean import ELLIPSIS, HAS_WORD, PLACEHOLDERS, clean_inline, collapse, cut, scalar_text, strip_templates
from .dates import as_utc, parse_date
from .document import PostError, Unpublished
from .frontmatter import kind_of
from ..settings import DEFAULTS, setting  # noqa: F401 (setting: ingest modules import it from here)

MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 500
SUMMARY_WORDS = 40
MAX_FACET_VALUE_CHARS = 200
MAX_FACET_VALUES_PER_POST = 100


def norm_key(key: Any) -> str:
    return re.sub(r"[\s_\-]", "", str(key)).casefold()


def _singular(name: str) -> str | None:
    if name.endswith("ies") and len(name) > 3:
        return name[:-3] + "y"
    if name.endswith("s") and len(name) > 1:
        return name[:-1]
    return None


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    if isinstance(value, str):
        return value.strip().casefold() in {"true", "yes", "on", "1"}
    return False


def falsy(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value.strip().casefold() in {"false", "no", "off"}
    return False


def shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:59] + ELLIPSIS



def check_published(meta: dict, settings: Mapping[str, Any], now: dt.datetime | None, warn: Callable) -> None:
    if not setting(settings, "index_drafts"):
        if truthy(meta.get("draft")):
            raise Unpublished("draft: true")
        if falsy(meta.get("published")):
            raise Unpublished("published: false")
    if "expirydate" in meta and meta["expirydate"] not in (None, ""):
        raw = meta["expirydate"]
        expiry = parse_date(raw)
        if expiry is None:
            warn(f"expiry date {shown(raw)} is not a date; ignored")
        elif not setting(settings, "index_expired"):
            current = as_utc(now) if now is not None else dt.datetime.now(dt.timezone.utc)
            if as_utc(expiry) <= current:
                text = raw.strip() if isinstance(raw, str) else scalar_text(raw) or str(raw)
                raise Unpublished(f"expired {text}")


def title_of(meta: dict, warn: Callable) -> str | None:
    raw = meta.get("title")
    if raw is None:
        return None
    text = scalar_text(raw)
    if text is None:
        raise PostError(f"title is a {kind_of(raw)}, not text")
    title = clean_inline(text)
    if not title:
        return None
    if len(title) > MAX_TITLE_CHARS:
        warn(f"title is {len(title)} characters; cut to {MAX_TITLE_CHARS}")
        title = cut(title, MAX_TITLE_CHARS)
    return title


def date_of(meta: dict, mtime: float, warn: Callable) -> dt.datetime:
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
    what = "missing" if raw is None else shown(raw)
    warn(f"no usable date ({what}); using the file's modification time")
    return dt.datetime.fromtimestamp(mtime, dt.timezone.utc)


def summary_of(meta: dict, body: str, warn: Callable, keys=DEFAULTS["summary_keys"]) -> str:
    for key in keys:
        raw = meta.get(norm_key(key))
        if raw is None:
            continue
        text = scalar_text(raw)
        if text is None:
            warn(f"{key} is a {kind_of(raw)}, not text; ignored")
            continue
        summary = collapse(strip_templates(decode_entities(text).replace("\\:", ":")))
        if HAS_WORD.search(summary) and summary.casefold().strip(" .…!?") not in PLACEHOLDERS:
            return cut(summary, MAX_SUMMARY_CHARS)
    words = body.split(maxsplit=SUMMARY_WORDS)
    if len(words) > SUMMARY_WORDS:
        return cut(" ".join(words[:SUMMARY_WORDS]).rstrip(" ,;:.-–—") + ELLIPSIS, MAX_SUMMARY_CHARS)
    return cut(" ".join(words), MAX_SUMMARY_CHARS)


def facet_values_of(meta: dict, name: str, warn: Callable) -> list[str]:
    keys = [norm_key(name)]
    singular = _singular(keys[0])
    if singular and singular in meta:
        keys.append(singular)
    raw_values: list[str] = []
    for key in keys:
        raw_values.extend(_facet_items(meta.get(key), name, warn))
    return clean_facet_values(raw_values, name, warn)


def clean_facet_values(raw_values: list, name: str, warn: Callable) -> list[str]:
    """Raw facet values (a generator's, or front matter's) as display values: cleaned, cut, unique."""
    raw_values = _facet_items(raw_values, name, warn)
    values: list[str] = []
    seen: set[str] = set()
    shortened = 0
    for raw in raw_values:
        value = clean_inline(raw)
        if len(value) > MAX_FACET_VALUE_CHARS:
            value = cut(value, MAX_FACET_VALUE_CHARS)
            shortened += 1
        key = facet_key(value)
        if not key or key in seen:
            continue
        seen.add(key)
        values.append(value)
    if shortened:
        warn(f"{name}: {shortened} value(s) longer than {MAX_FACET_VALUE_CHARS} characters cut")
    if len(values) > MAX_FACET_VALUES_PER_POST:
        warn(f"{name}: {len(values)} values; only the first {MAX_FACET_VALUES_PER_POST} kept")
        values = values[:MAX_FACET_VALUES_PER_POST]
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
            text = scalar_text(sub)
            if text is None:
                skipped += 1
            else:
                found.append(text)
    if skipped:
        warn(f"{name}: {skipped} value(s) that are not text ignored")
    return found
