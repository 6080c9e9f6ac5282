"""One matching document -> the result dict a visitor sees."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..words import facet_key
from .facets import facet_order
from .links import safe_link
from .snippets import highlight_all, plain, snippet
from .subresults import sub_results

if TYPE_CHECKING:
    from .generation import Generation


def hit(gen: Generation, docnum: int, score, terms: set[str], facet_names, sub_results_min_words: int = 1000) -> dict:
    keys = facet_order(gen).keys
    stored = gen.searcher.stored_fields(docnum)
    values = json.loads(stored.get("facet_values") or "{}")
    result = {
        "id": stored["id"],
        "url": safe_link(stored["url"]),
        "title": stored["title"],
        "summary": stored["summary"],
        "date": stored["date_iso"],
    }
    for name in facet_names:
        display = gen.display.get(name, {})
        named = gen.terms.get(name, {})
        seen, shown = set(), []
        for value in values.get(name, []):
            key = keys.get(value)
            if key is None:  # values come from the index: a bounded set
                key = keys.setdefault(value, facet_key(value))
            if key not in seen:
                seen.add(key)
                shown.append((named.get(key) or {}).get("label") or display.get(key, value))
        result[name] = shown
    text_snippet = snippet(stored.get("body", ""), terms) or snippet(stored["summary"], terms)
    result["snippet"] = text_snippet or plain(stored["summary"] or stored.get("body", ""))
    result["title_html"] = highlight_all(stored["title"], terms)
    result["score"] = round(score, 4) if score is not None else None
    result["sub_results"] = sub_results(gen, docnum, stored, terms, sub_results_min_words)
    return result
