"""Facets over a match set: filters, multi-select counts, toggle URLs, facet matches.

Sets of posts are boolean arrays indexed by document number: intersections,
counts and filters are then single NumPy operations (at x10, Python sets and
a Counter over per-post tuples were a third of a query).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import numpy as np

from ..words import WORD, facet_key
from .request import SearchRequest
from .links import safe_link
from .urls import with_params, without_value

if TYPE_CHECKING:
    from .generation import Generation
    from .plan import Plan


def _toggle_pairs(req: SearchRequest, name: str, value: str, selected: bool) -> list[tuple[str, str]]:
    if selected:
        return without_value(req.params(), name, value)
    return req.params() + [(name, value)]


def filter_docs(gen: Generation, name: str, values: list[str]) -> np.ndarray:
    table = gen.postings.get(name, {})
    docs = np.zeros(gen.size, dtype=bool)
    labels = gen.label_keys.get(name, {})
    for value in values:
        key = value if name == "year" else facet_key(value)
        found = table.get(key)
        if found is None and key in labels:  # a display name ("Jane Doe" for jane-doe)
            found = table.get(labels[key])
        if found is not None:
            docs[found] = True
    return docs


def in_date_range(gen: Generation, docs: np.ndarray, req: SearchRequest) -> np.ndarray:
    low = req.date_from.isoformat() if req.date_from else ""
    high = req.date_to.isoformat() if req.date_to else "9999-99-99"
    return docs & (gen.days >= low.encode()) & (gen.days <= high.encode())


def _count(gen: Generation, name: str, docs: np.ndarray) -> np.ndarray:
    """Posts among ``docs`` per value of a facet (numbered as in gen.facet_keys)."""
    return np.bincount(gen.pair_values[name][docs[gen.pair_docs[name]]], minlength=len(gen.facet_keys[name]))


@dataclass
class FacetOrder:
    """Per facet: value number by key, display rank (case-insensitive), an unselected value's entry parts; stored value -> key."""

    numbers: dict[str, dict[str, int]]
    display_rank: dict[str, np.ndarray]
    unselected: dict[tuple[str, str], tuple[str, str, str | None, str]]
    keys: dict[str, str]


def facet_order(gen: Generation) -> FacetOrder:
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


def facets_of(gen, req, base, filter_sets, settings, base_path) -> dict[str, list[dict]]:
    out = {}
    # Adding a value appends one pair to the request's own: encode those once
    # (= with_params(base_path, _toggle_pairs(...)) for an unselected value).
    current = urlencode(req.params())
    add_url = f"{base_path}?{current}&" if current else f"{base_path}?"
    order_of = facet_order(gen)
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
        labels = gen.label_keys.get(name, {})
        selected_keys = {}
        for v in req.filters.get(name, []):
            key = v if name == "year" else facet_key(v)
            selected_keys[labels.get(key, key) if key not in numbers_of(order_of, name) else key] = v
        display = gen.display.get(name, {})
        terms = gen.terms.get(name, {})
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
            if key in selected_keys:
                value = display.get(key, selected_keys[key])
                toggle_url = with_params(base_path, _toggle_pairs(req, name, value, True))
                term = terms.get(key) or {}
                label, term_url = term.get("label") or value, safe_link(term.get("url"))
            else:
                value, label, term_url, pair = _unselected(order_of, gen, name, key)
                toggle_url = add_url + pair
            entries.append({
                "value": value, "label": label, "count": count, "selected": key in selected_keys,
                "toggle_url": toggle_url, "term_url": term_url,
            })
        out[name] = entries
    return out


def _unselected(order_of: FacetOrder, gen: Generation, name: str, key: str) -> tuple[str, str, str | None, str]:
    """(value, label, term URL, the value's URL pair encoded) of a value not selected: per generation, once."""
    found = order_of.unselected.get((name, key))
    if found is None:  # values come from the index: a bounded set
        value = gen.display.get(name, {}).get(key, key)
        term = gen.terms.get(name, {}).get(key) or {}
        found = (value, term.get("label") or value, safe_link(term.get("url")), urlencode(((name, value),)))
        order_of.unselected[(name, key)] = found
    return found


def numbers_of(order_of: FacetOrder, name: str) -> dict[str, int]:
    return order_of.numbers.get(name, {})


def facet_matches(gen: Generation, plan: Plan) -> list[dict]:
    """Facet values the query is or contains (and their synonyms), to offer as filters."""
    words = WORD.findall(plan.text.lower())
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




def facet_values(generation, name: str, base_path: str) -> list[dict]:
    """Every value of a facet with its count and search URL, most posts first."""
    table = generation.postings.get(name, {})
    display = generation.display.get(name, {})
    values = [(display.get(key, key), len(docs)) for key, docs in table.items()]
    values.sort(key=lambda vc: (-vc[1], vc[0].lower()))
    return [{"value": value, "count": count, "url": with_params(base_path, [(name, value)])} for value, count in values]
