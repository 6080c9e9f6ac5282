"""What the API and the pages share: the live generation, the settings, the result dict."""

from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, request

from ..query.generation import NoIndex
from ..query.request import parse_args
from ..query.search import cached_search
from . import editorial
from .errors import ServiceUnavailable


@contextmanager
def live_generation():
    handle = current_app.extensions["searchsvc"]
    try:
        generation = handle.acquire()
    except NoIndex as exc:
        raise ServiceUnavailable(str(exc)) from None
    try:
        with generation.lock:
            yield generation
    finally:
        handle.release(generation)


def settings():
    return current_app.config["SEARCHSVC"]


def search_dict(base_path: str, args=None) -> dict:
    conf = settings()
    req = parse_args(request.args if args is None else args, conf, conf["facets"])
    with live_generation() as generation:
        return editorial.apply(cached_search(generation, req, conf, base_path), conf, generation)
