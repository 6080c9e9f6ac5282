"""A full build's vocabulary, merged from the totals of each segment worker's posts.

Each segment worker of a full build (segments.py) combines its own posts'
tally into totals (``vocabulary.combine`` from nothing), both workers at
once; the parent merges those.  Before, the parent unpickled every worker's
tally (a Counter of 50,000 word pairs for the 2017 corpus), added them up and
combined them alone after the workers had ended, one core idle: ~0.15 s of a
3 s reindex, against ~0.08 s now (the worker's half of the combine, then this
merge).  The posts of two parts are disjoint, so the merge is a sum:
``merge([combine(Totals(), a), combine(Totals(), b)])`` equals
``combine(Totals(), a + b)`` array for array (tests/index/test_vocabulary.py).
"""

from __future__ import annotations

from array import array

from . import lanes
from .vocabulary import Totals, _ints, _newest_first


def _summed(parts: list[tuple], keys_of, counts_of) -> dict:
    """key -> count summed over the parts; the few keys in several parts summed in Python, the rest by dict in C."""
    total: dict = {}
    for part in parts:
        found = dict(zip(keys_of(part), counts_of(part)))
        for key in total.keys() & found.keys():
            found[key] += total[key]
        total.update(found)
    return total


def merge(parts: list[Totals]) -> Totals:
    """The totals of all the posts of ``parts`` (each part of other posts)."""
    if len(parts) == 1:
        return parts[0]
    df = _summed(parts, lambda p: p.words, lambda p: p.df)
    words = sorted(df)
    number = {word: at for at, word in enumerate(words)}
    # A part's word numbers follow its sorted words, so each table only
    # grows: a part's sorted codes stay sorted when renumbered.
    tables = [array("I", map(number.__getitem__, part.words)) for part in parts]
    pairs = _summed(list(zip(parts, tables)), lambda pt: lanes.mapped(pt[0].pair_codes, pt[1], pt[1]), lambda pt: pt[0].pair_counts)
    codes = sorted(pairs)
    out = Totals(words, _ints(map(df.__getitem__, words)), _ints(codes), _ints(map(pairs.__getitem__, codes)))
    ids = [post for part in parts for post in part.title_ids]
    days = [day for part in parts for day in part.title_days]
    order = _newest_first(days, ids, 0)
    place = [0] * len(order)
    for at, entry in enumerate(order):
        place[entry] = at
    texts = [text for part in parts for text in part.title_texts]
    urls = [url for part in parts for url in part.title_urls]
    out.title_ids, out.title_texts = [ids[i] for i in order], [texts[i] for i in order]
    out.title_urls, out.title_days = [urls[i] for i in order], [days[i] for i in order]
    title_words, start = [], 0
    for part, table in zip(parts, tables):
        places = array("I", place[start : start + len(part.title_ids)])
        start += len(part.title_ids)
        title_words.extend(lanes.mapped(part.title_words, table, places))
    title_words.sort()  # (each part's run sorted: one merge)
    out.title_words = _ints(title_words)
    return out
