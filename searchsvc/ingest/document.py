"""What ingest hands on: a Document, or the reason a file gives none.

A file gives a Document, or raises ``PostError`` (a page a visitor would see
but the service cannot read: "failed", the reindex exits 1) or ``Skip`` (the
site does not publish it as a searchable page: counted, never a failure).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .tuning import NONE, Tuning

# The kinds of Skip, each a summary count of `searchsvc reindex`.
UNPUBLISHED = "unpublished"  # draft, future, expired, published: false, build options
NOT_A_PAGE = "not a page"  # term pages, layouts, data, untitled stubs
EXCLUDED = "excluded"  # exclude:/SEARCHSVC_EXCLUDE, search: false, noindex
SKIP_KINDS = (UNPUBLISHED, NOT_A_PAGE, EXCLUDED)


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
    language: str | None = None
    headings: list = field(default_factory=list)  # ingest.text.Heading: level, text, anchor, offset in body
    tuning: Tuning = NONE  # the front matter's search: block (ingest.tuning)


class PostError(Exception):
    """The file cannot be indexed; ``str(exc)`` is a one-line reason without the file name."""


class Vanished(PostError):
    """The file was listed but was gone when it was read: not a failure, not recorded; the next run sees it."""


class Skip(Exception):
    """The site would not publish this file as a searchable page; ``kind`` is one of SKIP_KINDS."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class Unpublished(Skip):
    """A draft, future or expired page; ``str(exc)`` says which ("draft: true", "expired 2016-01-01")."""

    def __init__(self, reason: str):
        super().__init__(UNPUBLISHED, reason)
