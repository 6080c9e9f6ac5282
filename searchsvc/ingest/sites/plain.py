"""A plain folder of posts (no generator config): the rules searchsvc has always applied.

* Every ``.md``/``.markdown``/``.html`` file under the folder, hidden names
  skipped, links followed only inside it (``walk``); generators' output
  folders at the top (``public/``, ``_site/``, ``resources/``) and files
  matching ``SEARCHSVC_EXCLUDE`` are never read.
* Published: ``draft`` true and ``published: false`` are drafts (unless
  ``index_drafts``); an expiry date at or before now is expired (unless
  ``index_expired``); future dates are indexed; ``search: false`` and the
  other opt-outs (``opt_out``) exclude a page.
* URL: ``url``/``permalink`` when it is a site path or an http(s) URL,
  otherwise ``url_pattern`` (see ``ingest.urls``).
* Date: ``date``, else ``publishDate``/``pubdate``/``published``, else the
  file's modification time, with a warning.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import os
import string
from pathlib import Path
from typing import Any, Iterator, Mapping

from ...settings import URL_FIELDS, setting
from ..document import EXCLUDED, PostError, Skip
from ..walk import walk_posts
from .base import Candidate, PageRules, Site, SiteConfigError

# The front-matter rules (..fields, ..urls: YAML, dates, cleaning) are
# imported in rules(): a reindex with nothing to parse never needs them.

OUTPUT_FOLDERS = ("public", "_site", "resources")


def check_url_pattern(pattern: str) -> None:
    """Refuse a pattern with an unknown {field} before anything is read or written."""
    allowed = " ".join("{%s}" % f for f in sorted(URL_FIELDS))
    try:
        pieces = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise SiteConfigError(f"SEARCHSVC_URL_PATTERN (setting url_pattern) {pattern!r} is not a valid pattern ({exc}); use {allowed}") from None
    for _, name, spec, conversion in pieces:
        if name is not None and (name not in URL_FIELDS or spec or conversion):
            raise SiteConfigError(f"SEARCHSVC_URL_PATTERN (setting url_pattern) has an unknown field {{{name}}}; use {allowed}")


def excluded_by(rel: str, patterns: tuple[str, ...]) -> str | None:
    """The first SEARCHSVC_EXCLUDE glob that ``rel`` (or a folder above it) matches."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            return pattern
    return None


class PlainSite(Site):
    kind = "plain"

    def __init__(self, root: Path | str, settings: Mapping[str, Any]):
        self.root = Path(root)
        self.content_root = self.root
        self.settings = settings
        self.facets = tuple(setting(settings, "facets"))
        self.pattern = str(setting(settings, "url_pattern"))
        check_url_pattern(self.pattern)

    def describe(self) -> str:
        return f"a plain folder of posts (no Hugo or Jekyll config in {self.root})"

    def candidates(self) -> Iterator[Candidate]:
        top = str(self.root)
        cut = 0 if top == "." else len(top.rstrip("/")) + 1
        output = tuple(f"{name}/" for name in OUTPUT_FOLDERS)
        for path, info in walk_posts(top):
            rel = path[cut:]
            if rel.startswith(output):
                continue
            yield Candidate(rel, path, info.st_size, info.st_mtime_ns)

    def fingerprint(self) -> str:
        relevant = {k: setting(self.settings, k) for k in ("url_pattern", "index_drafts", "index_expired", "exclude")}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=list).encode()).hexdigest()[:16]

    def rules(self, rel: str, meta: dict[str, Any] | None, now: dt.datetime) -> PageRules:
        from ..fields import check_published, date_of, norm_key, title_of
        from ..urls import page_url
        from .opt_out import opt_out_reason

        if meta is None:
            raise PostError("no front matter (the file must start with a '---' line)")
        normal: dict[str, Any] = {}
        for key, value in meta.items():
            normal.setdefault(norm_key(key), value)
        warnings: list[str] = []
        check_published(normal, self.settings, now, warnings.append)
        reason = opt_out_reason(meta)
        if reason:
            raise Skip(EXCLUDED, reason)
        mtime = os.stat(self.root / rel).st_mtime
        date = date_of(normal, mtime, warnings.append)
        title = title_of(normal, lambda message: None) or ""  # the slug may fall back to the title (its warnings come later)
        url = page_url(normal, rel, title, date, self.pattern, warnings.append)
        facets = {name: None for name in self.facets}  # None: read from front matter by the generic rules
        dialect = "html" if rel.lower().endswith(".html") else "commonmark"
        return PageRules(url=url, date=date, facets=facets, meta=meta, dialect=dialect, warnings=warnings)
