"""searchsvc: full-text search for Markdown content sites, on Whoosh and Flask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from . import settings as settings_mod

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app: settings, the index handle, routes; nothing else.

    ``config`` may hold searchsvc settings (``index_dir``, ``facets``, ...; see
    settings.py) and Flask settings; ``SEARCHSVC_*`` environment variables are
    read first and ``config`` overrides them.
    """
    # Imported here, not at the top: `searchsvc reindex` imports this package
    # and must start fast (bench/bench_incremental.py); Flask and the searcher
    # are about half a second of imports it never uses.
    from flask import Flask

    from .searcher import IndexHandle
    from .store import check_permissions

    app = Flask(__name__)
    values = settings_mod.load(config)
    conf = {k: values[k] for k in settings_mod.DEFAULTS}
    app.config.update({k: v for k, v in values.items() if k not in settings_mod.DEFAULTS})
    app.config["SEARCHSVC"] = conf
    # Search needs no request body; anything large is refused before reading.
    # (Flask's defaults hold MAX_CONTENT_LENGTH = None, so setdefault would
    # never apply it.)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = conf["max_request_bytes"]
    app.json.sort_keys = False
    index_dir = Path(conf["index_dir"])
    check_permissions(index_dir)
    from . import admin, openapi, pages, suggest, web

    app.extensions["searchsvc"] = IndexHandle(index_dir, conf["facets"], warm=suggest.warm)

    app.register_blueprint(web.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(openapi.bp)
    admin.init_app(app)
    return app
