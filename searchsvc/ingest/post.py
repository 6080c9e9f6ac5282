"""One post file -> a Document, or PostError / Unpublished; nothing else leaves."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Mapping

from .clean import strip_templates
from .document import Document, PostError, Unpublished
from .fields import check_published, date_of, facet_values_of, norm_key, setting, summary_of, title_of
from .frontmatter import decode, read_post_file, split_front_matter
from .html_replay import html_to_text
from .pymarkdown import markdown_to_text
from .urls import page_url
from .walk import inside


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
    if not inside(os.path.realpath(path), os.path.realpath(root)):
        raise PostError("outside the content directory (a link leads out of it)")
    data, mtime = read_post_file(path, int(setting(settings, "max_post_bytes")))
    meta_raw, body_source = split_front_matter(decode(data))
    meta: dict[str, Any] = {}
    for key, value in meta_raw.items():
        meta.setdefault(norm_key(key), value)

    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(f"{doc_id}: {message}")

    check_published(meta, settings, now, warn)

    title = title_of(meta, warn)
    date = date_of(meta, mtime, warn)
    if path.suffix.lower() == ".html":
        source = strip_templates(body_source)
        body = html_to_text(source, reference=True) if reference else html_to_text(source)
    else:
        body = markdown_to_text(body_source, reference=True) if reference else markdown_to_text(body_source)
    names = setting(settings, "facets")
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    facets = {name: facet_values_of(meta, name, warn) for name in names}
    return Document(
        id=doc_id,
        title=title,
        summary=summary_of(meta, body, warn, setting(settings, "summary_keys")),
        body=body,
        date=date,
        url=page_url(meta, doc_id, title, date, str(setting(settings, "url_pattern")), warn),
        facets=facets,
        warnings=warnings,
    )
