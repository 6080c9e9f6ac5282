"""The contract between a generator's rules and the rest of ingest.

A ``Site`` is built once per reindex from the folder the user named.  It lists
the files that may be pages (``candidates``), and for one file, given its
parsed front matter, decides what the generator would publish
(``rules``): the URL, date, taxonomy values and rendering dialect — or raises
``Skip`` saying why the generator would not publish it as a page.  Nothing
here reads a page's body; the text is ingest.text's job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple

# Summary counts a skipped file goes to; only a file a visitor would see but
# the service cannot read is "failed", and that is never a Skip.
from ..document import EXCLUDED, NOT_A_PAGE, UNPUBLISHED, Skip

__all__ = ["EXCLUDED", "NOT_A_PAGE", "UNPUBLISHED", "Skip", "SiteConfigError", "Candidate", "Term", "PageRules", "Site"]


class SiteConfigError(Exception):
    """The site's configuration cannot be used; the message names the file (and line)."""


class Candidate(NamedTuple):
    """One file that may be a page (a tuple: one is made per post on every
    reindex, and a frozen dataclass cost ~1.5 us each, 23 ms at 15,440 posts)."""

    rel: str  # document id: path relative to Site.content_root, "/" separators
    path: str  # absolute path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Term:
    label: str  # display name ("Jane Doe" for authors/jane-doe)
    url: str | None = None  # the term page's URL, when the site has one


@dataclass
class PageRules:
    url: str  # as the generator computes it: absolute when the site has a base URL
    date: dt.datetime | None  # None: no date known (the generic fallback applies)
    facets: dict[str, list[str]]  # raw taxonomy values per facet name
    meta: dict[str, Any]  # effective front matter (defaults and cascade applied)
    title: str | None = None  # the generator's title when front matter has none
    language: str | None = None
    dialect: str = "commonmark"  # "goldmark" (Hugo), "kramdown" (Jekyll), "commonmark", "html"
    kind: str = "page"  # "page" | "section" | "home"
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # one-liners about this page, without its id


class Site:
    kind = "plain"

    root: Path  # the folder the user named
    content_root: Path  # document ids are relative to this
    config_path: Path | None = None
    facets: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for `searchsvc reindex`: which generator and config were read."""
        raise NotImplementedError

    def candidates(self) -> Iterator[Candidate]:
        """Every file that may be a page, in a stable order, never outside the root."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """Changes whenever something site-wide changes what a page yields."""
        raise NotImplementedError

    def rules(self, rel: str, meta: dict[str, Any] | None, now: dt.datetime) -> PageRules:
        """What the generator publishes for this file; raises Skip.

        ``meta`` is None when the file has no front matter: Jekyll still reads
        such a file in ``_posts/`` as a post, and copies it elsewhere as a
        static file (Skip); Hugo publishes it as a page.
        """
        raise NotImplementedError

    def terms(self) -> dict[str, dict[str, Term]]:
        """facet -> normalised value (words.facet_key) -> Term."""
        return {}

    def term(self, facet: str, value: str, language: str | None = None) -> Term | None:
        """The term page one facet value of a page links to (label and URL); None when none.

        ``terms()`` can only list term pages the site has files for; a value
        from ``PageRules.facets`` may have a generated term page all the same.
        """
        return None
