"""What the API and the pages share: the live generation, the settings, the result dict."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from flask import current_app, g, request
from werkzeug.exceptions import HTTPException

from ..query.generation import NoIndex
from ..query.request import InvalidParameter, parse_args
from ..query.search import cached_search
from . import editorial
from .cpu_share import cpu_share
from .errors import ServiceUnavailable


def on_live(read):
    """``read(generation)`` on the live generation, with a searcher of this thread's own (query/readers.py).

    A read that fails on damaged files (the generation's checksums say so:
    Whoosh raises zlib.error, struct.error, EOFError, KeyError... on them)
    marks the generation damaged for every worker and is run again on the
    fallback; with nothing left that verifies, the answer is the canonical
    503.  Any other error is what it was.
    """
    handle = current_app.extensions["searchsvc"]
    for _ in range(MAX_FALLBACKS):
        try:
            generation = handle.acquire()
        except NoIndex as exc:
            raise ServiceUnavailable(str(exc)) from None
        try:
            with generation.reading():
                found = read(generation)
            g.searchsvc_generation = generation.number  # the X-Search-Generation of the answer (api.py)
            return found
        except (HTTPException, InvalidParameter, ServiceUnavailable):
            raise
        except Exception as exc:
            if not handle.damaged(generation, exc):
                raise
            current_app.logger.error("generation %s is damaged (%s: %s); answering from the fallback", generation.number, type(exc).__name__, exc)
        finally:
            handle.release(generation)
    raise ServiceUnavailable("no generation of the index can be read; run 'searchsvc reindex --full'")


# Generations tried for one request: the live one and two fallbacks.
MAX_FALLBACKS = 3


def settings():
    return current_app.config["SEARCHSVC"]


class Busy(ServiceUnavailable):
    """Every search place of this worker is taken (max_concurrent_searches): 503 with Retry-After."""

    retry_after = 1


_GATE_LOCK = threading.Lock()


@contextmanager
def search_place(conf):
    """One of the worker's ``max_concurrent_searches`` places, waited for at most ``search_queue_ms``.

    A client sending expensive queries then fills the places and gets 503s,
    instead of queueing everyone else's searches behind its own without end.
    """
    limit = conf.get("max_concurrent_searches") or 0
    if limit <= 0:
        yield
        return
    with _GATE_LOCK:
        gate = current_app.extensions.setdefault("searchsvc_search_places", threading.BoundedSemaphore(limit))
    if not gate.acquire(timeout=(conf.get("search_queue_ms") or 0) / 1000.0):
        raise Busy(f"too many searches at once (setting max_concurrent_searches: {limit}); retry in a second")
    try:
        yield
    finally:
        gate.release()


def search_dict(base_path: str, args=None) -> dict:
    conf = settings()
    req = parse_args(request.args if args is None else args, conf, conf["facets"])
    with cpu_share(current_app.extensions, conf, request.remote_addr), search_place(conf):
        return on_live(lambda generation: editorial.apply(cached_search(generation, req, conf, base_path), conf, generation))
