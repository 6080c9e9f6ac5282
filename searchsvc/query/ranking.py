"""Scoring plain-word plans: BM25F over the text fields, coverage, bonuses.

Every ranking knob is here: the field weights, ``Weights`` and the constants
below.  BM25F is computed from the posting lists rather than through
Whoosh's matchers: a plan has a dozen alternatives per word across four
fields, and Whoosh's union matchers pre-score every posting of every one in
Python (80-130 ms a query on the real corpus, measured); reading each
posting list once per generation and summing in arrays is several times
cheaper.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq

from ..index.whoosh_internals import read_posting

if TYPE_CHECKING:
    from .generation import Generation
    from .plan import Plan

# Query-time weights of the free-text fields (BM25F): a word in the title says
# more about a post than the same word in its body.  Tuned on the tuning part
# of tests/relevance with `python -m searchsvc.evaluate` (title 4 -> 8 and
# tags 2.5 -> 1.5 raised tuning MRR 0.936 -> 0.955).
FIELD_BOOSTS = {"title": 8.0, "tags": 1.5, "summary": 1.5, "body": 1.0}


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


SECONDS_PER_DAY = 86400.0
EXACT_RERANK = 50
# Posting lists read once are kept per generation, up to this many bytes
# (12 a posting); the least recently used go first.
MAX_CACHED_POSTING_BYTES = 48 << 20
MAX_CACHED_PHRASES = 1024
_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_TFS = np.zeros(0, dtype=np.float64)


class FieldStats:
    """Per generation: document count, field lengths, and a posting-list cache.

    Scores are dense float arrays over every document number: summing and
    taking maxima are then NumPy operations whatever the number of postings
    (per-posting Python loops were most of a query at x10).  The arithmetic
    is the same, in the same order, as a per-document loop (IEEE operations
    one at a time), so the scores are bit-identical to it.
    """

    def __init__(self, gen: Generation):
        reader = gen.searcher.reader()
        self.reader = reader
        self.searcher = gen.searcher
        self.size = reader.doc_count_all()
        self.n = max(1, self.size)
        self.lengths: dict[str, np.ndarray] = {}
        self.average: dict[str, float] = {}
        for name in FIELD_BOOSTS:
            # (None, not 0, for a post with an empty field, e.g. front matter only)
            self.lengths[name] = np.fromiter(
                (reader.doc_field_length(d, name, 0) or 0 for d in range(self.size)), dtype=np.int64, count=self.size
            )
            self.average[name] = max(1.0, reader.field_length(name) / self.n)
        # filled by queries, which hold the generation's lock
        self.postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.posting_bytes = 0
        self.phrases: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        # (field, stem, docnum) -> the stem's positions in that post, for the
        # words-in-sequence bonus: reading them through Whoosh's matchers was
        # a third of a query on the real corpus, and the same popular posts
        # come back query after query.
        self.positions: OrderedDict[tuple[str, str, int], list[int]] = OrderedDict()
        self._damping: dict[float, np.ndarray] = {}

    def damping(self, ratio: float) -> np.ndarray:
        """Per post, a factor for its body score: 1, or less for bodies over ``ratio`` x the average.

        BM25's term frequency saturates, so a 40 KB transcript that repeats a
        word hundreds of times still reaches the ceiling a short, focused
        post only nears; past ``ratio`` times the average length the body's
        score shrinks with the square root of the excess.
        """
        found = self._damping.get(ratio)
        if found is None:
            limit = ratio * self.average["body"]
            lengths = self.lengths["body"]
            long = lengths > limit
            found = np.ones(self.size, dtype=np.float64)
            found[long] = np.sqrt(limit / lengths[long])
            self._damping[ratio] = found
        return found

    def posting(self, name: str, stem: str) -> tuple[np.ndarray, np.ndarray]:
        """(sorted docnums, term frequencies) of a stem in a field."""
        key = (name, stem)
        found = self.postings.get(key)
        if found is not None:
            self.postings.move_to_end(key)
            return found
        found = read_posting(self.reader, name, stem) if key in self.reader else (_EMPTY_IDS, _EMPTY_TFS)
        ids, tfs = found
        self.postings[key] = found
        self.posting_bytes += ids.nbytes + tfs.nbytes
        while self.posting_bytes > MAX_CACHED_POSTING_BYTES and len(self.postings) > 1:
            _, (old_ids, old_tfs) = self.postings.popitem(last=False)
            self.posting_bytes -= old_ids.nbytes + old_tfs.nbytes
        return found

    def phrase_docs(self, stems: tuple[str, ...]) -> np.ndarray:
        """Docnums with the stems in sequence in a text field (a synonym phrase; few distinct ones)."""
        found = self.phrases.get(stems)
        if found is None:
            phrase = wq.Or([wq.Phrase(f, list(stems)) for f in FIELD_BOOSTS])
            found = np.fromiter(self.searcher.docs_for_query(phrase), dtype=np.int64)
            self.phrases[stems] = found
            if len(self.phrases) > MAX_CACHED_PHRASES:
                self.phrases.popitem(last=False)
        return found


def field_stats(gen: Generation) -> FieldStats:
    return gen.derived("field_stats", FieldStats)


def _term_scores(stats: FieldStats, stem: str, weights: Weights) -> np.ndarray:
    """BM25F of one stem per post: the sum over text fields of boost x BM25 in that field."""
    out = np.zeros(stats.size, dtype=np.float64)
    k1 = weights.k1
    for name, boost in FIELD_BOOSTS.items():
        ids, tfs = stats.posting(name, stem)
        if not len(ids):
            continue
        b = weights.title_b if name == "title" else weights.body_b if name == "body" else 0.75
        idf = 1.0 + math.log(stats.n / (len(ids) + 1))
        factor = boost * idf * (k1 + 1)
        norm0, norm1 = k1 * (1 - b), k1 * b / stats.average[name]
        # = factor * tf / (tf + norm0 + norm1 * length), evaluated left to right
        denominator = tfs + norm0 + norm1 * stats.lengths[name][ids]
        if name == "body" and weights.long_ratio:
            numerator = stats.damping(weights.long_ratio)[ids] * factor * tfs
        else:
            numerator = factor * tfs
        out[ids] += numerator / denominator
    return out


def _alternative_scores(stats: FieldStats, alt, weights: Weights) -> np.ndarray:
    if len(alt.stems) == 1:
        scores = _term_scores(stats, alt.stems[0], weights)
    else:
        # A phrase (a synonym such as "social security administration"):
        # posts with the words in sequence, scored by the mean of its words.
        docs = stats.phrase_docs(tuple(alt.stems))
        scores = np.zeros(stats.size, dtype=np.float64)
        if len(docs):
            parts = [_term_scores(stats, stem, weights)[docs] for stem in alt.stems]
            total = parts[0]
            for part in parts[1:]:
                total = total + part
            scores[docs] = total / len(parts)
    if alt.weight != 1.0:
        scores = scores * alt.weight
    return scores


def unit_scores(stats: FieldStats, unit, weights: Weights, kinds=("exact", "synonym", "typo")) -> np.ndarray:
    """A unit's best alternative per post, 0 where none matches (typo corrections and synonyms never add up)."""
    best = np.zeros(stats.size, dtype=np.float64)
    for alt in unit:
        if alt.kind in kinds:
            np.maximum(best, _alternative_scores(stats, alt, weights), out=best)
    return best


def _top(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (highest score, then lowest docnum), in that order."""
    if len(ids) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = scores >= kth
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:k]
    return ids[order], scores[order]


@dataclass
class Relevance:
    """The matches of a plan, scored, and a way to rank any subset of them."""

    gen: Generation
    plan: Plan
    weights: Weights
    per_unit: list[np.ndarray]  # per unit, a score per post (0: no match)
    matched: np.ndarray  # bool per post
    half_life_days: float

    def ranked(self, allowed: np.ndarray, window: int) -> list[tuple[int, float]]:
        ids = np.flatnonzero(allowed & self.matched)
        units = len(self.per_unit)
        total = np.zeros(len(ids), dtype=np.float64)
        have = np.zeros(len(ids), dtype=np.int64)
        for scores in self.per_unit:
            values = scores[ids]
            total += values
            have += values > 0
        # Posts with every word first: the score shrinks with each missing one
        # (the factors in Python, so they are the same floats as ever).
        coord = np.array([(h / units) ** self.weights.coord_power for h in range(units + 1)])
        scored = total * coord[have]
        if self.half_life_days > 0:
            now, dates = time.time(), self.gen.dates
            decay = [
                0.5 ** (max(0.0, (now - timestamp(dates[d])) / SECONDS_PER_DAY) / self.half_life_days)
                for d in ids.tolist()
            ]
            scored = scored * np.array(decay, dtype=np.float64)
        head_ids, head_scores = _top(ids, scored, max(window, EXACT_RERANK))
        head = self._rerank(list(zip(head_scores.tolist(), head_ids.tolist())), window)
        return [(d, s) for s, d in head]

    def _rerank(self, head: list[tuple[float, int]], window: int) -> list[tuple[float, int]]:
        """The best ``window`` of ``head`` with their bonuses, best first.

        = every post's bonus, sorted, cut; but a post whose score with the
        largest bonuses cannot reach the window any more is not looked at
        (reading positions and stored fields is most of a query at x10).
        Floating-point products are monotonic, so the bound is exact.
        """
        weights = self.weights
        phrase = weights.phrase if len(self.plan.stems) > 1 and weights.phrase else 0.0
        bounded = phrase >= 0 and weights.exact >= 0

        def bound(score: float) -> float:
            return score * (1 + phrase) * (1 + weights.exact)

        pending = sorted(head, key=lambda sd: (-bound(sd[0]), sd[1])) if bounded else head
        step = window if bounded else len(head)
        done: list[tuple[float, int]] = []
        while pending:
            batch, pending = pending[:step], pending[step:]
            done += self._bonus(batch)
            done.sort(key=lambda sd: (-sd[0], sd[1]))
            if pending and len(done) >= window and bound(pending[0][0]) < done[window - 1][0]:
                break
        return done[:window]

    def _bonus(self, head: list[tuple[float, int]]) -> list[tuple[float, int]]:
        """The words in sequence, and the words exactly as typed, count extra."""
        weights, plan, searcher = self.weights, self.plan, self.gen.searcher
        docs = {d for _, d in head}
        in_title: set[int] = set()
        in_body: set[int] = set()
        if len(plan.stems) > 1 and weights.phrase:
            stats = field_stats(self.gen)
            in_title = _in_sequence(stats, "title", plan.stems, docs)
            in_body = _in_sequence(stats, "body", plan.stems, docs - in_title)
        patterns = []
        if weights.exact:
            patterns = [re.compile(r"(?<!\w)" + re.escape(w) + r"(?!\w)", re.IGNORECASE) for w in plan.typed]
        out = []
        for score, docnum in head:
            if docnum in in_title:
                score *= 1 + weights.phrase
            elif docnum in in_body:
                score *= 1 + weights.phrase / 2
            if patterns:
                # Exact words beat stemmed forms, typo corrections and synonyms.
                stored = searcher.stored_fields(docnum)
                text = "\n".join((stored.get("title", ""), stored.get("summary", ""), stored.get("facet_values", "")))
                share = sum(1 for p in patterns if p.search(text)) / len(patterns)
                score *= 1 + weights.exact * share
            out.append((score, docnum))
        return out


PHRASE_SLOP = 2
# ~250 bytes an entry: ~12 MB per worker at most.
MAX_CACHED_POSITIONS = 50_000


def _in_sequence(stats: FieldStats, name: str, stems: list[str], docs: set[int]) -> set[int]:
    """The posts among ``docs`` whose field has the stems in order, each within PHRASE_SLOP.

    Reads positions for these few posts only (Whoosh's Phrase query walks the
    whole posting lists: about half of a query's time, measured).
    """
    candidates = np.array(sorted(docs), dtype=np.int64)
    for stem in stems:
        ids = stats.posting(name, stem)[0]
        found = np.searchsorted(ids, candidates)
        found[found == len(ids)] = 0
        candidates = candidates[ids[found] == candidates] if len(ids) else candidates[:0]
        if not len(candidates):
            return set()
    order = candidates.tolist()
    positions: dict[int, list[list[int]]] = {d: [] for d in order}
    cache = stats.positions
    for stem in stems:
        matcher = None
        for docnum in order:
            key = (name, stem, docnum)
            found = cache.get(key)
            if found is None:
                if matcher is None:
                    matcher = stats.reader.postings(name, stem)
                matcher.skip_to(docnum)  # order is ascending: the matcher only moves forward
                found = matcher.value_as("positions") if matcher.is_active() and matcher.id() == docnum else []
                cache[key] = found
                if len(cache) > MAX_CACHED_POSITIONS:
                    cache.popitem(last=False)
            else:
                cache.move_to_end(key)
            positions[docnum].append(found)
    found = set()
    for docnum, lists in positions.items():
        starts = lists[0]
        for start in starts:
            previous, ok = start, True
            for following in lists[1:]:
                nxt = next((p for p in following if previous < p <= previous + 1 + PHRASE_SLOP), None)
                if nxt is None:
                    ok = False
                    break
                previous = nxt
            if ok:
                found.add(docnum)
                break
    return found


def timestamp(value) -> float:
    try:
        return value.timestamp()
    except (AttributeError, OverflowError, OSError, ValueError):
        return 0.0


def relevance_of(gen: Generation, plan: Plan, settings, weights: Weights) -> Relevance:
    stats = field_stats(gen)
    per_unit = [unit_scores(stats, unit, weights) for unit in plan.units]
    if not gen.live.all():  # deleted documents stay in the postings until a merge
        for scores in per_unit:
            scores[~gen.live] = 0.0
    matched = np.zeros(gen.size, dtype=bool)
    for scores in per_unit:
        matched |= scores > 0
    return Relevance(gen, plan, weights, per_unit, matched, float(settings.get("recency_half_life_days") or 0))


def exact_sets(gen: Generation, plan: Plan, weights: Weights) -> list[np.ndarray]:
    stats = field_stats(gen)
    return [(unit_scores(stats, unit, weights, kinds=("exact", "synonym")) > 0) & gen.live for unit in plan.units]
