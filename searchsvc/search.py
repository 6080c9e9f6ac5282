"""A validated SearchRequest + the live generation -> the result dict.

One dict serves /search.json and the HTML page (as Datasette does), so the
two cannot disagree.  Matching documents are computed as a set once; facet
counts, filters and date ranges are set operations on per-generation tables,
and only the page of hits is scored with an exhaustive top-N collector
(Whoosh's default collector can return the wrong top 10: WHOOSH-FACTS.md).
"""

from __future__ import annotations

import heapq
import json
import math
import re
import time
from dataclasses import dataclass
from collections import Counter
from itertools import chain
from typing import Any, Mapping
from urllib.parse import urlencode

from whoosh import collectors, qparser
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


def _filter_docs(gen: Generation, name: str, values: list[str]) -> frozenset[int]:
    table = gen.postings.get(name, {})
    docs: set[int] = set()
    for value in values:
        docs |= table.get(value if name == "year" else facet_key(value), frozenset())
    return frozenset(docs)


def _in_date_range(gen: Generation, docs, req: SearchRequest) -> set[int]:
    low = req.date_from.isoformat() if req.date_from else ""
    high = req.date_to.isoformat() if req.date_to else "9999-99-99"
    days = gen.days
    return {d for d in docs if low <= days[d] <= high}


def _count(gen: Generation, name: str, docs) -> Counter:
    per_doc = gen.doc_values.get(name, {})
    # One count over all the keys, in C: Counter.update once a post was a
    # sixth of a query's time (BENCHMARKS.md).
    return Counter(chain.from_iterable(filter(None, map(per_doc.get, docs))))


def _facets(gen, req, base, filter_sets, settings, base_path) -> dict[str, list[dict]]:
    out = {}
    # Adding a value appends one pair to the request's own: encode those once
    # (= _url(base_path, _toggle_pairs(...)) for an unselected value).
    current = urlencode(req.params())
    add_url = f"{base_path}?{current}&" if current else f"{base_path}?"
    for name in gen.facet_names:
        # A facet's counts ignore its own selection (multi-select faceting):
        # ticking OMB still shows how many posts SSA would add.
        others = [s for n, s in filter_sets.items() if n != name]
        docs = base.intersection(*others) if others else base
        counts = _count(gen, name, docs)
        selected_keys = {
            (v if name == "year" else facet_key(v)): v for v in req.filters.get(name, [])
        }
        display = gen.display.get(name, {})
        limit = settings["max_facet_values"]
        if name == "year":
            ordered = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
        else:
            # = sorted(...)[:limit], without sorting hundreds of tags
            ordered = heapq.nsmallest(limit, counts.items(), key=lambda kv: (-kv[1], display.get(kv[0], kv[0]).lower()))
        shown = ordered[:limit]
        shown_keys = {k for k, _ in shown}
        for key in selected_keys:
            if key not in shown_keys:
                shown.append((key, counts.get(key, 0)))
        entries = []
        for key, count in shown:
            value = display.get(key, selected_keys.get(key, key))
            is_selected = key in selected_keys
            entries.append(
                {
                    "value": value,
                    "count": count,
                    "selected": is_selected,
                    "toggle_url": _url(base_path, _toggle_pairs(req, name, value, is_selected))
                    if is_selected
                    else add_url + urlencode(((name, value),)),
                }
            )
        out[name] = entries
    return out


def _hit(gen: Generation, docnum: int, score, terms: set[str], facet_names) -> dict:
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
            key = facet_key(value)
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
MAX_CACHED_POSTINGS = 50_000


class FieldStats:
    """Per generation: document count, field lengths, and a posting-list cache."""

    def __init__(self, gen: Generation):
        reader = gen.searcher.reader()
        self.reader = reader
        self.searcher = gen.searcher
        self.n = max(1, reader.doc_count_all())
        self.lengths: dict[str, list[int]] = {}
        self.average: dict[str, float] = {}
        for name in FIELD_BOOSTS:
            # (None, not 0, for a post with an empty field, e.g. front matter only)
            self.lengths[name] = [reader.doc_field_length(d, name, 0) or 0 for d in range(reader.doc_count_all())]
            self.average[name] = max(1.0, reader.field_length(name) / self.n)
        # filled by queries, which hold the generation's lock
        self.postings: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        self._damping: dict[float, list[float]] = {}

    def damping(self, ratio: float) -> list[float]:
        """Per post, a factor for its body score: 1, or less for bodies over ``ratio`` x the average.

        BM25's term frequency saturates, so a 40 KB transcript that repeats a
        word hundreds of times still reaches the ceiling a short, focused
        post only nears; past ``ratio`` times the average length the body's
        score shrinks with the square root of the excess.
        """
        found = self._damping.get(ratio)
        if found is None:
            limit = ratio * self.average["body"]
            found = [1.0 if n <= limit else math.sqrt(limit / n) for n in self.lengths["body"]]
            self._damping[ratio] = found
        return found

    def posting(self, name: str, stem: str) -> tuple[list[int], list[float]]:
        key = (name, stem)
        found = self.postings.get(key)
        if found is None:
            ids: list[int] = []
            weights: list[float] = []
            if (name, stem) in self.reader:
                for docnum, weight in self.reader.postings(name, stem).items_as("weight"):
                    ids.append(docnum)
                    weights.append(weight)
            found = (ids, weights)
            if len(self.postings) >= MAX_CACHED_POSTINGS:
                self.postings.clear()
            self.postings[key] = found
        return found


def field_stats(gen: Generation) -> FieldStats:
    return gen.derived("field_stats", FieldStats)


def _term_scores(stats: FieldStats, stem: str, weights: Weights) -> dict[int, float]:
    """BM25F of one stem: the sum over text fields of boost x BM25 in that field."""
    out: dict[int, float] = {}
    k1 = weights.k1
    for name, boost in FIELD_BOOSTS.items():
        ids, tfs = stats.posting(name, stem)
        if not ids:
            continue
        b = weights.title_b if name == "title" else weights.body_b if name == "body" else 0.75
        idf = 1.0 + math.log(stats.n / (len(ids) + 1))
        lengths, average = stats.lengths[name], stats.average[name]
        factor = boost * idf * (k1 + 1)
        norm0, norm1 = k1 * (1 - b), k1 * b / average
        if name == "body" and weights.long_ratio:
            damping = stats.damping(weights.long_ratio)
            for docnum, tf in zip(ids, tfs):
                value = damping[docnum] * factor * tf / (tf + norm0 + norm1 * lengths[docnum])
                out[docnum] = out.get(docnum, 0.0) + value
            continue
        for docnum, tf in zip(ids, tfs):
            out[docnum] = out.get(docnum, 0.0) + factor * tf / (tf + norm0 + norm1 * lengths[docnum])
    return out


def _alternative_scores(stats: FieldStats, alt, weights: Weights) -> dict[int, float]:
    if len(alt.stems) == 1:
        scores = _term_scores(stats, alt.stems[0], weights)
    else:
        # A phrase (a synonym such as "social security administration"):
        # posts with the words in sequence, scored by the mean of its words.
        phrase = wq.Or([wq.Phrase(f, list(alt.stems)) for f in FIELD_BOOSTS])
        docs = set(stats.searcher.docs_for_query(phrase))
        scores = {}
        if docs:
            parts = [_term_scores(stats, stem, weights) for stem in alt.stems]
            for docnum in docs:
                scores[docnum] = sum(p.get(docnum, 0.0) for p in parts) / len(parts)
    if alt.weight != 1.0:
        scores = {d: v * alt.weight for d, v in scores.items()}
    return scores


def unit_scores(stats: FieldStats, unit, weights: Weights, kinds=("exact", "synonym", "typo")) -> dict[int, float]:
    """A unit's best alternative per post (typo corrections and synonyms never add up)."""
    best: dict[int, float] = {}
    for alt in unit:
        if alt.kind not in kinds:
            continue
        for docnum, value in _alternative_scores(stats, alt, weights).items():
            if value > best.get(docnum, 0.0):
                best[docnum] = value
    return best


@dataclass
class Relevance:
    """The matches of a plan, scored, and a way to rank any subset of them."""

    gen: Generation
    plan: Plan
    weights: Weights
    per_unit: list[dict[int, float]]
    matched: set[int]
    half_life_days: float

    def ranked(self, allowed: set[int], window: int) -> list[tuple[int, float]]:
        weights = self.weights
        units = len(self.per_unit)
        scored = []
        for docnum in allowed:
            total, have = 0.0, 0
            for scores in self.per_unit:
                value = scores.get(docnum)
                if value is not None:
                    total += value
                    have += 1
            # Posts with every word first: the score shrinks with each missing one.
            scored.append((total * (have / units) ** weights.coord_power, docnum))
        if self.half_life_days > 0:
            now, dates = time.time(), self.gen.dates
            scored = [
                (score * 0.5 ** (max(0.0, (now - _timestamp(dates[d])) / SECONDS_PER_DAY) / self.half_life_days), d)
                for score, d in scored
            ]
        head = heapq.nlargest(max(window, EXACT_RERANK), scored, key=lambda sd: (sd[0], -sd[1]))
        head = self._bonus(head)
        head.sort(key=lambda sd: (-sd[0], sd[1]))
        return [(d, s) for s, d in head[:window]]

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


def _in_sequence(stats: FieldStats, name: str, stems: list[str], docs: set[int]) -> set[int]:
    """The posts among ``docs`` whose field has the stems in order, each within PHRASE_SLOP.

    Reads positions for these few posts only (Whoosh's Phrase query walks the
    whole posting lists: about half of a query's time, measured).
    """
    candidates = set(docs)
    for stem in stems:
        candidates &= set(stats.posting(name, stem)[0])
        if not candidates:
            return set()
    order = sorted(candidates)
    positions: dict[int, list[list[int]]] = {d: [] for d in order}
    reader = stats.reader
    for stem in stems:
        matcher = reader.postings(name, stem)
        for docnum in order:
            matcher.skip_to(docnum)
            if not matcher.is_active() or matcher.id() != docnum:
                positions[docnum].append([])
                continue
            positions[docnum].append(matcher.value_as("positions"))
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


def _timestamp(value) -> float:
    try:
        return value.timestamp()
    except (AttributeError, OverflowError, OSError, ValueError):
        return 0.0


def _relevance(gen: Generation, plan: Plan, settings, weights: Weights) -> Relevance:
    stats = field_stats(gen)
    per_unit = [unit_scores(stats, unit, weights) for unit in plan.units]
    live = gen.live_docs
    if len(live) < stats.n:  # deleted documents stay in the postings until a merge
        per_unit = [{d: v for d, v in scores.items() if d in live} for scores in per_unit]
    matched = set().union(*(scores.keys() for scores in per_unit))
    return Relevance(gen, plan, weights, per_unit, matched, float(settings.get("recency_half_life_days") or 0))


def _exact_sets(gen: Generation, plan: Plan, weights: Weights) -> list[set[int]]:
    stats = field_stats(gen)
    return [set(unit_scores(stats, unit, weights, kinds=("exact", "synonym"))) & gen.live_docs for unit in plan.units]


def _plan(gen: Generation, req: SearchRequest, settings, base_path: str, weights: Weights = WEIGHTS):
    """Plan a plain-word query; decide on did-you-mean and on searching the correction.

    Returns (plan, relevance, suggestion, corrected query or None).
    """
    reader = gen.searcher.reader()

    def vocab():
        return suggest.vocabulary(gen)

    def stem_df(stem: str) -> int:
        return max(reader.doc_frequency(name, stem) for name in FIELD_BOOSTS)

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
    if not set().union(*typed_sets):
        # Nothing has the words as typed: search the correction and say so.
        fixed_relevance = _relevance(gen, fixed, settings, weights)
        if fixed_relevance.matched:
            return fixed, fixed_relevance, None, plan.corrected
        return plan, relevance, None, None
    fixed_sets = _exact_sets(gen, fixed, weights)
    # Did you mean: only when the correction finds more posts with every word.
    if len(set.intersection(*fixed_sets)) > len(set.intersection(*typed_sets)):
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
        matched = relevance.matched if relevance is not None else set()
        parsed = plan.query if plan is not None else None
    elif req.q:
        # The query language: every word required, else any word.
        parsed = parse_query(req.q, gen.ix.schema, searcher.reader(), settings)
        matched = set(searcher.docs_for_query(parsed)) & gen.live_docs if parsed is not None else set()
        if parsed is not None and not matched and len(req.q.split()) > 1:
            relaxed = parse_query(req.q, gen.ix.schema, searcher.reader(), settings, group=qparser.OrGroup)
            if relaxed is not None:
                parsed = relaxed
                matched = set(searcher.docs_for_query(parsed)) & gen.live_docs
    else:
        matched = set(gen.live_docs)

    base = matched
    if req.date_from or req.date_to:
        base = _in_date_range(gen, base, req)
    filter_sets = {name: _filter_docs(gen, name, values) for name, values in req.filters.items()}
    final = base.intersection(*filter_sets.values()) if filter_sets else base

    total = len(final)
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
            collector = collectors.FilterCollector(top, allow=final) if len(final) < len(matched) else top
            searcher.search_with_collector(parsed, collector)
            results = collector.results()
            ranked = [(results.docnum(i), results.score(i)) for i in range(first, min(window, len(results)))]
        else:
            dates = gen.dates
            pick = heapq.nsmallest if req.sort == "oldest" else heapq.nlargest
            chosen = pick(window, final, key=lambda d: (dates[d], -d if req.sort == "oldest" else d))
            ranked = [(d, None) for d in chosen[first:window]]

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
