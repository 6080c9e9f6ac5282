"""query/sequence.py: the words-in-sequence test of the phrase bonus.
(Moved from tests/system/test_perf_contracts.py, where it called the same
function through ranking's private alias.)"""

from __future__ import annotations

import numpy as np

from searchsvc.query import ranking
from searchsvc.query.sequence import in_sequence


def test_words_in_sequence_are_the_same_from_the_positions_cache(app):
    """The phrase bonus reads positions once per (field, stem, post), then from a cache."""
    handle = app.extensions["searchsvc"]
    generation = handle.acquire()
    try:
        stats = ranking.field_stats(generation)
        stats.positions.clear()
        everyone = set(np.flatnonzero(generation.live).tolist())
        stems = ["custom", "experi"]  # "customer experience", as the analyzer stems it
        cold = in_sequence(stats, "title", stems, everyone)
        assert len(stats.positions) > 0
        warm = in_sequence(stats, "title", stems, everyone)
        titles = sorted(generation.searcher.stored_fields(d)["title"] for d in warm)
        assert warm == cold
        assert "A Year of Customer Experience Lessons—and What Comes Next" in titles
        assert "Webinar Recap: Building a Customer Service Culture in Government" not in titles  # customer, then service
    finally:
        handle.release(generation)
