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
import pickle
import re
from typing import Iterable

from whoosh import analysis, fields, formats
from whoosh.lang.porter import stem
from whoosh.system import pack_uint

from .documents import Document, facet_key

# Query-time weights of the free-text fields (BM25F): a word in the title says
# more about a post than the same word in its body.  Tuned on the tuning part
# of tests/relevance with `python -m searchsvc.evaluate` (title 4 -> 8 and
# tags 2.5 -> 1.5 raised tuning MRR 0.936 -> 0.955).
FIELD_BOOSTS = {"title": 8.0, "tags": 1.5, "summary": 1.5, "body": 1.0}
TEXT_FIELDS = tuple(FIELD_BOOSTS)
# Fields a visitor may name in the query language (`title:budget`).
QUERY_FIELDS = ("title", "tags", "authors")


def text_analyzer():
    # Whoosh's StemmingAnalyzer drops words under 2 letters; "5 g" or "a11y"
    # should survive, so minsize is 1.
    return analysis.StemmingAnalyzer(minsize=1)


class StemmedText(fields.TEXT):
    """A TEXT field whose indexing runs the stemming chain in one loop.

    Whoosh analyses a value through four chained generators (tokenizer,
    lower case, stop words, stemmer) and then groups the tokens by word:
    about half of building the index (profiled on the real corpus).  The
    loop below does the same steps in the same order, so the postings are
    identical (tests/test_perf_contracts.py compares them on the sample
    posts); any other analyzer, or a call with options (query time,
    highlighting), goes through Whoosh's own code.
    """

    def index(self, value, **kwargs):
        stops = _stemming_chain(self.analyzer)
        if stops is None or kwargs or type(value) is not str or type(self.format) is not formats.Positions:
            return super().index(value, **kwargs)
        return _index_stemmed(value, stops, self.format)


class _Stems(dict):
    """word -> Porter stem, computed on first sight (Whoosh's own cache is an LFU in Python)."""

    def __missing__(self, word: str) -> str:
        found = self[word] = stem(word)
        return found


_STEMS = _Stems()
_MAX_STEMS = 200_000


def _stemming_chain(analyzer):
    """(pattern, stop words) of a StemmingAnalyzer(minsize=1), else None."""
    items = getattr(analyzer, "items", None)
    if (
        not isinstance(items, list)
        or len(items) != 4
        or [type(i) for i in items]
        != [analysis.RegexTokenizer, analysis.LowercaseFilter, analysis.StopFilter, analysis.StemFilter]
        or items[0].gaps
        or items[0].expression.pattern != analysis.tokenizers.default_pattern.pattern
        or (items[2].min, items[2].max, items[2].renumber) != (1, None, True)
        or items[3].ignore
        or items[3].stemfn is not stem
        or items[3].lang
    ):
        return None
    return items[2].stops


# Whoosh's default token pattern without its capturing group, so findall
# returns whole words.
_WORDS = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)


def _index_stemmed(value: str, stops, fmt):
    if value.isascii():
        words = _WORDS.findall(value.lower())
    else:
        # Words are found before lower-casing, as Whoosh does ("İ" lowers to
        # "i" and a combining dot, which is no word character); they are
        # lowered in one call, NUL-separated, which keeps a word's end its
        # own (a final sigma stays final).
        words = _WORDS.findall(value)
        words = "\0".join(words).lower().split("\0") if words else words
    first = 0
    while first < len(words) and words[first] in stops:
        first += 1
    # The stop filter renumbers: the first word kept keeps its place, each
    # later one follows it.
    kept = [w for w in words[first:] if w not in stops]
    if len(_STEMS) > _MAX_STEMS:
        _STEMS.clear()
    positions: dict[str, list[int]] = {}
    get = positions.get
    for pos, word in enumerate(map(_STEMS.__getitem__, kept), first):
        found = get(word)
        if found is None:
            positions[word] = [pos]
        else:
            found.append(pos)
    boost = fmt.field_boost
    for word, found in positions.items():
        count = len(found)
        if count > 1:
            found = [found[0]] + [b - a for a, b in zip(found, found[1:])]
        # Positions.encode: the count, then the pickled position deltas.
        yield (word.encode("utf-8"), count, float(count) * boost, pack_uint(count) + pickle.dumps(found, 2))


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
        "tags": " ; ".join(values.get("tags", [])),
        "authors": " ".join(values.get("authors", [])),
        "url": doc.url,
        "date": sort_key(doc.date),
        "date_iso": doc.date.isoformat(),
        "day": doc.date.strftime("%Y-%m-%d"),
        "facet_values": json.dumps(values, ensure_ascii=False),
    }
    for name, items in values.items():
        record[facet_field(name)] = [facet_key(v) for v in items]
    return record
