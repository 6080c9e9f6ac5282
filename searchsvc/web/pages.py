"""The HTML pages: the same result dict as /search.json, rendered by Jinja.

Nothing here searches: ``web.search_dict`` builds the one result dict (as
Datasette renders one dict as JSON or HTML), and this module only adds what
a page needs around it — links for chips, sort and page numbers, built from
the request's own parameters so every state of the page is a plain URL that
works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from ..query.facets import facet_values
from ..query.request import InvalidParameter
from ..query.urls import with_params, without_value
from ..words import facet_key
from . import analytics
from .errors import ServiceUnavailable
from .resources import on_live, search_dict, settings

bp = Blueprint("pages", __name__)

SORT_LABELS = {"relevance": "Best match", "newest": "Newest first", "oldest": "Oldest first"}
FACETS_SHOWN = 6  # values per facet before "Show more"
POPULAR_TAGS = 16
# Parameters the page carries from state to state; anything else is dropped.
PAGE_PARAMS = ("q", "sort", "from", "to", "per_page")


def _url(pairs: list[tuple[str, str]]) -> str:
    return with_params(url_for("pages.search_html"), pairs)


def _state_pairs(args, facet_names: tuple[str, ...]) -> list[tuple[str, str]]:
    """The search state as pairs, page excluded (a new filter starts at page 1)."""
    keep = set(PAGE_PARAMS) | set(facet_names)
    return [(k, v) for k, v in args.items(multi=True) if k in keep and v.strip()]


def feed_title(query: str, pairs: list[tuple[str, str]]) -> str:
    """What a search's Atom feed is called: its words and filters."""
    filters = [f"{k} {v}" for k, v in pairs if k not in ("q", "sort", "per_page", "page")]
    what = f"“{query}”" if query else "New posts"
    return what + (f" ({', '.join(filters)})" if filters else "")


def _control_id(name: str, value: str) -> str:
    # Stable across states, so script can give focus back to the box just ticked.
    digest = hashlib.blake2s(facet_key(value).encode("utf-8"), digest_size=6).hexdigest()
    return f"f-{name}-{digest}"


def _facet_label(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").capitalize()


FILTER_WORDS = {"tags": "tagged", "categories": "in", "authors": "by", "topics": "about", "year": "from"}


def _heading(data: dict, chips: list[dict]) -> str:
    """'Results for “q”', or for browsing 'Posts tagged OMB or SSA, from 2017'."""
    if data["query"]:
        return f"Results for “{data['query']}”"
    if not chips:
        return "All posts"
    groups: dict[str, list[str]] = {}
    for chip in chips:
        groups.setdefault(chip["name"], []).append(str(chip["value"]))
    parts = []
    for name, values in groups.items():
        if name == "from":
            parts.append(f"since {values[0]}")
        elif name == "to":
            parts.append(f"until {values[0]}")
        else:
            words = FILTER_WORDS.get(name, f"with {_facet_label(name).lower()}")
            parts.append(f"{words} {' or '.join(values)}")
    return "Posts " + ", ".join(parts)


def _pagination(page: int, pages: int, state: list[tuple[str, str]]) -> list[dict]:
    """Page links: first, last, and two either side of the current page, with gaps."""
    if pages <= 1:
        return []
    wanted = {1, pages} | set(range(max(1, page - 2), min(pages, page + 2) + 1))
    items, previous = [], 0
    for number in sorted(wanted):
        if number - previous > 1:
            items.append({"gap": True})
        pairs = state + ([("page", str(number))] if number > 1 else [])
        items.append({"number": number, "url": _url(pairs), "current": number == page})
        previous = number
    return items


def _suggestion(data: dict, state: list[tuple[str, str]]) -> dict | None:
    """'Did you mean': the corrected query with the same filters."""
    suggestion = data.get("suggestion")
    if not suggestion:
        return None
    text = suggestion.get("query") or suggestion.get("text") if isinstance(suggestion, dict) else str(suggestion)
    if not text:
        return None
    pairs = [("q", text)] + [(k, v) for k, v in state if k != "q"]
    return {"text": text, "url": _url(pairs)}


def _view(data: dict, args, facet_names: tuple[str, ...]) -> dict:
    state = _state_pairs(args, facet_names)
    selected = {(k, facet_key(v)) for k, v in state if k in facet_names}

    def filter_url(name: str, value: str) -> str | None:
        """Add one facet value to the current search (None: already selected)."""
        if (name, facet_key(value)) in selected:
            return None
        return _url(state + [(name, value)])

    facets, chips = [], []
    for name in facet_names:
        entries = data["facets"].get(name) or []
        if not entries:
            continue
        values = [dict(entry, id=_control_id(name, str(entry["value"]))) for entry in entries]
        more = values[FACETS_SHOWN:]
        facets.append(
            {
                "name": name,
                "label": _facet_label(name),
                "shown": values[:FACETS_SHOWN],
                "more": more,
                "more_open": any(v["selected"] for v in more),
                "selected": sum(1 for v in values if v["selected"]),
            }
        )
        for entry in entries:
            if entry["selected"]:
                remove = without_value(state, name, str(entry["value"]))
                chips.append({"name": name, "label": _facet_label(name), "value": entry.get("label") or entry["value"], "url": _url(remove)})
    for key, label in (("from", "From"), ("to", "To")):
        value = args.get(key, "").strip()
        if value:
            chips.append({"name": key, "label": label, "value": value, "url": _url([p for p in state if p[0] != key])})

    total, page, per_page = data["total"], data["page"], data["per_page"]
    first = (page - 1) * per_page + 1
    last = min(total, page * per_page)
    previous_url = None
    if page > 1:
        previous_url = _url(state + ([("page", str(page - 1))] if page > 2 else []))
    # Query words that are also facet values ("SSA"): offer the filter.
    facet_matches = []
    for match in data.get("facet_matches") or []:
        url = filter_url(match.get("facet", ""), str(match.get("value", "")))
        if match.get("facet") in facet_names and url:
            facet_matches.append({"label": _facet_label(match["facet"]), "value": match["value"], "url": url})
    q = data["query"]
    return {
        "facet_matches": facet_matches,
        "heading": _heading(data, chips),
        "state": state,
        "facets": facets,
        "chips": chips,
        "clear_url": _url([p for p in state if p[0] in ("q", "sort", "per_page")]),
        "filter_url": filter_url,
        "sorts": [(key, label) for key, label in SORT_LABELS.items() if q or key != "relevance"],
        "first": first,
        "last": last,
        "past_end": total > 0 and first > total,
        "pagination": _pagination(page, data["pages"], state),
        "previous_url": previous_url,
        "first_page_url": _url(state),
        "next_url": data["next_url"],
        "suggestion": _suggestion(data, state),
        # The query as typed found nothing and the service searched its correction.
        "corrected": data.get("corrected_query") if data.get("corrected") else None,
        "date_from": args.get("from", ""),
        "date_to": args.get("to", ""),
    }


def _popular_tags(limit: int) -> list[dict]:
    if "tags" not in settings()["facets"]:
        return []
    try:
        base = url_for("pages.search_html")
        return on_live(lambda generation: facet_values(generation, "tags", base))[:limit]
    except ServiceUnavailable:
        return []


@bp.app_context_processor
def page_globals() -> dict:
    conf = settings()
    return {"site_name": conf["site_name"] or "Site search", "opensearch": bool(conf["service_url"] or conf["trusted_hosts"])}


@bp.app_template_filter("long_date")
def long_date(value: str | None) -> str:
    """'2017-03-28T10:00:00-04:00' -> 'March 28, 2017' (the date as the post gives it)."""
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day:%B} {day.day}, {day.year}"


@bp.get("/search")
def search_html():
    # A form sent without JavaScript carries its empty fields (from=&to=);
    # send the browser to the clean address so each state has one URL.
    pairs = list(request.args.items(multi=True))
    clean = [(k, v) for k, v in pairs if v.strip()]
    # The default order needs no parameter, as the page's own links have none.
    q = request.args.get("q", "").strip()
    clean = [(k, v) for k, v in clean if not (k == "sort" and v == ("relevance" if q else "newest"))]
    if len(clean) != len(pairs):
        return redirect(_url(clean), 303)
    facet_names = tuple(settings()["facets"]) + ("year",)
    args, problems = request.args, []
    while True:
        try:
            data = search_dict(url_for("pages.search_html"), args)
            break
        except InvalidParameter as exc:
            # Show the page without the parameter at fault, and say why: a
            # visitor who typed "to" before "from" keeps their search.
            if not exc.param or exc.param not in args:
                raise
            problems.append(exc.message)
            args = MultiDict([(k, v) for k, v in args.items(multi=True) if k != exc.param])
    analytics.record_search(data)
    if data.get("route"):
        return redirect(data["route"]["url"], 302)
    view = _view(data, args, facet_names)
    view["click_urls"] = analytics.click_urls(data, _state_pairs(args, facet_names))
    feed_pairs = [(k, v) for k, v in _state_pairs(args, facet_names) if k != "sort"]
    view["feed_url"] = with_params(url_for("feeds.search_atom"), feed_pairs)
    view["feed_title"] = feed_title(data["query"], feed_pairs) + " (Atom feed)"
    popular = _popular_tags(POPULAR_TAGS) if data["total"] == 0 else []
    page = render_template("search.html", data=data, view=view, popular=popular, problems=problems)
    return page, (400 if problems else 200)


@bp.get("/")
def home():
    try:
        latest = search_dict(url_for("pages.search_html"), MultiDict([("per_page", "5")]))["results"]
    except ServiceUnavailable:
        latest = []
    return render_template("home.html", popular=_popular_tags(24), latest=latest)


def absolute(path: str) -> str | None:
    """``path`` (from url_for) as an absolute URL, from the configured
    service_url or a Host checked against trusted_hosts; never from a Host
    header nobody vouched for (None: neither is configured)."""
    conf = settings()
    if conf["service_url"]:
        return conf["service_url"].rstrip("/") + path[len(request.script_root):]
    if conf["trusted_hosts"]:
        return request.host_url.rstrip("/") + path  # Flask refused any other Host (400)
    return None


@bp.get("/opensearch.xml")
def opensearch():
    if absolute("/") is None:
        raise NotFound("the OpenSearch description needs absolute addresses: set SEARCHSVC_SERVICE_URL (or SEARCHSVC_TRUSTED_HOSTS)")
    body = render_template("opensearch.xml", absolute=absolute)
    return Response(body, mimetype="application/opensearchdescription+xml")


@bp.get("/embed.js")
def embed_js():
    # The page's own script doubles as the embeddable box: it notices the
    # data-target attribute on its <script> tag (one file, one combobox).
    response = current_app.send_static_file("search.js")
    response.headers["Cache-Control"] = "public, max-age=3600"
    # Any site may include the box.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/embed.css")
def embed_css():
    response = current_app.send_static_file("embed.css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
