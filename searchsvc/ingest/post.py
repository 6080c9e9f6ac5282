"""One page file of a site -> a Document, or PostError / Skip; nothing else leaves.

The site's generator rules (``sites/``) decide, from the path and the front
matter, whether the file is a page and its URL, date and taxonomy values;
the rules here are the generic ones every site shares: reading within the
size limit, the title, the summary, facet values cleaned, the body as text.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Mapping

from .document import EXCLUDED, NOT_A_PAGE, Document, PostError, Skip
from .fields import clean_facet_values, date_of, facet_values_of, norm_key, setting, summary_of, title_of
from .frontmatter import decode, read_post_file, split_front_matter
from .sites.base import Site
from .sites.plain import excluded_by
from .text import render
from .tuning import tuning_of
from .walk import inside


def load_post(path: Path, root: Path, settings: Mapping[str, Any], now: dt.datetime | None = None) -> Document:
    """One file of a plain folder of posts -> :class:`Document` (see sites/plain.py).

    Raises :class:`PostError` when the file cannot be indexed and
    :class:`Skip` (``Unpublished`` for drafts and expired posts) when it is
    not a searchable page; never anything else.
    """
    from .sites.plain import PlainSite

    root = Path(root)
    try:
        rel = _relative_id(Path(path), root)
    except PostError:
        raise
    return load_page(PlainSite(root, settings), rel, path, settings, now)


def load_page(
    site: Site, rel: str, path: Path | str, settings: Mapping[str, Any], now: dt.datetime | None = None
) -> Document:
    """One candidate file of ``site`` -> :class:`Document`; raises PostError or Skip only."""
    try:
        return _load_page(site, rel, Path(path), settings, now)
    except (PostError, Skip):
        raise
    except RecursionError:
        raise PostError("too deeply nested to read") from None
    except Exception as exc:  # the promise: only PostError/Skip leave
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise PostError(f"unexpected {type(exc).__name__}" + (f": {detail}" if detail else "")) from exc


def _relative_id(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root)
    except ValueError:
        try:
            rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
        except ValueError:
            raise PostError("outside the content directory") from None
    return rel.as_posix()


def _load_page(
    site: Site, doc_id: str, path: Path, settings: Mapping[str, Any], now: dt.datetime | None
) -> Document:
    try:
        doc_id.encode("utf-8")
    except UnicodeEncodeError:
        raise PostError("file name is not valid UTF-8") from None
    if not inside(os.path.realpath(path), os.path.realpath(site.root)):
        raise PostError("outside the content directory (a link leads out of it)")
    pattern = excluded_by(doc_id, tuple(setting(settings, "exclude")))
    if pattern:
        raise Skip(EXCLUDED, f"matches SEARCHSVC_EXCLUDE pattern {pattern!r}")
    data, mtime = read_post_file(path, int(setting(settings, "max_post_bytes")))
    front, body_source = split_front_matter(decode(data))
    rules = site.rules(doc_id, front, now if now is not None else dt.datetime.now(dt.timezone.utc))
    meta: dict[str, Any] = {}
    for key, value in (rules.meta or {}).items():
        meta.setdefault(norm_key(key), value)

    warnings: list[str] = [f"{doc_id}: {w}" for w in rules.warnings]

    def warn(message: str) -> None:
        warnings.append(f"{doc_id}: {message}")

    tuning = tuning_of(meta.get("search"), warn)
    if tuning.exclude:
        raise Skip(EXCLUDED, "search: {exclude: true}")
    title = title_of(meta, warn) or rules.title
    if not title:
        raise Skip(NOT_A_PAGE, "no title (a page without one is not a search result)")
    # A section or home page need not have a date of its own (Hugo dates it
    # by its newest page): no warning for one, the file's time stands in.
    date = rules.date or date_of(meta, mtime, warn if rules.kind == "page" else (lambda message: None))
    text = render(body_source, rules.dialect)
    body = text.body
    facets = {}
    for name in site.facets:
        raw = rules.facets.get(name)
        facets[name] = facet_values_of(meta, name, warn) if raw is None else clean_facet_values(raw, name, warn)
    return Document(
        id=doc_id,
        title=title,
        summary=summary_of(meta, body, warn, setting(settings, "summary_keys")),
        body=body,
        date=date,
        url=rules.url,
        facets=facets,
        warnings=warnings,
        language=rules.language,
        headings=text.headings,
        tuning=tuning,
    )
