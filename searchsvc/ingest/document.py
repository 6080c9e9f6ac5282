"""What ingest hands on: a Document, or the reason a file gives none."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


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
