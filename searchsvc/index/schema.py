"""The Whoosh schema, its analyzers, and Document -> field dict.

This is the only module that knows the index's field names.  Text fields are
analysed with English stemming so "testing" finds "tests"; every taxonomy is
indexed twice: as normalised keys (``facet_<name>``, exact, for filters and
counts) and, for tags and authors, as analysed text so that words in a tag
rank a post and ``tags:omb`` works in the query language.

>>> [t.text for t in text_analyzer()("Searching the posts")]
['search', 'post']
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Iterable

from ..words import facet_key
from .whoosh_internals import StemmedText, text_analyzer  # (first: it imports Whoosh, see its 7.)

from whoosh import analysis, fields  # noqa: E402  isort: skip

if TYPE_CHECKING:
    from ..ingest.document import Document

# The free-text fields, analysed with stemming (their query-time weights are
# ranking's: query/ranking.py).
TEXT_FIELDS = ("title", "tags", "summary", "body")
# Fields a visitor may name in the query language (`title:budget`).
QUERY_FIELDS = ("title", "tags", "authors")


def facet_field(name: str) -> str:
    return f"facet_{name}"


def build_schema(facets: Iterable[str], text: type = StemmedText) -> fields.Schema:
    """The index's fields; ``text=fields.TEXT`` gives Whoosh's own indexing (benchmarks compare)."""
    analyzer = text_analyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=text(stored=True, analyzer=analyzer, phrase=True),
        summary=text(stored=True, analyzer=analyzer, phrase=True),
        body=text(stored=True, analyzer=analyzer, phrase=True),
        tags=text(analyzer=analyzer, phrase=True),
        authors=fields.TEXT(analyzer=analysis.SimpleAnalyzer()),
        url=fields.STORED(),
        date=fields.DATETIME(sortable=True),
        date_iso=fields.STORED(),
        # Local calendar day as written in the post ("2015-12-14"): date-range
        # filters and the year facet read it from a column, per generation.
        day=fields.ID(sortable=True),
        facet_values=fields.STORED(),
        headings=fields.STORED(),  # query/subresults.py: the sections of long pages
        # The front matter's search: block (ingest/tuning.py), as terms so that
        # the few tuned posts are found from the lexicon, never by reading every post.
        boost=fields.ID(),
        best_bet_for=fields.ID(),
    )
    for name in facets:
        schema.add(facet_field(name), fields.ID())
    return schema


def sort_key(date: dt.datetime) -> dt.datetime:
    """A naive UTC datetime, so posts with and without offsets sort together."""
    if date.tzinfo is not None:
        date = date.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return date


def to_fields(doc: Document, facets: Iterable[str]) -> dict:
    values = {name: list(doc.facets.get(name, [])) for name in facets}
    record = {
        "id": doc.id,
        "title": doc.title,
        "summary": doc.summary,
        "body": doc.body,
        # An editor's keywords find the post as its tags do (they are not shown).
        "tags": " ; ".join(values.get("tags", []) + list(doc.tuning.keywords)),
        "authors": " ".join(values.get("authors", [])),
        "url": doc.url,
        "date": sort_key(doc.date),
        "date_iso": doc.date.isoformat(),
        "day": doc.date.strftime("%Y-%m-%d"),
        "facet_values": json.dumps(values, ensure_ascii=False),
        "headings": json.dumps([[h.level, h.text, h.anchor, h.offset] for h in doc.headings if h.anchor], ensure_ascii=False),
    }
    for name, items in values.items():
        record[facet_field(name)] = [facet_key(v) for v in items]
    if doc.tuning.boost != 1.0:
        record["boost"] = f"{doc.tuning.boost:g}"
    if doc.tuning.best_bet_for:
        record["best_bet_for"] = list(doc.tuning.best_bet_for)
    return record
