"""The app factory: settings, the index handle, the blueprints; nothing else."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from typing import Any, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import settings as settings_mod
from ..index import store
from ..index.store import check_permissions
from ..index.whoosh_internals import install_mapped_buffers
from ..query import suggest
from ..query.generation import IndexHandle
from . import admin, analytics, api, errors, feeds, headers, openapi, pages


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app.

    ``config`` may hold searchsvc settings (``index_dir``, ``facets``, ...; see
    settings.py) and Flask settings; ``SEARCHSVC_*`` environment variables are
    read first and ``config`` overrides them.
    """
    # The package's templates/ and static/ (searchsvc/, not searchsvc/web/).
    app = Flask("searchsvc")
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
    check_service_url(conf["service_url"])
    if conf["trusted_hosts"]:
        app.config["TRUSTED_HOSTS"] = list(conf["trusted_hosts"])
    hops = conf["trusted_proxy_hops"]
    if hops > 0:
        # Behind nginx the scheme, host, client and path prefix are the
        # proxy's headers; without it they would be the proxy's own socket.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    index_dir = Path(conf["index_dir"])
    check_permissions(index_dir)
    # The taxonomies are the index's: a Hugo site's come from its config, not
    # from the `facets` setting (which names a plain folder's).
    conf["facets"] = live_facets(index_dir) or conf["facets"]
    install_mapped_buffers()
    # A searcher for each search running at once (query/readers.py): as many as the search places.
    readers = conf["max_concurrent_searches"] or None
    app.extensions["searchsvc"] = handle = IndexHandle(index_dir, conf["facets"], warm=suggest.warm, max_readers=readers)
    if conf["replica"]:
        handle.empty_message = (
            f"this replica has no generation published to {index_dir} yet; publish one from the build host "
            f"('searchsvc publish --to {index_dir}' or POST /admin/generations); it is served at once"
        )

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(openapi.bp)
    admin.init_app(app)
    analytics.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    return app


def live_facets(index_dir: Path) -> tuple[str, ...] | None:
    """The facets the live generation was built with (None before one records them)."""
    number = store.current_generation(index_dir)
    if number is None:
        return None
    facets = (store.read_json(index_dir / store.gen_name(number) / store.META, {}) or {}).get("facets")
    return tuple(facets) if isinstance(facets, list) and all(isinstance(f, str) for f in facets) else None


def check_service_url(url: str) -> None:
    parts = urlsplit(url)
    if url and not (parts.scheme in ("http", "https") and parts.netloc and not parts.query and not parts.fragment):
        raise settings_mod.SettingsError(
            f"SEARCHSVC_SERVICE_URL (setting service_url): expected an absolute http(s) URL such as https://www.example.gov/search/, got {url!r}"
        )
