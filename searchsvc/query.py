"""Request parameters -> a validated SearchRequest; query text -> a Whoosh query.

Every 400 message lives here and names its parameter (and the setting that
sets a limit).  The public query language is deliberately small: words,
"phrases", AND/OR/NOT, +/-word, ``title:``/``tags:``/``authors:`` and a
trailing ``prefix*``, which expands to a bounded number of index terms.
Whoosh's default parser also offers wildcards, fuzzy terms, regexes and
ranges, each of which can take seconds on a small index (RELIABILITY.md
test 1), so those plugins are simply not loaded.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from whoosh import qparser, query as wq

from .schema import FIELD_BOOSTS, QUERY_FIELDS, TEXT_FIELDS

SORTS = ("relevance", "newest", "oldest")
MAX_GROUP_DEPTH = 8
MIN_PREFIX_CHARS = 2


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "newest"
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def params(self) -> list[tuple[str, str]]:
        """The request as query-string pairs (for toggle and next URLs)."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        for name, values in self.filters.items():
            pairs.extend((name, v) for v in values)
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        default_sort = "relevance" if self.q else "newest"
        if self.sort != default_sort:
            pairs.append(("sort", self.sort))
        if self.per_page != 10:
            pairs.append(("per_page", str(self.per_page)))
        return pairs


def _int_param(args: Mapping, name: str, default: int, limit: int, setting: str) -> int:
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    raw = str(raw).strip()
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise BadRequest(f"{name} must be a whole number from 1 to {limit}, not {raw[:40]!r}", name)
    value = int(raw)
    if value < 1:
        raise BadRequest(f"{name} must be at least 1", name)
    if value > limit:
        raise BadRequest(f"{name} must be at most {limit} (setting {setting})", name)
    return value


def _date_param(args: Mapping, name: str) -> dt.date | None:
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        return None
    raw = str(raw).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date written YYYY-MM-DD, not {raw[:40]!r}", name) from None


def parse_args(args, settings: Mapping[str, Any], facets: tuple[str, ...]) -> SearchRequest:
    """Validate the parameters of /search.json (``args`` is a MultiDict)."""
    q = args.get("q", "") or ""
    if "\x00" in q:
        q = q.replace("\x00", " ")
    if len(q) > settings["max_query_chars"]:
        raise BadRequest(
            f"q must be at most {settings['max_query_chars']} characters (setting max_query_chars); it has {len(q)}",
            "q",
        )
    q = " ".join(q.split())
    if len(q.split()) > settings["max_query_terms"]:
        raise BadRequest(
            f"q must have at most {settings['max_query_terms']} words (setting max_query_terms)", "q"
        )
    page = _int_param(args, "page", 1, settings["max_page"], "max_page")
    per_page = _int_param(args, "per_page", 10, settings["max_per_page"], "max_per_page")
    sort = (args.get("sort") or "").strip()
    if sort and sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}, not {sort[:40]!r}", "sort")
    if not sort or (sort == "relevance" and not q):
        sort = "relevance" if q else "newest"
    filters: dict[str, list[str]] = {}
    for name in tuple(facets) + ("year",):
        values = [v.strip() for v in args.getlist(name) if v and v.strip()]
        if values:
            seen, unique = set(), []
            for value in values:
                if value.lower() not in seen:
                    seen.add(value.lower())
                    unique.append(value[:200])
            filters[name] = unique[:50]
    date_from = _date_param(args, "from")
    date_to = _date_param(args, "to")
    if date_from and date_to and date_from > date_to:
        raise BadRequest(f"from ({date_from}) must not be after to ({date_to})", "from")
    return SearchRequest(q, page, per_page, sort, filters, date_from, date_to)


# --- the query language -------------------------------------------------


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


def _bound_expansions(node, reader, max_expansions: int):
    """Replace wildcard nodes: ``word*`` -> the most frequent matching terms."""
    if isinstance(node, wq.Prefix):
        prefix = node.text
        if len(prefix) < MIN_PREFIX_CHARS:
            return wq.NullQuery
        terms = []
        for term in reader.expand_prefix(node.fieldname, prefix):
            terms.append(term.decode("utf-8") if isinstance(term, bytes) else term)
            if len(terms) >= 10 * max_expansions:
                break
        terms.sort(key=lambda t: -reader.doc_frequency(node.fieldname, t))
        terms = terms[:max_expansions]
        if not terms:
            return wq.NullQuery
        return wq.Or([wq.Term(node.fieldname, t, boost=node.boost) for t in terms])
    if isinstance(node, (wq.Wildcard, wq.Regex, wq.FuzzyTerm, wq.TermRange, wq.Every)):
        text = re.sub(r"[*?]+", "", getattr(node, "text", "") or "")
        return wq.Term(node.fieldname, text.lower(), boost=node.boost) if text else wq.NullQuery
    if node.is_leaf():
        return node
    return node.apply(lambda child: _bound_expansions(child, reader, max_expansions))


def parse_query(q: str, schema, reader, settings: Mapping[str, Any], group=qparser.AndGroup):
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
            # IndexError here, a 500 (tests/test_hostile_queries.py).
            # Lower case, Whoosh's operators are ordinary words.
            parsed = parser.parse(_plain_words(q).lower())
    parsed = _bound_expansions(parsed, reader, settings["max_prefix_expansions"]).normalize()
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


# --- plain-word queries: the relevance plan ------------------------------
#
# Most visitors type a few plain words.  Those queries are not parsed with
# the query language; each word becomes a "unit" that matches the word
# (stemmed) in any text field, or one of its typo corrections, or a synonym
# of a span of words it is part of.  A post matches when it has any unit;
# search.py then multiplies the BM25F score by the share of units the post
# has (so posts with every word come first), adds a bonus for the words in
# sequence and for the exact forms typed.  Weights are tuned with
# `python -m searchsvc.evaluate` on the tuning part of the judged set.

_SYNTAX = re.compile(r"[\"():*?~^+\[\]{}<>=!\\]|(?<!\w)'|'(?!\w)|(?:^|\s)-|\b(?:AND|OR|NOT|TO)\b|\w:")
_ANALYZER = None
WORD = re.compile(r"\w+(?:\.?\w+)*")


@dataclass(frozen=True)
class Weights:
    typo: float = 0.5  # a typo correction's score, per edit, relative to the word typed
    synonym: float = 0.5  # a synonym's score relative to the words it stands for
    phrase: float = 0.5  # bonus share for the query's words in sequence (title; half in body)
    # score x (share of words matched) ** power: 2 keeps posts with every word
    # above those with some (1 scored 0.001 higher on the tuning set).
    coord_power: float = 2.0
    exact: float = 0.4  # bonus share for the typed (unstemmed) words in title/summary
    # BM25 length normalisation: 0.75 in the body keeps 40 KB transcripts
    # from winning by repetition; titles are short and alike, so less.
    title_b: float = 0.5
    body_b: float = 0.75
    k1: float = 1.2
    # Bodies longer than this many times the average score less (see
    # search.FieldStats.damping); 0 turns it off.
    long_ratio: float = 4.0


WEIGHTS = Weights()


def analysed(text: str) -> list[str]:
    global _ANALYZER
    if _ANALYZER is None:
        from .schema import text_analyzer

        _ANALYZER = text_analyzer()
    return [t.text for t in _ANALYZER(text)]


def is_plain(q: str) -> bool:
    """Words only: no quotes, operators, fields, wildcards or brackets."""
    return bool(q.strip()) and not _SYNTAX.search(q)


def _fields(stems: tuple[str, ...], boost: float):
    """A word (one stem) or a phrase (several) in any text field, as a Whoosh query."""
    if len(stems) == 1:
        return wq.Or([wq.Term(f, stems[0], boost=FIELD_BOOSTS[f] * boost) for f in TEXT_FIELDS])
    return wq.Or([wq.Phrase(f, list(stems), boost=FIELD_BOOSTS[f] * boost) for f in TEXT_FIELDS])


@dataclass(frozen=True)
class Alternative:
    """One way a unit may match: the stems (several: a phrase), a weight, and why."""

    stems: tuple[str, ...]
    weight: float
    kind: str  # "exact" | "synonym" | "typo"


@dataclass
class Plan:
    text: str  # the query the plan was built from
    units: list[list[Alternative]]  # one per counted word
    typed: list[str]  # the counted words as typed, lower case
    stems: list[str]  # their stems in order, for the phrase bonus
    corrected: str | None  # the query with unknown or rare words corrected, if any
    synonyms: list[tuple[str, ...]]  # the synonyms applied, as word tuples

    @property
    def query(self):
        """The plan as a Whoosh query: for highlighting and for date-sorted results."""
        return wq.Or([_fields(a.stems, a.weight) for unit in self.units for a in unit])


def build_plan(q: str, vocab, synonyms, weights: Weights = WEIGHTS, max_units: int = 32, stem_df=None) -> Plan | None:
    """A plain-word query -> a Plan, or None when no word is searchable (stop words only).

    ``vocab`` is a callable returning the vocabulary (suggest.Vocabulary), asked
    for only when a word may be a typo; ``stem_df(stem)`` tells how many posts
    have a stem, so a common word never needs the vocabulary at all.
    """
    raw = WORD.findall(q.lower())[: max_units * 2]
    spans = synonyms.spans(raw) if synonyms else []
    span_of = {}
    for start, end, others in spans:
        for i in range(start, end):
            span_of[i] = (start, end, others)
    units, typed, corrected_words, changed = [], [], [], False
    corrections: dict[str, str | None] = {}
    for i, word in enumerate(raw):
        stems = tuple(analysed(word))
        correction = corrections.get(word)
        if stems and len(units) < max_units and word not in typed:
            unit = [Alternative(stems, 1.0, "exact")]
            if i in span_of:
                start, end, others = span_of[i]
                for other in others:
                    ostems = tuple(analysed(" ".join(other)))
                    if ostems:
                        unit.append(Alternative(ostems, weights.synonym / (end - start), "synonym"))
            common = stem_df is not None and all(stem_df(stem) > 2 for stem in stems)
            words = vocab() if vocab and not common else None
            df = words.df.get(word, 0) if words else 0
            if words and df <= 2:
                for candidate, edits, cdf in words.corrections(word):
                    # A word the posts never use, or a rare one beside a common
                    # neighbour ("goverment" beside "government").
                    if df == 0 or cdf >= 20 * df:
                        cstems = tuple(analysed(candidate))
                        if cstems:
                            unit.append(Alternative(cstems, weights.typo / edits, "typo"))
                            correction = correction or candidate
            units.append(unit)
            typed.append(word)
            corrections[word] = correction
        corrected_words.append(correction or word)
        changed = changed or correction is not None
    if not units:
        return None
    stems = [s for w in typed for s in analysed(w)]
    applied = [other for _, _, others in spans for other in others]
    return Plan(q, units, typed, stems, " ".join(corrected_words) if changed else None, applied)
