"""A validated SearchRequest + the live generation -> the result dict.

One dict serves /search.json and the HTML page (as Datasette does), so the
two cannot disagree.  Matching documents are computed once, as a boolean
array over document numbers; facet counts, filters and date ranges are array
operations on per-generation tables,
and only the page of hits is scored with an exhaustive top-N collector
(Whoosh's default collector can return the wrong top 10: WHOOSH-FACTS.md).
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from collections import OrderedDict
from typing import Any, Mapping
from urllib.parse import urlencode

import numpy as np
from whoosh import collectors, qparser
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh import query as wq

from .documents import facet_key
from . import suggest, synonyms
from .query import WEIGHTS, Plan, SearchRequest, Weights, build_plan, is_plain, parse_query, query_terms
from .schema import FIELD_BOOSTS
from .searcher import Generation
from .snippets import highlight_all, plain, snippet


def _url(base_path: str, pairs: list[tuple[str, str]]) -> str:
    return f"{base_path}?{urlencode(pairs)}" if pairs else base_path


def _toggle_pairs(req: SearchRequest, name: str, value: str, selected: bool) -> list[tuple[str, str]]:
    pairs = [p for p in req.params() if not (selected and p[0] == name and facet_key(p[1]) == facet_key(value))]
    if not selected:
        pairs.append((name, value))
    return pairs


# Sets of posts are boolean arrays indexed by document number: intersections,
# counts and filters are then single NumPy operations (at x10, Python sets
# and a Counter over per-post tuples were a third of a query).


def _filter_docs(gen: Generation, name: str, values: list[str]) -> np.ndarray:
    table = gen.postings.get(name, {})
    docs = np.zeros(gen.size, dtype=bool)
    for value in values:
        found = table.get(value if name == "year" else facet_key(value))
        if found is not None:
            docs[found] = True
    return docs


def _in_date_range(gen: Generation, docs: np.ndarray, req: SearchRequest) -> np.ndarray:
    low = req.date_from.isoformat() if req.date_from else ""
    high = req.date_to.isoformat() if req.date_to else "9999-99-99"
    days = _day_array(gen)
    return docs & (days >= low) & (days <= high)


def _day_array(gen: Generation) -> np.ndarray:
    def build(gen):
        days = np.array(gen.days + [""] * (gen.size - len(gen.days)), dtype=str)  # (str even when empty)
        return days[: gen.size]

    return gen.derived("day_array", build)


def _count(gen: Generation, name: str, docs: np.ndarray) -> np.ndarray:
    """Posts among ``docs`` per value of a facet (numbered as in gen.facet_keys)."""
    return np.bincount(gen.pair_values[name][docs[gen.pair_docs[name]]], minlength=len(gen.facet_keys[name]))


@dataclass
class FacetOrder:
    """Per facet: value number by key, display rank (case-insensitive), each value's URL pair encoded; stored value -> key."""

    numbers: dict[str, dict[str, int]]
    display_rank: dict[str, np.ndarray]
    encoded: dict[tuple[str, str], str]
    keys: dict[str, str]


def _facet_order(gen: Generation) -> FacetOrder:
    def build(gen):
        numbers, ranks = {}, {}
        for name, keys in gen.facet_keys.items():
            display = gen.display.get(name, {})
            numbers[name] = {key: i for i, key in enumerate(keys)}
            by_display = sorted(range(len(keys)), key=lambda i: display.get(keys[i], keys[i]).lower())
            rank = np.empty(len(keys), dtype=np.int64)
            rank[by_display] = np.arange(len(keys))
            ranks[name] = rank
        return FacetOrder(numbers, ranks, {}, {})

    return gen.derived("facet_order", build)


def _facets(gen, req, base, filter_sets, settings, base_path) -> dict[str, list[dict]]:
    out = {}
    # Adding a value appends one pair to the request's own: encode those once
    # (= _url(base_path, _toggle_pairs(...)) for an unselected value).
    current = urlencode(req.params())
    add_url = f"{base_path}?{current}&" if current else f"{base_path}?"
    order_of = _facet_order(gen)
    for name in gen.facet_names:
        # A facet's counts ignore its own selection (multi-select faceting):
        # ticking OMB still shows how many posts SSA would add.
        docs = base
        for other, selected in filter_sets.items():
            if other != name:
                docs = docs & selected
        counts = _count(gen, name, docs)
        present = np.flatnonzero(counts)
        keys = gen.facet_keys[name]
        selected_keys = {
            (v if name == "year" else facet_key(v)): v for v in req.filters.get(name, [])
        }
        display = gen.display.get(name, {})
        limit = settings["max_facet_values"]
        if name == "year":
            ordered = sorted(((keys[i], int(counts[i])) for i in present.tolist()), reverse=True)
        else:
            # most posts first, then by display form, case-insensitively
            order = np.lexsort((order_of.display_rank[name][present], -counts[present]))[:limit]
            ordered = [(keys[i], int(counts[i])) for i in present[order].tolist()]
        shown = ordered[:limit]
        shown_keys = {k for k, _ in shown}
        numbers = order_of.numbers[name]
        for key in selected_keys:
            if key not in shown_keys:
                shown.append((key, int(counts[numbers[key]]) if key in numbers else 0))
        entries = []
        for key, count in shown:
            value = display.get(key, selected_keys.get(key, key))
            is_selected = key in selected_keys
            if is_selected:
                toggle_url = _url(base_path, _toggle_pairs(req, name, value, is_selected))
            else:
                pair = order_of.encoded.get((name, value))
                if pair is None:  # values come from the index: a bounded set
                    pair = order_of.encoded.setdefault((name, value), urlencode(((name, value),)))
                toggle_url = add_url + pair
            entries.append({"value": value, "count": count, "selected": is_selected, "toggle_url": toggle_url})
        out[name] = entries
    return out


def _hit(gen: Generation, docnum: int, score, terms: set[str], facet_names) -> dict:
    keys = _facet_order(gen).keys
    stored = gen.searcher.stored_fields(docnum)
    values = json.loads(stored.get("facet_values") or "{}")
    result = {
        "id": stored["id"],
        "url": stored["url"],
        "title": stored["title"],
        "summary": stored["summary"],
        "date": stored["date_iso"],
    }
    for name in facet_names:
        display = gen.display.get(name, {})
        seen, shown = set(), []
        for value in values.get(name, []):
            key = keys.get(value)
            if key is None:  # values come from the index: a bounded set
                key = keys.setdefault(value, facet_key(value))
            if key not in seen:
                seen.add(key)
                shown.append(display.get(key, value))
        result[name] = shown
    text_snippet = snippet(stored.get("body", ""), terms) or snippet(stored["summary"], terms)
    result["snippet"] = text_snippet or plain(stored["summary"] or stored.get("body", ""))
    result["title_html"] = highlight_all(stored["title"], terms)
    result["score"] = round(score, 4) if score is not None else None
    return result


# --- relevance for plain-word queries ----------------------------------------
#
# BM25F computed here from the posting lists rather than through Whoosh's
# matchers: a plan has a dozen alternatives per word across four fields, and
# Whoosh's union matchers pre-score every posting of every one in Python
# (80-130 ms a query on the real corpus, measured); reading each posting list
# once per generation and summing in dicts is several times cheaper.

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
        found = _read_posting(self.reader, name, stem) if key in self.reader else (_EMPTY_IDS, _EMPTY_TFS)
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


def _read_posting(reader, name: str, stem: str) -> tuple[np.ndarray, np.ndarray]:
    """(docnums, weights) of a term: = ``reader.postings(name, stem).items_as("weight")``.

    Whoosh yields one posting at a time through several Python calls (at
    100,000 posts a common word took ~100 ms); a segment's own matcher holds
    each block's ids and weights as arrays, so those are taken a block at a
    time (Whoosh 2.7.4's block reader, pinned in setup.cfg; other matchers,
    e.g. a segment with deletions, go the general way).
    """
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for leaf, offset in reader.leaf_readers():
        if (name, stem) not in leaf:
            continue
        matcher = leaf.postings(name, stem)
        if type(matcher) is W3LeafMatcher:
            while matcher.is_active():
                matcher._read_weights()  # (also reads the block)
                block_ids = np.asarray(matcher._data[0], dtype=np.int64)
                if not matcher._byteids:  # delta-coded, as whoosh.util.numlists.delta_decode undoes
                    block_ids = np.cumsum(block_ids)
                ids.append(block_ids + offset)
                weights.append(np.asarray(matcher._weights, dtype=np.float64))
                matcher._next_block()
        else:
            pairs = list(matcher.items_as("weight"))
            ids.append(np.fromiter((d + offset for d, _ in pairs), dtype=np.int64, count=len(pairs)))
            weights.append(np.fromiter((w for _, w in pairs), dtype=np.float64, count=len(pairs)))
    if not ids:
        return _EMPTY_IDS, _EMPTY_TFS
    return np.concatenate(ids).astype(np.int32), np.concatenate(weights)


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
                0.5 ** (max(0.0, (now - _timestamp(dates[d])) / SECONDS_PER_DAY) / self.half_life_days)
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


def _docs(gen: Generation, parsed) -> np.ndarray:
    docs = np.zeros(gen.size, dtype=bool)
    if parsed is not None:
        docs[np.fromiter(gen.searcher.docs_for_query(parsed), dtype=np.int64)] = True
    return docs & gen.live


def _date_ranks(gen: Generation) -> np.ndarray:
    """Per post, the rank of its date among all dates (equal dates, equal ranks): date order as integers."""

    def build(gen):
        distinct = sorted(set(gen.dates))
        rank = {value: i for i, value in enumerate(distinct)}
        return np.array([rank[value] for value in gen.dates], dtype=np.int64)

    return gen.derived("date_ranks", build)


def _timestamp(value) -> float:
    try:
        return value.timestamp()
    except (AttributeError, OverflowError, OSError, ValueError):
        return 0.0


def _relevance(gen: Generation, plan: Plan, settings, weights: Weights) -> Relevance:
    stats = field_stats(gen)
    per_unit = [unit_scores(stats, unit, weights) for unit in plan.units]
    if not gen.live.all():  # deleted documents stay in the postings until a merge
        for scores in per_unit:
            scores[~gen.live] = 0.0
    matched = np.zeros(gen.size, dtype=bool)
    for scores in per_unit:
        matched |= scores > 0
    return Relevance(gen, plan, weights, per_unit, matched, float(settings.get("recency_half_life_days") or 0))


def _exact_sets(gen: Generation, plan: Plan, weights: Weights) -> list[np.ndarray]:
    stats = field_stats(gen)
    return [(unit_scores(stats, unit, weights, kinds=("exact", "synonym")) > 0) & gen.live for unit in plan.units]


def _plan(gen: Generation, req: SearchRequest, settings, base_path: str, weights: Weights = WEIGHTS):
    """Plan a plain-word query; decide on did-you-mean and on searching the correction.

    Returns (plan, relevance, suggestion, corrected query or None).
    """

    def vocab():
        # None (no typo corrections) if still being built after a few seconds
        return suggest.vocabulary(gen, wait=suggest.REQUEST_WAIT_SECONDS)

    def stem_df(stem: str) -> int:
        # = the largest doc_frequency over the fields: the lists are read to score anyway
        stats = field_stats(gen)
        return max(len(stats.posting(name, stem)[0]) for name in FIELD_BOOSTS)

    groups = synonyms.load(settings.get("synonyms_file"))
    plan = build_plan(req.q, vocab, groups, weights, settings["max_query_terms"], stem_df)
    if plan is None:
        return None, None, None, None
    relevance = _relevance(gen, plan, settings, weights)
    if not plan.corrected:
        return plan, relevance, None, None
    fixed = build_plan(plan.corrected, vocab, groups, weights, settings["max_query_terms"], stem_df)
    if fixed is None:
        return plan, relevance, None, None
    typed_sets = _exact_sets(gen, plan, weights)
    if not any(docs.any() for docs in typed_sets):
        # Nothing has the words as typed: search the correction and say so.
        fixed_relevance = _relevance(gen, fixed, settings, weights)
        if fixed_relevance.matched.any():
            return fixed, fixed_relevance, None, plan.corrected
        return plan, relevance, None, None
    fixed_sets = _exact_sets(gen, fixed, weights)
    # Did you mean: only when the correction finds more posts with every word.
    if np.count_nonzero(np.logical_and.reduce(fixed_sets)) > np.count_nonzero(np.logical_and.reduce(typed_sets)):
        pairs = [("q", plan.corrected)] + [p for p in req.params() if p[0] != "q"]
        return plan, relevance, {"text": plan.corrected, "url": _url(base_path, pairs)}, None
    return plan, relevance, None, None


def _facet_matches(gen: Generation, plan: Plan) -> list[dict]:
    """Facet values the query is or contains (and their synonyms), to offer as filters."""
    words = re.findall(r"\w+(?:\.?\w+)*", plan.text.lower())
    phrases = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(len(words), i + 6) + 1)}
    for alternative in plan.synonyms:
        phrases.add(" ".join(alternative))
    out, seen = [], set()
    for name in gen.facet_names:
        if name == "year":
            continue
        table = gen.postings.get(name, {})
        display = gen.display.get(name, {})
        for phrase in sorted(phrases, key=lambda p: (-len(p), p)):
            key = facet_key(phrase)
            if key in table and (name, key) not in seen:
                seen.add((name, key))
                out.append({"facet": name, "value": display.get(key, phrase)})
    return out


def run(gen: Generation, req: SearchRequest, settings: Mapping[str, Any], base_path: str) -> dict:
    started = time.perf_counter()
    searcher = gen.searcher
    parsed = None
    plan = relevance = suggestion = corrected = None
    if req.q and is_plain(req.q):
        # A few plain words, the common case: ranked by the relevance plan.
        plan, relevance, suggestion, corrected = _plan(gen, req, settings, base_path)
        matched = relevance.matched if relevance is not None else np.zeros(gen.size, dtype=bool)
        parsed = plan.query if plan is not None else None
    elif req.q:
        # The query language: every word required, else any word.
        parsed = parse_query(req.q, gen.ix.schema, searcher.reader(), settings)
        matched = _docs(gen, parsed)
        if parsed is not None and not matched.any() and len(req.q.split()) > 1:
            relaxed = parse_query(req.q, gen.ix.schema, searcher.reader(), settings, group=qparser.OrGroup)
            if relaxed is not None:
                parsed = relaxed
                matched = _docs(gen, parsed)
    else:
        matched = gen.live

    base = matched
    if req.date_from or req.date_to:
        base = _in_date_range(gen, base, req)
    filter_sets = {name: _filter_docs(gen, name, values) for name, values in req.filters.items()}
    final = base
    for docs in filter_sets.values():
        final = final & docs

    total = int(np.count_nonzero(final))
    pages = math.ceil(total / req.per_page)
    first = (req.page - 1) * req.per_page
    window = first + req.per_page
    ranked: list[tuple[int, float | None]] = []
    if first < total:
        if req.sort == "relevance" and relevance is not None:
            ranked = relevance.ranked(final, window)[first:window]
        elif req.sort == "relevance" and parsed is not None:
            # replace=0 too: replacing the matcher prunes on estimated best
            # scores, which for BM25F can drop a real top-10 post.
            top = collectors.TopCollector(limit=window, usequality=False, replace=0)
            filtered = total < np.count_nonzero(matched)
            collector = collectors.FilterCollector(top, allow=set(np.flatnonzero(final).tolist())) if filtered else top
            searcher.search_with_collector(parsed, collector)
            results = collector.results()
            ranked = [(results.docnum(i), results.score(i)) for i in range(first, min(window, len(results)))]
        else:
            # newest: latest date first, ties by higher docnum; oldest: earliest
            # date first, ties by higher docnum too.
            ids = np.flatnonzero(final)
            ranks = _date_ranks(gen)[ids]
            order = np.lexsort((-ids, ranks if req.sort == "oldest" else -ranks))
            ranked = [(d, None) for d in ids[order[first:window]].tolist()]

    terms = query_terms(parsed) if parsed is not None else set()
    facet_names = tuple(n for n in gen.facet_names if n != "year")
    results_out = [_hit(gen, d, s, terms, facet_names) for d, s in ranked]
    facets = _facets(gen, req, base, filter_sets, settings, base_path)
    next_url = None
    if req.page < pages:
        next_url = _url(base_path, req.params() + [("page", str(req.page + 1))])
    return {
        "ok": True,
        "query": req.q,
        "total": total,
        "page": req.page,
        "per_page": req.per_page,
        "pages": pages,
        "sort": req.sort,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
        "results": results_out,
        "facets": facets,
        "suggestion": suggestion,
        "corrected": corrected is not None,
        "corrected_query": corrected,
        "facet_matches": _facet_matches(gen, plan) if plan is not None else [],
        "next_url": next_url,
    }
