"""query/cache.py: the per-generation LRU of result dicts."""

from __future__ import annotations

import gc
import pickle
import random
import tracemalloc

from werkzeug.datastructures import MultiDict

from searchsvc.index import store
from searchsvc.query import ranking, search
from searchsvc.query.cache import CACHE_ENTRIES, Budget, ResultCache, SharedLRU, estimated_bytes
from searchsvc.query.generation import Generation
from searchsvc.query.request import parse_args
from searchsvc.words import WORD

from ..conftest import conf


def test_least_recently_used_goes_first():
    cache = ResultCache(capacity=2)
    cache.put("a", {"n": 1})
    cache.put("b", {"n": 2})
    assert cache.get("a") == {"n": 1}  # "a" is now the most recent
    cache.put("c", {"n": 3})
    assert (cache.get("b"), cache.get("a"), cache.get("c"), len(cache)) == (None, {"n": 1}, {"n": 3}, 2)
    assert cache.stats() == {"capacity": 2, "entries": 2, "estimated_bytes": 3400, "max_bytes": 16 << 20, "hits": 3, "misses": 1, "hit_rate": 0.75}


def test_a_put_again_refreshes_and_replaces():
    cache = ResultCache(capacity=2)
    cache.put("a", {"n": 1})
    cache.put("b", {"n": 2})
    cache.put("a", {"n": 10})
    cache.put("c", {"n": 3})
    assert (cache.get("a"), cache.get("b")) == ({"n": 10}, None)


def test_capacity_0_keeps_nothing_and_clear_forgets_counts():
    off = ResultCache(capacity=0)
    off.put("a", {"n": 1})
    assert (off.get("a"), len(off)) == (None, 0)
    cache = ResultCache()
    assert cache.capacity == CACHE_ENTRIES == 1024
    cache.put("a", {})
    cache.get("a")
    cache.clear()
    assert cache.stats() == {"capacity": 1024, "entries": 0, "estimated_bytes": 0, "max_bytes": 16 << 20, "hits": 0, "misses": 0, "hit_rate": 0.0}


def page(results: int, facet_values: int) -> dict:
    return {"results": [{"n": i} for i in range(results)], "facets": {"tags": [{"v": i} for i in range(facet_values)]}}


def test_the_bytes_bound_keeps_the_most_recent_and_never_an_oversized_answer():
    one = estimated_bytes(page(10, 80))
    assert one == 1700 + 450 * 80 + 2300 * 10 == 60700
    cache = ResultCache(capacity=100, max_bytes=3 * one)
    for key in "abcd":
        cache.put(key, page(10, 80))
    assert ([cache.get(k) is not None for k in "abcd"], cache.bytes) == ([False, True, True, True], 3 * one)
    cache.put("huge", page(100, 200))  # larger than the whole budget: not kept, nothing evicted
    assert (cache.get("huge"), len(cache), cache.bytes) == (None, 3, 3 * one)
    cache.put("b", page(0, 0))  # replaced: its old size is given back
    assert (len(cache), cache.bytes) == (3, 2 * one + 1700)


def test_the_estimate_is_near_what_a_real_answer_holds(client):
    for params in ({"q": "data"}, {"q": "mobile", "per_page": 50}, {"q": "accessibility", "tags": "508"}):
        answer = client.get("/search.json", query_string=params).get_json()
        cached = {k: answer[k] for k in ("results", "facets", "query", "page", "per_page", "total")}
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            copy = pickle.loads(pickle.dumps(cached))
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert copy == cached
        assert 0.5 <= estimated_bytes(cached) / held <= 2.0, (params, estimated_bytes(cached), held)


def test_caches_sharing_a_budget_evict_the_least_recently_used_of_any():
    budget = Budget(1000)
    left, right = SharedLRU(budget, len), SharedLRU(budget, len, entries=2)
    left.put("a", "x" * 400)
    right.put("b", "y" * 300)
    assert left.get("a") == "x" * 400  # "b" is now the least recently used
    right.put("c", "z" * 400)
    assert (right.get("b"), left.get("a"), right.get("c"), budget.bytes) == (None, "x" * 400, "z" * 400, 800)
    left.put("d", "w" * 300)  # over 1,000: "a" (used before "c") goes, from the other cache
    assert (left.get("a"), left.get("d"), right.get("c"), budget.bytes, left.bytes, right.bytes) == (None, "w" * 300, "z" * 400, 700, 300, 400)
    right.put("e", "1")
    right.put("f", "2")  # a cache's own number of entries bounds it too
    assert (right.get("c"), len(right), budget.bytes) == (None, 2, 302)
    left.put("huge", "h" * 1001)  # more than the whole budget: not kept, nothing evicted
    assert (left.get("huge"), len(left), len(right), budget.bytes) == (None, 1, 2, 302)
    right.clear()
    assert (len(right), right.bytes, budget.bytes, list(budget.order)) == (0, 0, 300, [(left, "d")])


def distinct_searches(gen, settings, count: int):
    words = sorted({w for t in (gen.searcher.stored_fields(d)["title"] for d in range(gen.size)) for w in WORD.findall(t.lower()) if len(w) > 3})
    rng = random.Random(7)
    for _ in range(count):
        q = " ".join(rng.sample(words, rng.choice((1, 2, 2, 3))))
        req = parse_args(MultiDict({"q": q}), settings, settings["facets"])
        search.cached_search(gen, req, settings, "/search.json")


def test_a_generations_caches_stay_in_its_budget_and_their_estimates_near_their_real_bytes(sample_index):
    """After 400 distinct searches of the sample site, what the posting, stored-field, card, positions and phrase
    caches hold together stays within the generation's budget (here 256 KB), counted by their estimates, and
    emptying them frees about what they estimated (tracemalloc): the bound a worker's memory relies on.  The
    result cache keeps to its own 16 MB."""
    index_dir, _ = sample_index
    settings = conf(index_dir=str(index_dir))
    number = store.current_generation(index_dir)
    gen = Generation(number, index_dir / store.gen_name(number), settings["facets"], cache_bytes=256 << 10)
    try:
        tracemalloc.start()
        distinct_searches(gen, settings, 400)
        stats = ranking.field_stats(gen)
        caches = [stats.postings, gen.stored_fields.kept, gen.derived("result_cards", dict), stats.positions, stats.phrases]
        assert gen.memory.bytes == sum(c.bytes for c in caches) <= 256 << 10
        assert gen.memory.bytes > (256 << 10) - 20_000  # full: the searches wanted more
        assert all(len(c) > 0 for c in caches[:3]), [len(c) for c in caches]
        assert 0 < gen.cache.bytes <= 16 << 20 and gen.cache.budget is not gen.memory
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for cache in caches:
            cache.clear()
        gc.collect()
        freed = before - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gen.close()
    assert gen.memory.bytes == 0
    assert 0.8 <= freed / (256 << 10) <= 1.2, freed  # (measured 1.00)


def test_the_result_cache_keeps_to_its_own_share_of_a_shared_budget():
    one = estimated_bytes(page(10, 80))
    budget = Budget(10 * one)
    results, others = ResultCache(capacity=100, max_bytes=2 * one, budget=budget), SharedLRU(budget, len)
    others.put("posting", "p" * (7 * one))
    for key in "abc":
        results.put(key, page(10, 80))
    assert ([results.get(k) is not None for k in "abc"], results.bytes, others.get("posting") is not None) == ([False, True, True], 2 * one, True)
    assert (budget.bytes, results.stats()["max_bytes"]) == (9 * one, 2 * one)
