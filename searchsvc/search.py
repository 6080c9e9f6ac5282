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
import time
from collections import Counter
from typing import Any, Mapping
from urllib.parse import urlencode

from whoosh import collectors, qparser

from .documents import facet_key
from .query import SearchRequest, parse_query, query_terms
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
    counts: Counter = Counter()
    for docnum in docs:
        keys = per_doc.get(docnum)
        if keys:
            counts.update(keys)
    return counts


def _facets(gen, req, base, filter_sets, settings, base_path) -> dict[str, list[dict]]:
    out = {}
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
        if name == "year":
            ordered = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
        else:
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], display.get(kv[0], kv[0]).lower()))
        limit = settings["max_facet_values"]
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
                    "toggle_url": _url(base_path, _toggle_pairs(req, name, value, is_selected)),
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


def run(gen: Generation, req: SearchRequest, settings: Mapping[str, Any], base_path: str) -> dict:
    started = time.perf_counter()
    searcher = gen.searcher
    parsed = None
    if req.q:
        parsed = parse_query(req.q, gen.ix.schema, searcher.reader(), settings)
    if parsed is not None:
        matched = set(searcher.docs_for_query(parsed)) & gen.live_docs
        if not matched and len(req.q.split()) > 1:
            # No post has every word: rank the posts that have some of them.
            relaxed = parse_query(req.q, gen.ix.schema, searcher.reader(), settings, group=qparser.OrGroup)
            if relaxed is not None:
                parsed = relaxed
                matched = set(searcher.docs_for_query(parsed)) & gen.live_docs
    elif req.q:
        matched = set()
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
        if req.sort == "relevance" and parsed is not None:
            top = collectors.TopCollector(limit=window, usequality=False)
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
        "suggestion": None,
        "next_url": next_url,
    }
