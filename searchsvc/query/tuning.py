"""The pages' own tuning at search time: their boosts and the queries they are best bets for.

Both are terms of the generation (index/schema.py: ``boost``,
``best_bet_for``), so the few tuned posts are found from the lexicon; an
untuned site pays one lexicon look per generation and multiplies nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from whoosh.reading import TermNotFound

if TYPE_CHECKING:
    from .generation import Generation

_NONE = np.zeros(0, dtype=np.float64)


def boosts(gen: Generation) -> np.ndarray:
    """Per post, its ``search.boost`` (1.0 when it has none); empty when no post has one."""

    def build(gen: Generation) -> np.ndarray:
        if "boost" not in gen.searcher.schema:
            return _NONE
        reader = gen.searcher.reader()
        out = np.ones(gen.size, dtype=np.float64)
        found = False
        for key in reader.lexicon("boost"):
            text = key.decode("utf-8") if isinstance(key, bytes) else key
            try:
                value = float(text)
            except ValueError:
                continue  # written by ingest/tuning.py as a number: another value is not ours
            docs = np.fromiter(reader.postings("boost", key).all_ids(), dtype=np.int64)
            out[docs] = value
            found = True
        return out if found else _NONE

    return gen.derived("boosts", build)


def pinned_for(gen: Generation, keys) -> list[int]:
    """The live posts whose ``search.best_bet_for`` holds one of ``keys`` (a query's words joined by a space), newest build order."""
    if "best_bet_for" not in gen.searcher.schema:  # (ix.schema re-reads the TOC file on every use)
        return []
    reader = gen.searcher.reader()
    found: list[int] = []
    for key in keys:
        try:
            docs = reader.postings("best_bet_for", key).all_ids()
        except TermNotFound:
            continue
        found += [d for d in docs if d < gen.size and gen.live[d] and d not in found]
    return found
