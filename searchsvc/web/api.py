"""The JSON API: /search.json, /suggest.json, /facets/<name>.json, /documents/<id>.json, /healthz."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from ..index import provenance, store
from ..query import suggest as suggest_mod
from ..query.facets import facet_values
from ..query.generation import NoIndex
from ..query.hits import hit
from ..query.request import InvalidParameter, check_query_length
from . import admin, analytics, editorial
from .errors import json_error
from .resources import on_live, search_dict, settings

bp = Blueprint("searchsvc", __name__)


@bp.get("/search.json")
def search_json():
    data = search_dict(url_for("searchsvc.search_json"))
    analytics.record_search(data)
    return jsonify(data)


@bp.get("/suggest.json")
def suggest_json():
    """Type-ahead: up to 8 completions of a partly typed query."""
    q = request.args.get("q", "") or ""
    check_query_length(q, settings())
    page_path = url_for("pages.search_html")
    suggestions = on_live(lambda generation: suggest_mod.typeahead(generation, q.replace("\x00", " "), page_path))
    return jsonify({"ok": True, "query": q, "suggestions": suggestions})


@bp.get("/facets/<name>.json")
def facet_json(name: str):
    names = settings()["facets"] + ("year",)
    if name not in names:
        raise NotFound(f"there is no facet {name!r}; facets are: {', '.join(names)}")
    base_path = url_for("searchsvc.search_json")
    values = on_live(lambda generation: facet_values(generation, name, base_path))
    if name == "year":
        values.sort(key=lambda v: v["value"], reverse=True)
    return jsonify({"ok": True, "facet": name, "total": len(values), "values": values})


@bp.get("/documents/<path:doc_id>.json")
def document_json(doc_id: str):
    def read(generation):
        docnum = generation.searcher.document_number(id=doc_id)
        if docnum is None:
            raise NotFound(f"there is no document with id {doc_id!r}")
        document = hit(generation, docnum, None, set(), settings()["facets"])
        document["body"] = generation.searcher.stored_fields(docnum).get("body", "")
        return document

    document = on_live(read)
    document.pop("score", None)
    return jsonify({"ok": True, "document": document})


@bp.get("/healthz")
def healthz():
    """Which generation is served and whether it is the newest; ``?deep=1``
    (admin token) first verifies every file of every generation against its
    checksums, marking a damaged one so that every worker leaves it."""
    handle = current_app.extensions["searchsvc"]
    deep = request.args.get("deep", "0")
    if deep not in ("0", "1"):
        raise InvalidParameter("deep must be 1 (verify every file's checksum; needs the admin token) or 0", "deep")
    checked = None
    if deep == "1":
        refusal = admin.token_refusal()
        if refusal is not None:
            return refusal
        started = time.monotonic()
        checked = {"generations": handle.verify_all()}
        checked["seconds"] = round(time.monotonic() - started, 3)
    try:
        generation = handle.acquire()
    except NoIndex as exc:
        # The canonical error body (``status`` is the HTTP status, as in every error), saying why.
        extra = {} if checked is None else {"checked": checked}
        return json_error(503, str(exc), health="unavailable", documents=0, **extra)
    try:
        body = {
            "status": handle.state.status,
            "documents": generation.doc_count,
            "generation": generation.number,
            "last_indexed": generation.meta.get("finished_at"),
            "replica": bool(settings()["replica"]),
            **provenance_of(generation),
            "settings_problems": editorial.settings_problems(settings(), generation),
        }
        if handle.state.problems:
            body["problems"] = handle.state.problems
    finally:
        handle.release(generation)
    if checked is not None:
        body["checked"] = checked
        if not all(entry["verified"] for entry in checked["generations"]):
            body["status"] = "degraded"
    response = jsonify(body)
    response.headers["X-Search-Generation"] = str(body["generation"])
    return response


def provenance_of(generation) -> dict:
    """Which content is live: its git commit, when it was built, and how many
    posts on this host changed since (None: the content is not here)."""
    meta = generation.meta
    return {
        "content_commit": meta.get("content_commit"),
        "built_at": meta.get("finished_at"),
        "posts_newer_than_generation": provenance.newer_posts(meta),
    }


@bp.app_context_processor
def live_provenance():
    """The page footer's provenance line (the pages acquire the generation anyway)."""
    handle = current_app.extensions["searchsvc"]
    try:
        generation = handle.acquire()
    except NoIndex:
        return {"provenance": None}
    try:
        return {"provenance": dict(provenance_of(generation), generation=generation.number)}
    finally:
        handle.release(generation)


@bp.after_app_request
def generation_header(response):
    """Every search answer names the generation that made it, so a client can
    see a switch and nginx logs it (docs/deploy/nginx-cluster.conf: its cache
    cannot key on it, known only from the answer, so entries live 1 s)."""
    if request.path == "/search.json" and response.status_code == 200:
        number = g.get("searchsvc_generation")  # the one that answered: a fallback's, when the live one is damaged
        if number is None:
            number = store.current_generation(current_app.extensions["searchsvc"].index_dir)
        if number is not None:
            response.headers.setdefault("X-Search-Generation", str(number))
    return response
