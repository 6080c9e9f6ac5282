"""The editors' settings applied to a search response: a routed query's
``route: {url}`` (the page redirects to it)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from .. import settings as settings_mod
from ..editorial.files import normalise
from ..editorial.live import LiveSettings


def settings_folder(conf, generation) -> Path:
    """SEARCHSVC_SEARCH_SETTINGS_DIR, else ``search/`` in the folder the live
    generation was built from, else in the configured content folder."""
    if conf.get("search_settings_dir"):
        return Path(conf["search_settings_dir"])
    built_from = generation.meta.get("content_dir")
    return Path(built_from if built_from else settings_mod.content_dir(conf)) / "search"


def apply(data: dict, conf, generation) -> dict:
    live = current_app.extensions.setdefault("searchsvc.editorial", LiveSettings())
    found = live.current(settings_folder(conf, generation))
    url = found.routes.get(normalise(data.get("query") or "")) if found.routes else None
    if url is None:
        return data
    return {**data, "route": {"url": url}}
