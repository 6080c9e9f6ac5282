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
    return [(anchor, text, body[start:end]) for anchor, text, start, end in section_bounds(body, headings)]


def section_bounds(body: str, headings: list) -> list[tuple[str, str, int, int]]:
    """(anchor, heading text, start, end): ``body[start:end]`` is the section's text, stripped."""
    out = []
    for i, (_level, text, anchor, offset) in enumerate(headings):
        end = headings[i + 1][3] if i + 1 < len(headings) else len(body)
        start = min(len(body), offset + len(text))
        below = body[start:end]
        stripped = below.strip()
        start += len(below) - len(below.lstrip()) if stripped else 0
        out.append((anchor, text, start, start + len(stripped)))
    return out


# Pages whose sections are remembered per generation (a few numbers each;
# cleared when full): whether a page is long enough and where its sections
# are do not depend on the query, and counting a long body's words was most
# of the sub-results' time.
MAX_REMEMBERED_PAGES = 8192
_NOT_YET = object()


def _layout(stored: dict, min_words: int):
    """(anchor, heading text, section start, end, words) per section of a long page; None without sub-results."""
    body = (stored.get("body") or "")[:SCAN_CHARS]
    # (n words take at least 2n - 1 characters)
    if len(body) < 2 * min_words - 1 or len(body.split()) < min_words:
        return None
    bounds = section_bounds(body, [h for h in json.loads(stored["headings"]) if h[3] <= len(body)])
    return [(anchor, title, start, end, len(body[start:end].split())) for anchor, title, start, end in bounds] or None


def _page(gen: Generation, docnum: int, stored: dict, min_words: int):
    pages = gen.derived("sub_result_pages", lambda _gen: {})
    key = (docnum, min_words)
    found = pages.get(key, _NOT_YET)
    if found is _NOT_YET:
        found = _layout(stored, min_words)
        if len(pages) >= MAX_REMEMBERED_PAGES:
            pages.clear()
        pages[key] = found
    return found


def sub_results(gen: Generation, docnum: int, stored: dict, terms: set[str], min_words: int) -> list[dict]:
    """Up to MAX_SUB_RESULTS sections of a long page, best first: title, title_html, anchor, url, snippet."""
    if not terms or not stored.get("headings"):
        return []
    layout = _page(gen, docnum, stored, min_words)
    if layout is None:
        return []
    body = stored.get("body") or ""
    parts = [(anchor, title, body[start:end], words) for anchor, title, start, end, words in layout]
    stats = field_stats(gen)
    rarity = {t: idf(stats, stats.doc_frequency("body", t), WEIGHTS.idf_offset) for t in terms}
    found = [(matches(title, terms), matches(text, terms)) for _anchor, title, text, _words in parts]
    average = max(1.0, sum(words for *_rest, words in parts) / len(parts))
    scored = []
    for index, ((anchor, title, text, words), (in_title, in_text)) in enumerate(zip(parts, found)):
        norm = (1 - WEIGHTS.body_b) + WEIGHTS.body_b * words / average
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
