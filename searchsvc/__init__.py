"""searchsvc: full-text search for Markdown content sites, on Whoosh and Flask.

The package is the pipeline: ``ingest`` (files -> documents), ``index``
(documents -> generations on disk), ``query`` (a request -> the result
dict), ``web`` (HTTP); ``settings`` and ``cli`` sit on top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The web app (see searchsvc.web.app.create_app)."""
    # Imported here, not at the top: `searchsvc reindex` imports this package
    # and must start fast (bench/bench_incremental.py); Flask and the query
    # side are about half a second of imports it never uses.
    from .web.app import create_app as factory

    return factory(config)
