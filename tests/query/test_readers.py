"""query/readers.py: a searcher per concurrent read of a generation, the shared state safe beside them."""

from __future__ import annotations

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from searchsvc.query.generation import IndexHandle

from ..conftest import conf, open_app

# Every kind of search the pages make, on the sample site: plain words, a
# typo, a synonym, phrases, prefixes, the query language, filters, sorts,
# pages, the type-ahead, documents.
PATHS = [
    "/search.json?" + urlencode(params)
    for params in (
        {"q": "customer experience"}, {"q": "accessibility", "page": 2, "per_page": 3}, {"q": "goverment"},
        {"q": "social security administration"}, {"q": '"plain language" forms'}, {"q": "mobi*"},
        {"q": "gov* services"}, {"q": "accessib* NOT pdf"}, {"q": "title:budget"}, {"q": "(open OR public) data"},
        {"q": "usability testing", "sort": "newest"}, {"q": "data", "tags": "open-data"}, {"q": "section 508"},
        {"q": "dap dashboard", "sort": "oldest"}, {"q": "benefits letter", "per_page": 1}, {"q": "https"},
        {"q": ""}, {"q": "mobile first", "page": 2, "per_page": 2},
    )
] + ["/suggest.json?q=acc", "/suggest.json?q=mob", "/facets/tags.json"]


def _answers(app, paths) -> dict[str, str]:
    client = app.test_client()
    out = {}
    for path in paths:
        response = client.get(path)
        body = response.get_json()
        if isinstance(body, dict):
            body.pop("took_ms", None)
        out[path] = f"{response.status_code} {json.dumps(body, sort_keys=True)}"
    return out


def test_searches_side_by_side_answer_exactly_what_they_answer_one_at_a_time(sample_index):
    """Eight threads, the interpreter switching between them every few microseconds, each
    search on a fresh generation (no answer cache, every per-generation table built by
    whichever thread needs it first): byte-identical to the same searches one at a time."""
    index_dir, _ = sample_index
    with open_app({"index_dir": str(index_dir)}) as app:
        serial = _answers(app, PATHS)
    rounds = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for _ in range(2):
            with open_app({"index_dir": str(index_dir)}) as app:
                shards = [PATHS[k::8] + PATHS[: k + 1] for k in range(8)]
                start = threading.Barrier(8)

                def run(paths):
                    start.wait()
                    return _answers(app, paths)

                with ThreadPoolExecutor(8) as pool:
                    rounds.append(list(pool.map(run, shards)))
                searchers = app.extensions["searchsvc"].acquire()
                opened = searchers.readers.open_count()
                app.extensions["searchsvc"].release(searchers)
    finally:
        sys.setswitchinterval(interval)
    for answers in rounds:
        for shard in answers:
            for path, answer in shard.items():
                assert answer == serial[path], path
    assert 1 <= opened <= 4  # max_concurrent_searches (4): never more searchers than places


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_each_concurrent_reader_has_its_own_searcher_up_to_the_limit_and_all_close_with_the_generation(sample_index):
    index_dir, _ = sample_index
    settings = conf(index_dir=str(index_dir))
    before = _fds()
    handle = IndexHandle(index_dir, settings["facets"], max_readers=2)
    gen = handle.acquire()
    segments = len(list((index_dir / "current").glob("*.seg")))
    one = _fds()
    held, inside, release = [], threading.Barrier(3), threading.Event()
    third_started, third_got = threading.Event(), []

    def reader():
        with gen.reading():
            held.append(gen.searcher)
            with gen.reading():  # nested: the same searcher
                assert gen.searcher is held[-1]
            inside.wait()
            release.wait()

    def third():
        third_started.set()
        with gen.reading():
            third_got.append(gen.searcher)

    first = [threading.Thread(target=reader) for _ in range(2)]
    for thread in first:
        thread.start()
    inside.wait()
    assert len({id(s) for s in held}) == 2
    assert _fds() == one + segments  # the second searcher's segment files
    waiting = threading.Thread(target=third)
    waiting.start()
    third_started.wait()
    waiting.join(0.2)
    assert waiting.is_alive() and third_got == []  # the limit is 2: it waits for one to come back
    release.set()
    for thread in first + [waiting]:
        thread.join(5)
    assert third_got and third_got[0] in held and _fds() == one + segments
    # The stored fields read through one searcher are the other's too: one cache per generation.
    with gen.reading():
        title = gen.searcher.stored_fields(0)["title"]
    assert all(s.stored_fields(0)["title"] == title for s in held)
    handle.release(gen)
    handle.close()
    assert gen.readers.closed and _fds() == before
