"""Plain words -> a Plan: per word, the ways a post may match it.

Most visitors type a few plain words (``build_plan``); the query language's
words become the same kind of plan (``language_plan``), so both are ranked
by one model.  Those queries are not parsed with the
query language; each word becomes a "unit" that matches the word (stemmed)
in any text field, or one of its typo corrections, or a synonym of a span of
words it is part of.  A post matches when it has any unit; query/ranking.py
then multiplies the BM25F score by the share of units the post has (so posts
with every word come first), adds a bonus for the words in sequence and for
the exact forms typed.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, replace

from whoosh import query as wq

from ..index.schema import TEXT_FIELDS
from ..words import WORD
from .budget import TermBudget
from .language import scored_words, with_alternatives
from .ranking import FIELD_BOOSTS, WEIGHTS, Weights

_ANALYZER = None
# Whoosh's stemming cache (util/cache.py's lfu_cache) evicts without a lock:
# two searches at once on a full cache can delete the same word (KeyError).
_ANALYZER_LOCK = threading.Lock()


def analysed(text: str) -> list[str]:
    return list(_analysed(text))


@functools.lru_cache(maxsize=4096)
def _analysed(text: str) -> tuple[str, ...]:
    # The same words come back query after query (and each typo candidate
    # and synonym once per query): Whoosh's analyzer chain was a sixth of planning.
    global _ANALYZER
    with _ANALYZER_LOCK:
        if _ANALYZER is None:
            from ..index.schema import text_analyzer

            _ANALYZER = text_analyzer()
        return tuple(t.text for t in _ANALYZER(text))


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
    fields: tuple[str, ...] | None = None  # None: every text field (``title:word`` names one)
    union: bool = False  # several stems that are one word (a ``prefix*``'s expansions), not a phrase


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


def typo_alternatives(word: str, stems: tuple[str, ...], vocab, weights: Weights, stem_df=None) -> tuple[list[Alternative], str | None]:
    """A word's typo corrections as alternatives, and the best one (None: the word needs none)."""
    common = stem_df is not None and all(stem_df(stem) > 2 for stem in stems)
    words = vocab() if vocab and not common else None
    df = words.df.get(word, 0) if words else 0
    found, best = [], None
    if words and df <= 2:
        for candidate, edits, cdf in words.corrections(word):
            # A word the posts never use, or a rare one beside a common
            # neighbour ("goverment" beside "government").
            if df == 0 or cdf >= 20 * df:
                cstems = tuple(analysed(candidate))
                if cstems:
                    found.append(Alternative(cstems, weights.typo / edits, "typo"))
                    best = best or candidate
    return found, best


def build_plan(
    q: str, vocab, synonyms, weights: Weights = WEIGHTS, max_units: int = 32, stem_df=None, max_terms: int = 1 << 30
) -> Plan | None:
    """A plain-word query -> a Plan, or None when no word is searchable (stop words only).

    ``vocab`` is a callable returning the vocabulary (suggest.Vocabulary), asked
    for only when a word may be a typo; ``stem_df(stem)`` tells how many posts
    have a stem, so a common word never needs the vocabulary at all;
    ``max_terms`` bounds the terms of every word, correction and synonym together.
    """
    budget = TermBudget(max_terms)
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
            typos, found = typo_alternatives(word, stems, vocab, weights, stem_df)
            unit += typos
            correction = correction or found
            units.append(budget.fit(unit))
            typed.append(word)
            corrections[word] = correction
        corrected_words.append(correction or word)
        changed = changed or correction is not None
    if not units:
        return None
    stems = [s for w in typed for s in analysed(w)]
    applied = [other for _, _, others in spans for other in others]
    return Plan(q, units, typed, stems, " ".join(corrected_words) if changed else None, applied)


def _fields_of(names: list[str]) -> tuple[str, ...] | None:
    return None if set(names) >= set(TEXT_FIELDS) else tuple(f for f in TEXT_FIELDS if f in names)


def _synonym_alternatives(others, share: float, fields, weights: Weights) -> list[Alternative]:
    found = []
    for other in others:
        ostems = tuple(analysed(" ".join(other)))
        if ostems:
            found.append(Alternative(ostems, weights.synonym * share, "synonym", fields))
    return found


def language_plan(
    q: str, parsed, vocab, synonyms, weights: Weights = WEIGHTS, max_units: int = 32, stem_df=None, max_terms: int = 1 << 30
):
    """The query language's scored words -> (Plan or None, ``parsed`` also matching their typo corrections and synonyms).

    A word gets the typo corrections and synonyms a plain word gets (in the
    fields it names; synonyms of a span of the query's words, as for plain
    words); a "phrase" the synonyms of its words as a whole; a ``prefix*``
    is one word whatever it expands to.  There is no did-you-mean: the words
    are matched as the query says, corrections included.
    """
    words = scored_words(parsed, q)[:max_units]
    raws = [WORD.findall(w.raw.lower()) if w.raw else [] for w in words]
    terms = [i for i, w in enumerate(words) if w.kind == "term" and len(raws[i]) == 1]
    span_of = {}
    for start, end, others in synonyms.spans([raws[i][0] for i in terms]) if synonyms else []:
        for k in range(start, end):
            span_of[terms[k]] = (end - start, others)
    units, typed, stems, extra, applied = [], [], [], {}, []
    budget = TermBudget(max_terms)
    for i, word in enumerate(words):
        fields = _fields_of(word.fields)
        if word.kind == "prefix":
            unit = budget.fit([Alternative(tuple(word.texts), 1.0, "exact", fields, union=True)])
        else:
            unit = [Alternative(tuple(word.texts), 1.0, "exact", fields)]
            spans = synonyms.spans(raws[i]) if synonyms and word.kind == "phrase" else []
            for start, end, others in spans:
                if (start, end) == (0, len(raws[i])):
                    unit += _synonym_alternatives(others, 1.0, fields, weights)
                    applied += others
            if i in span_of:
                size, others = span_of[i]
                unit += _synonym_alternatives(others, 1 / size, fields, weights)
                applied += [o for o in others if o not in applied]
            if i in terms:
                typos, _ = typo_alternatives(raws[i][0], unit[0].stems, vocab, weights, stem_df)
                unit += [replace(a, fields=fields) for a in typos]
            unit = budget.fit(unit)
            for leaf in word.leaves:
                extra[id(leaf)] = [a.stems for a in unit[1:]]
        units.append(unit)
        typed.append(" ".join(raws[i]) if raws[i] else " ".join(word.texts))
        stems.extend(word.texts if word.kind == "phrase" else word.texts[:1])
    if not units:
        return None, parsed
    return Plan(q, units, typed, stems, None, applied), with_alternatives(parsed, extra)
