"""One matching document -> the result dict a visitor sees."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..words import facet_key
from .cache import SharedLRU, strings_bytes
from .facets import facet_order
from .links import safe_link
from .snippets import highlight_all, plain, snippet
from .subresults import sub_results

if TYPE_CHECKING:
    from .generation import Generation


def _card(gen: Generation, docnum: int, stored: dict, facet_names) -> dict:
    """id, url, title, summary, date and each facet's values as shown: built once per post and generation.

    Cards are remembered in the generation's caches' budget (about a
    kilobyte each: the strings they keep).
    """
    cards = gen.derived("result_cards", lambda gen: SharedLRU(gen.memory, strings_bytes))
    key = (docnum, facet_names)
    card = cards.get(key)
    if card is None:
        card = _build_card(gen, stored, facet_names)
        cards.put(key, card)
    return card


def _build_card(gen: Generation, stored: dict, facet_names) -> dict:
    keys = facet_order(gen).keys
    values = json.loads(stored.get("facet_values") or "{}")
    card = {
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
        card[name] = shown
    return card


def hit(gen: Generation, docnum: int, score, terms: set[str], facet_names, sub_results_min_words: int = 1000) -> dict:
    stored = gen.searcher.stored_fields(docnum)
    result = _card(gen, docnum, stored, tuple(facet_names))
    # a copy: the lists are the card's, and a result dict may be changed by its caller
    result = {name: value[:] if isinstance(value, list) else value for name, value in result.items()}
    text_snippet = snippet(stored.get("body", ""), terms) or snippet(stored["summary"], terms)
    result["snippet"] = text_snippet or plain(stored["summary"] or stored.get("body", ""))
    result["title_html"] = highlight_all(stored["title"], terms)
    result["score"] = round(score, 4) if score is not None else None
    result["sub_results"] = sub_results(gen, docnum, stored, terms, sub_results_min_words)
    return result
