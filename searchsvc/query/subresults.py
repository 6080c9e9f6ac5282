"""Sub-results: the sections of a long page that match a query best (as Pagefind shows them).

A page's headings are stored at index time (index/schema.py: [level, text,
anchor, offset in the body] for each heading with an id; ingest gives each heading the id its generator writes into the
HTML, so ``url#anchor`` lands on it).  A section runs from a heading with an
anchor to the next one.  Sections are scored with the one ranking model
(query/ranking.py's BM25F weights: the heading as the section's title, its
text as the body, idf from the index), so a section wins as a page would.
Only pages of at least ``sub_results_min_words`` words get sub-results:
below that the page's own snippet and link serve as well.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .ranking import WEIGHTS, field_stats, idf
from .snippets import highlight_all, matches, plain, snippet

if TYPE_CHECKING:
    from .generation import Generation

MAX_SUB_RESULTS = 3  # as Pagefind's default result shows: more would crowd the results list
# The page text scanned for sections, in characters: the longest guides of
# both corpora (8,546 words) are ~55,000; a transcript past this is cut.
SCAN_CHARS = 400_000


def sections(body: str, headings: list) -> list[tuple[str, str, str]]:
    """(anchor, heading text, section text below the heading) for each anchored heading, in page order."""
    out = []
    for i, (_level, text, anchor, offset) in enumerate(headings):
        end = headings[i + 1][3] if i + 1 < len(headings) else len(body)
        start = min(len(body), offset + len(text))
        out.append((anchor, text, body[start:end].strip()))
    return out


def sub_results(gen: Generation, stored: dict, terms: set[str], min_words: int) -> list[dict]:
    """Up to MAX_SUB_RESULTS sections of a long page, best first: title, title_html, anchor, url, snippet."""
    raw = stored.get("headings")
    if not terms or not raw:
        return []
    body = (stored.get("body") or "")[:SCAN_CHARS]
    if len(body.split()) < min_words:
        return []
    parts = sections(body, [h for h in json.loads(raw) if h[3] <= len(body)])
    if not parts:
        return []
    stats = field_stats(gen)
    rarity = {t: idf(stats, gen.searcher.doc_frequency("body", t), WEIGHTS.idf_offset) for t in terms}
    found = [(matches(title, terms), matches(text, terms)) for _anchor, title, text in parts]
    average = max(1.0, sum(len(text.split()) for _a, _t, text in parts) / len(parts))
    scored = []
    for index, ((anchor, title, text), (in_title, in_text)) in enumerate(zip(parts, found)):
        norm = (1 - WEIGHTS.body_b) + WEIGHTS.body_b * len(text.split()) / average
        score = 0.0
        for term in {m[2] for m in in_title} | {m[2] for m in in_text}:
            tf = WEIGHTS.title * sum(m[2] == term for m in in_title) + sum(m[2] == term for m in in_text) / norm
            score += rarity[term] * tf / (tf + WEIGHTS.k1)
        if score > 0:
            scored.append((-score, index, anchor, title, text))
    scored.sort()
    url = stored["url"]
    return [
        {
            "title": title,
            "title_html": highlight_all(title, terms),
            "anchor": anchor,
            "url": f"{url}#{anchor}",
            "snippet": snippet(text, terms) or plain(text),
        }
        for _s, _i, anchor, title, text in scored[:MAX_SUB_RESULTS]
    ]
