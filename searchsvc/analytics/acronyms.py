"""What an acronym stands for, as the site's own posts spell it out.

``searchsvc stats --suggest`` asks this for a frequent zero-result query that
looks like an acronym ("odp"): a run of capitalised words whose initials
spell it ("Open Data Policy"; "of", "and", "for", "the", "on", "in" and "to"
are skipped, as acronyms skip them) is the long form to join it to in
synonyms.yml.  The most frequent spelling wins; one seen only once is not
offered (a sentence's capitalised words would be).  The draft is for a person
to review, never applied.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Iterable

CONNECTORS = frozenset({"of", "and", "for", "the", "on", "in", "to"})
_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|for|the|on|in|to)\s+)?[A-Z][\w'’-]*)+")
_ACRONYM = re.compile(r"^[a-z]{2,8}$")
MIN_SEEN = 2
# Read per post: its title, summary and the start of its body (where a name is spelled out).
BODY_CHARS = 20_000


def looks_like_an_acronym(query: str) -> bool:
    return bool(_ACRONYM.match(query.strip().lower()))


def expansions(texts: Iterable[str], acronyms: set[str]) -> dict[str, tuple[str, int]]:
    """acronym -> (its most frequent long form in ``texts``, how many times it was seen), for those found at least twice."""
    wanted = {a.lower() for a in acronyms}
    seen: dict[str, Counter] = {a: Counter() for a in wanted}
    for text in texts:
        for run in _RUN.finditer(text):
            # "Budget's memo": the possessive is not part of the name
            words = [re.sub(r"['’]s$", "", w) for w in run.group(0).split()]
            for start in range(len(words)):
                if words[start].lower() in CONNECTORS:
                    continue
                initials = ""
                for end in range(start, len(words)):
                    word = words[end]
                    if word.lower() in CONNECTORS:
                        continue
                    initials += word[0].lower()
                    if len(initials) > 8:
                        break
                    if initials in wanted and end > start:
                        seen[initials][" ".join(words[start : end + 1])] += 1
    out = {}
    for acronym, forms in seen.items():
        if forms:
            form, count = max(forms.items(), key=lambda kv: (kv[1], kv[0]))
            if count >= MIN_SEEN:
                out[acronym] = (form, count)
    return out


def expansions_in_index(index_dir: Path, facets: tuple[str, ...], acronyms: set[str]) -> dict[str, tuple[str, int]]:
    """``expansions`` over the live generation's posts."""
    from ..query.generation import IndexHandle

    if not acronyms:
        return {}
    handle = IndexHandle(Path(index_dir), facets)
    try:
        gen = handle.acquire()
        try:
            with gen.reading():
                stored = list(gen.searcher.reader().all_stored_fields())
        finally:
            handle.release(gen)
    finally:
        handle.close()
    texts = ("\n".join((s.get("title", ""), s.get("summary", ""), s.get("body", "")[:BODY_CHARS])) for s in stored)
    return expansions(texts, acronyms)
