"""A validated SearchRequest + the live generation -> the result dict.

One dict serves /search.json and the HTML page (as Datasette does), so the
two cannot disagree.  Matching documents are computed once, as a boolean
array over document numbers; facet counts, filters and date ranges are array
operations on per-generation tables, and only the page of hits is scored with
an exhaustive top-N collector (Whoosh's default collector can return the
wrong top 10: WHOOSH-FACTS.md).
"""

from __future__ import annotations

import math
import time
from typing import Any, Mapping

import numpy as np
from whoosh import qparser

from . import suggest, synonyms
from .budget import NO_DEADLINE, Deadline, too_slow, until_deadline
from .facets import facet_matches, facets_of, filter_docs, in_date_range
from .generation import Generation
from .hits import hit
from .language import is_plain, parse_query, query_terms
from .plan import build_plan, language_plan
from .ranking import FIELD_BOOSTS, WEIGHTS, Weights, exact_sets, field_stats, relevance_of
from .request import SearchRequest
from .urls import with_params


def _word_sources(gen: Generation):
    """(vocab, stem_df) for planning: the typo vocabulary, asked for only when needed, and a stem's post count."""

    def vocab():
        # None (no typo corrections) if still being built after a few seconds
        return suggest.vocabulary(gen, wait=suggest.REQUEST_WAIT_SECONDS)

    def stem_df(stem: str) -> int:
        # = the largest doc_frequency over the fields: the lists are read to score anyway
        stats = field_stats(gen)
        return max(len(stats.posting(name, stem)[0]) for name in FIELD_BOOSTS)

    return vocab, stem_df


def plan_query(gen: Generation, req: SearchRequest, settings, base_path: str, weights: Weights = WEIGHTS, deadline=NO_DEADLINE):
    """Plan a plain-word query; decide on did-you-mean and on searching the correction.

    Returns (plan, relevance, suggestion, corrected query or None).
    """
    vocab, stem_df = _word_sources(gen)
    groups = synonyms.effective(settings, gen.meta.get("content_dir"))
    limits = settings["max_query_terms"], stem_df, settings["max_expanded_terms"]
    plan = build_plan(req.q, vocab, groups, weights, *limits)
    if plan is None:
        return None, None, None, None
    relevance = relevance_of(gen, plan, settings, weights, deadline=deadline)
    if not plan.corrected:
        return plan, relevance, None, None
    fixed = build_plan(plan.corrected, vocab, groups, weights, *limits)
    if fixed is None:
        return plan, relevance, None, None
    typed_sets = exact_sets(gen, plan, weights)
    if not any(docs.any() for docs in typed_sets):
        # Nothing has the words as typed: search the correction and say so.
        fixed_relevance = relevance_of(gen, fixed, settings, weights, deadline=deadline)
        if fixed_relevance.matched.any():
            return fixed, fixed_relevance, None, plan.corrected
        return plan, relevance, None, None
    fixed_sets = exact_sets(gen, fixed, weights)
    # Did you mean: only when the correction finds more posts with every word.
    if np.count_nonzero(np.logical_and.reduce(fixed_sets)) > np.count_nonzero(np.logical_and.reduce(typed_sets)):
        pairs = [("q", plan.corrected)] + [p for p in req.params() if p[0] != "q"]
        return plan, relevance, {"text": plan.corrected, "url": with_params(base_path, pairs)}, None
    return plan, relevance, None, None


def language_query(gen: Generation, req: SearchRequest, settings, weights: Weights = WEIGHTS, deadline=NO_DEADLINE):
    """The query language: Whoosh parses and matches (every word required, else any word); the plan scores.

    Returns (plan or None, relevance or None, the Whoosh query matched, the match set).
    """
    vocab, stem_df = _word_sources(gen)
    groups = synonyms.effective(settings, gen.meta.get("content_dir"))
    searcher = gen.searcher
    for group in (qparser.AndGroup, qparser.OrGroup):
        parsed = parse_query(req.q, searcher.schema, searcher.reader(), settings, group=group, deadline=deadline)
        if parsed is None:
            return None, None, None, np.zeros(gen.size, dtype=bool)
        limits = settings["max_query_terms"], stem_df, settings["max_expanded_terms"]
        plan, parsed = language_plan(req.q, parsed, vocab, groups, weights, *limits)
        matched = _docs(gen, parsed, deadline)
        if matched.any() or len(req.q.split()) <= 1 or deadline.expired():
            break
    relevance = relevance_of(gen, plan, settings, weights, matched, deadline) if plan is not None else None
    return plan, relevance, parsed, matched


# Posts matched between two looks at the deadline.
_MATCH_BATCH = 256


def _docs(gen: Generation, parsed, deadline=NO_DEADLINE) -> np.ndarray:
    """The posts matching ``parsed``; past the deadline, those matched so far."""
    docs = np.zeros(gen.size, dtype=bool)
    if parsed is not None:
        found = []
        for i, docnum in enumerate(gen.searcher.docs_for_query(until_deadline(parsed, deadline))):
            if i % _MATCH_BATCH == 0 and i and deadline.expired():
                break
            found.append(docnum)
        docs[np.array(found, dtype=np.int64)] = True
    return docs & gen.live


def _date_ranks(gen: Generation) -> np.ndarray:
    """Per post, the rank of its date among all dates (equal dates, equal ranks): date order as integers."""

    def build(gen):
        # the stored column values sort as the dates do
        return np.unique(gen.date_values, return_inverse=True)[1].astype(np.int64).reshape(-1)

    return gen.derived("date_ranks", build)


def run(gen: Generation, req: SearchRequest, settings: Mapping[str, Any], base_path: str, weights: Weights = WEIGHTS) -> dict:
    started = time.perf_counter()
    deadline = Deadline.of(settings)
    parsed = None
    plan = relevance = suggestion = corrected = None
    if req.q and is_plain(req.q):
        # A few plain words, the common case: ranked by the relevance plan.
        plan, relevance, suggestion, corrected = plan_query(gen, req, settings, base_path, weights, deadline)
        matched = relevance.matched if relevance is not None else np.zeros(gen.size, dtype=bool)
        parsed = plan.query if plan is not None else None
    elif req.q:
        plan, relevance, parsed, matched = language_query(gen, req, settings, weights, deadline)
    else:
        matched = gen.live

    base = matched
    if req.date_from or req.date_to:
        base = in_date_range(gen, base, req)
    filter_sets = {name: filter_docs(gen, name, values) for name, values in req.filters.items()}
    final = base
    for docs in filter_sets.values():
        final = final & docs

    total = int(np.count_nonzero(final))
    if deadline.truncated and not np.count_nonzero(matched):
        raise too_slow(settings["query_time_limit_ms"])
    pages = math.ceil(total / req.per_page)
    first = (req.page - 1) * req.per_page
    window = first + req.per_page
    ranked: list[tuple[int, float | None]] = []
    if first < total:
        if req.sort == "relevance" and relevance is not None:
            ranked = relevance.ranked(final, window)[first:window]
        else:
            # newest: latest date first, ties by higher docnum; oldest: earliest
            # date first, ties by higher docnum too.  (A query with no word
            # to score, such as authors:jane, is in date order too.)
            ids = np.flatnonzero(final)
            ranks = _date_ranks(gen)[ids]
            order = np.lexsort((-ids, ranks if req.sort == "oldest" else -ranks))
            ranked = [(d, None) for d in ids[order[first:window]].tolist()]

    terms = query_terms(parsed) if parsed is not None else set()
    facet_names = tuple(n for n in gen.facet_names if n != "year")
    min_words = settings.get("sub_results_min_words", 1000)
    results_out = []
    for d, s in ranked:
        # Snippets are most of a long page's cost: past the deadline the page is the hits made so far.
        if results_out and deadline.expired():
            break
        results_out.append(hit(gen, d, s, terms, facet_names, min_words))
    facets = facets_of(gen, req, base, filter_sets, settings, base_path)
    next_url = None
    if req.page < pages:
        next_url = with_params(base_path, req.params() + [("page", str(req.page + 1))])
    return {
        "ok": True,
        "query": req.q,
        "total": total,
        "page": req.page,
        "per_page": req.per_page,
        "pages": pages,
        "sort": req.sort,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
        # Datasette's shape: the answer is what the time limit allowed (query_time_limit_ms).
        "truncated": deadline.truncated,
        "results": results_out,
        "facets": facets,
        "suggestion": suggestion,
        "corrected": corrected is not None,
        "corrected_query": corrected,
        "facet_matches": facet_matches(gen, plan) if plan is not None and is_plain(req.q) else [],
        "next_url": next_url,
    }


def request_key(req, base_path: str) -> tuple:
    # params() is the request as the toggle/next URLs spell it, so two
    # requests with equal keys get byte-identical responses.
    return (base_path, req.page, tuple(req.params()))


def cached_search(generation, req, settings: Mapping[str, Any], base_path: str) -> dict:
    """``search.run`` through the generation's cache (``took_ms`` is this call's time)."""
    started = time.perf_counter()
    # The synonyms files are read at query time: an edit must not be hidden by the cache.
    key = request_key(req, base_path) + synonyms.effective_stamp(settings, generation.meta.get("content_dir"))
    cached = generation.cache.get(key)
    if cached is None:
        incomplete = generation.incomplete_answers
        cached = run(generation, req, settings, base_path)
        if generation.incomplete_answers == incomplete:  # else: answered without typo corrections
            generation.cache.put(key, cached)
        return dict(cached)
    result = dict(cached)
    result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result
