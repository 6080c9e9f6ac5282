"""Query text -> a Whoosh query, for the query language.

The public query language is deliberately small: words, "phrases",
AND/OR/NOT, +/-word, ``title:``/``tags:``/``authors:`` and a trailing
``prefix*``, which expands to a bounded number of index terms.  Whoosh's
default parser also offers wildcards, fuzzy terms, regexes and ranges, each
of which can take seconds on a small index (RELIABILITY.md test 1), so those
plugins are simply not loaded.  ``is_plain`` tells a query of plain words
from one that uses this syntax.  Either way the posts are ranked by
query/ranking.py's one model: Whoosh parses and matches the query language
(the match set), ``scored_words`` names its words that count towards the
score, and ``with_alternatives`` lets them match their typo corrections and
synonyms too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from whoosh import qparser, query as wq

from ..index.schema import QUERY_FIELDS, TEXT_FIELDS
from .budget import NO_DEADLINE, check_phrases, prefix_share
from .ranking import FIELD_BOOSTS

MAX_GROUP_DEPTH = 8
MIN_PREFIX_CHARS = 2
_SYNTAX = re.compile(r"[\"():*?~^+\[\]{}<>=!\\]|(?<!\w)'|'(?!\w)|(?:^|\s)-|\b(?:AND|OR|NOT|TO)\b|\w:")


def is_plain(q: str) -> bool:
    """Words only: no quotes, operators, fields, wildcards or brackets."""
    return bool(q.strip()) and not _SYNTAX.search(q)


def make_parser(schema, group=qparser.AndGroup) -> qparser.QueryParser:
    fields_expr = r"(?P<text>" + "|".join(QUERY_FIELDS) + r"):"
    plugins = [
        qparser.PhrasePlugin(),
        qparser.SingleQuotePlugin(),
        qparser.FieldsPlugin(expr=fields_expr),
        qparser.GroupPlugin(),
        qparser.OperatorsPlugin(),
        qparser.PlusMinusPlugin(),
        qparser.WildcardPlugin(),
        qparser.MultifieldPlugin(TEXT_FIELDS, fieldboosts=FIELD_BOOSTS),
    ]
    return qparser.QueryParser(None, schema, plugins=plugins, group=group)


def _plain_words(q: str) -> str:
    """The query with every bit of syntax made inert."""
    return " ".join(re.sub(r"[^\w\s]+", " ", q).split())


def _group_depth(q: str) -> int:
    depth = deepest = 0
    for char in q:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(0, depth - 1)
    return deepest


def _bound_expansions(node, reader, max_expansions: int, deadline=NO_DEADLINE):
    """Replace wildcard nodes: ``word*`` -> the most frequent matching terms.

    Choosing them reads the term dictionary (32 prefixes in 4 fields: ~150 ms
    on the 2017 corpus), so past the ``deadline`` a prefix not yet expanded
    expands to its first term only (the first prefix, to its share).
    """
    expanded = [0]

    def bound(node):
        if isinstance(node, wq.Prefix):
            late = expanded[0] > 0 and deadline.expired()
            expanded[0] += 1
            return _expansions(node, reader, 1 if late else max_expansions, sort=not late)
        if isinstance(node, (wq.Wildcard, wq.Regex, wq.FuzzyTerm, wq.TermRange, wq.Every)):
            text = re.sub(r"[*?]+", "", getattr(node, "text", "") or "")
            return wq.Term(node.fieldname, text.lower(), boost=node.boost) if text else wq.NullQuery
        if node.is_leaf():
            return node
        return node.apply(bound)

    return bound(node)


def _expansions(node, reader, max_expansions: int, sort: bool = True):
    prefix = node.text
    if len(prefix) < MIN_PREFIX_CHARS:
        return wq.NullQuery
    terms = []
    for term in reader.expand_prefix(node.fieldname, prefix):
        terms.append(term.decode("utf-8") if isinstance(term, bytes) else term)
        if len(terms) >= (10 if sort else 1) * max_expansions:
            break
    if sort:
        terms.sort(key=lambda t: -reader.doc_frequency(node.fieldname, t))
    terms = terms[:max_expansions]
    if not terms:
        return wq.NullQuery
    expanded = []
    for t in terms:
        term = wq.Term(node.fieldname, t, boost=node.boost)
        # One scored word (language.scored_words), whatever it expands to.
        term.startchar, term.endchar, term.expanded_from = node.startchar, node.endchar, prefix
        expanded.append(term)
    return wq.Or(expanded)


def parse_query(q: str, schema, reader, settings: Mapping[str, Any], group=qparser.AndGroup, deadline=NO_DEADLINE):
    """Query text -> a Whoosh query, or None when nothing searchable is left."""
    if _group_depth(q) > MAX_GROUP_DEPTH:
        q = q.replace("(", " ").replace(")", " ")
    parser = make_parser(schema, group)
    try:
        parsed = parser.parse(q)
    except Exception:  # a query that does not parse is taken as plain words
        try:
            parsed = parser.parse(_plain_words(q))
        except Exception:
            # Plain words can still be operators: "NOT NOT NOT a" raised
            # IndexError here, a 500 (tests/system/test_hostile_queries.py).
            # Lower case, Whoosh's operators are ordinary words.
            parsed = parser.parse(_plain_words(q).lower())
    check_phrases(parsed, settings)
    # The whole query's budget, shared before a single term is expanded.
    parsed = _bound_expansions(parsed, reader, prefix_share(parsed, settings), deadline).normalize()
    if parsed is wq.NullQuery or isinstance(parsed, wq.NullQuery.__class__):
        return None
    return parsed


def query_terms(parsed) -> set[str]:
    """The analysed words of a query, for highlighting (negated words excluded)."""
    words: set[str] = set()

    def walk(node, negated=False):
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            walk(node.a, negated)
            return
        if isinstance(node, wq.Term) and node.fieldname in TEXT_FIELDS:
            text = node.text
            words.add(text.decode("utf-8") if isinstance(text, bytes) else text)
        elif isinstance(node, wq.Phrase) and node.fieldname in TEXT_FIELDS:
            words.update(node.words)
        if not node.is_leaf():
            for child in node.children():
                walk(child, negated)

    walk(parsed)
    return words


@dataclass
class ScoredWord:
    """A word, phrase or ``prefix*`` of the query language that counts towards the score."""

    kind: str  # "term" | "phrase" | "prefix"
    texts: list[str]  # term: its stem; phrase: its stems in order; prefix: the terms it expanded to
    raw: str | None  # as typed (a term's word, a phrase's words), when known
    fields: list[str] = field(default_factory=list)  # the text fields it is searched in
    leaves: list = field(default_factory=list)  # the Whoosh leaves it stands for


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def scored_words(parsed, q: str) -> list[ScoredWord]:
    """The query's positive words in text fields, in query order (negated ones match but never score).

    The multi-field plugin turns a word into one Term per text field, all
    with the word's place in the query: they are one word here.  Terms a
    ``prefix*`` expanded to carry the prefix's place, so they are one word too.
    """
    found: dict[tuple, ScoredWord] = {}
    quoted = [m.group(1) for m in re.finditer(r'"([^"]*)"', q)]

    def visit(node) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            visit(node.a)
            return
        if isinstance(node, wq.Term) and node.fieldname in TEXT_FIELDS:
            start, end = getattr(node, "startchar", None), getattr(node, "endchar", None)
            prefix = getattr(node, "expanded_from", None)
            key = ("term", start, end) if start is not None else ("term", _text(node.text))
            word = found.get(key)
            if word is None:
                raw = prefix if prefix is not None else q[start:end] if start is not None else None
                word = found[key] = ScoredWord("prefix" if prefix is not None else "term", [], raw)
            if _text(node.text) not in word.texts:
                word.texts.append(_text(node.text))
        elif isinstance(node, wq.Phrase) and node.fieldname in TEXT_FIELDS:
            key = ("phrase", tuple(node.words))
            word = found.get(key)
            if word is None:
                raw = next((text for text in quoted if _analysed(text) == list(node.words)), None)
                word = found[key] = ScoredWord("phrase", list(node.words), raw)
        elif not node.is_leaf():
            for child in node.children():
                visit(child)
            return
        else:
            return
        if node.fieldname not in word.fields:
            word.fields.append(node.fieldname)
        word.leaves.append(node)

    visit(parsed)
    return list(found.values())


def _analysed(text: str) -> list[str]:
    from ..index.schema import text_analyzer

    return [t.text for t in text_analyzer()(text)]


def with_alternatives(parsed, extra: dict[int, list[tuple[str, ...]]]):
    """``parsed`` with each leaf whose id is in ``extra`` also matching those stems (one: a term; several: a phrase), in its field."""

    def alternative(fieldname: str, stems: tuple[str, ...], boost: float):
        if len(stems) == 1:
            return wq.Term(fieldname, stems[0], boost=boost)
        return wq.Phrase(fieldname, list(stems), boost=boost)

    def rebuild(node):
        more = extra.get(id(node))
        if more:
            return wq.Or([node] + [alternative(node.fieldname, stems, node.boost) for stems in more])
        if node.is_leaf():
            return node
        return node.apply(rebuild)

    return rebuild(parsed)
