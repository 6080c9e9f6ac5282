"""The analytics routes: ``/click`` (the result links' redirect) and ``/admin/stats``.

``/click?q=...&pos=3&url=<url>`` (plus the page's own filters, sort and
page) counts that the result at position 3 of that search was followed and
redirects to it.  It carries nothing about the visitor and sets no cookie.
It is not an open redirect: ``url`` must pass the one link rule and be the
link of the result at ``pos`` (or one of its sections) in that very search,
run again here (a cache hit: the page has just run it).  The destination is
``url`` rather than ``to``, which is already the search's date filter.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from ..analytics import report
from ..analytics.recorder import Recorder
from ..query.links import is_safe_link
from ..query.request import InvalidParameter
from . import admin
from .resources import search_dict, settings

bp = Blueprint("analytics", __name__)
stats_bp = Blueprint("analytics_admin", __name__, url_prefix="/admin")
stats_bp.before_request(admin.authorize)
EXTENSION = "searchsvc.analytics"
CLICK_PARAMS = ("pos", "url")


def init_app(app) -> None:
    conf = app.config["SEARCHSVC"]
    if conf["analytics"]:
        recorder = Recorder(conf["index_dir"], conf["analytics_queue_size"], conf["analytics_retention_days"])
        app.extensions[EXTENSION] = recorder
        app.extensions["searchsvc"].closers.append(recorder.close)
    app.register_blueprint(bp)
    if conf["admin_token"]:
        app.register_blueprint(stats_bp)


def _recorder() -> Recorder | None:
    return current_app.extensions.get(EXTENSION)


def record_search(data: dict) -> None:
    """Count a visitor's search: its first page only (paging on is the same search)."""
    recorder = _recorder()
    if recorder is not None and data.get("query") and data.get("page") == 1:
        recorder.search(data["query"], data.get("total", 0))


def click_urls(data: dict, state: list[tuple[str, str]]) -> list[str | None]:
    """For each hit of the page, its link through /click (None: analytics off, or no link)."""
    if _recorder() is None or not data.get("query"):
        return [None] * len(data.get("results", []))
    base = [(k, v) for k, v in state if k not in CLICK_PARAMS and k != "page"]
    if data.get("page", 1) > 1:
        base.append(("page", str(data["page"])))
    first = (data["page"] - 1) * data["per_page"] + 1
    return [
        url_for("analytics.click") + "?" + urlencode(base + [("pos", str(first + i)), ("url", hit["url"])]) if hit.get("url") else None
        for i, hit in enumerate(data["results"])
    ]


def _position(raw: str | None) -> int:
    try:
        pos = int(raw or "")
    except ValueError:
        pos = 0
    if pos < 1:
        raise InvalidParameter("pos must be a whole number from 1 (the result's position)", "pos")
    return pos


@bp.get("/click")
def click():
    target = request.args.get("url", "")
    pos = _position(request.args.get("pos"))
    if not is_safe_link(target):
        raise InvalidParameter("url must be a result's link (a site path or an http(s) URL)", "url")
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in CLICK_PARAMS])
    data = search_dict(url_for("pages.search_html"), args)
    index = pos - ((data["page"] - 1) * data["per_page"] + 1)
    hit = data["results"][index] if 0 <= index < len(data["results"]) else None
    links = {hit["url"], *(sub.get("url") for sub in hit.get("sub_results") or [])} if hit else set()
    if target not in links:
        raise InvalidParameter("url is not the link of the result at that position of this search", "url")
    recorder = _recorder()
    if recorder is not None:
        recorder.click(data["query"], pos)
    response = redirect(target, 302)
    response.headers["Cache-Control"] = "no-store"
    return response


@stats_bp.get("/stats")
def stats_page():
    raw = request.args.get("days", "7")
    if not raw.isdigit() or not 1 <= int(raw) <= 366:
        raise InvalidParameter("days must be a whole number from 1 to 366", "days")
    index_dir = settings()["index_dir"]
    data = report.stats(index_dir, int(raw))
    return render_template(
        "stats.html", data=data, dropped=report.dropped(index_dir, int(raw)),
        today=dt.date.today().isoformat(), minimum=report.MIN_DAILY_COUNT, enabled=_recorder() is not None,
    )
