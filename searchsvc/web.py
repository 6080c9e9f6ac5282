"""HTTP: the JSON API and the HTML pages, rendering the same result dict."""

from __future__ import annotations

from contextlib import contextmanager

from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, NotFound

from . import search as search_mod
from . import suggest as suggest_mod
from .cache import cached_search
from .query import BadRequest, parse_args
from .searcher import NoIndex

bp = Blueprint("searchsvc", __name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class ServiceUnavailable(Exception):
    pass


def wants_json() -> bool:
    return request.path.endswith(".json") or request.path == "/healthz" or request.path.startswith("/admin/")


def error_body(status: int, message: str, param: str | None = None) -> dict:
    body = {"ok": False, "status": status, "error": message, "errors": [message]}
    if param:
        body["parameter"] = param
    return body


def error_response(status: int, message: str, param: str | None = None):
    if wants_json():
        response = jsonify(error_body(status, message, param))
    else:
        response = current_app.make_response(
            (render_template("error.html", status=status, message=message), status)
        )
    response.status_code = status
    return response


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
        return cached_search(generation, req, conf, base_path)


@bp.get("/search.json")
def search_json():
    return jsonify(search_dict("/search.json"))


@bp.get("/suggest.json")
def suggest_json():
    """Type-ahead: up to 8 completions of a partly typed query."""
    q = request.args.get("q", "") or ""
    limit = settings()["max_query_chars"]
    if len(q) > limit:
        raise BadRequest(f"q must be at most {limit} characters (setting max_query_chars); it has {len(q)}", "q")
    with live_generation() as generation:
        suggestions = suggest_mod.typeahead(generation, q.replace("\x00", " "))
    return jsonify({"ok": True, "query": q, "suggestions": suggestions})


def facet_values(generation, name: str, base_path: str) -> list[dict]:
    table = generation.postings.get(name, {})
    display = generation.display.get(name, {})
    values = [(display.get(key, key), len(docs)) for key, docs in table.items()]
    values.sort(key=lambda vc: (-vc[1], vc[0].lower()))
    return [
        {"value": value, "count": count, "url": search_mod._url(base_path, [(name, value)])}
        for value, count in values
    ]


@bp.get("/facets/<name>.json")
def facet_json(name: str):
    names = settings()["facets"] + ("year",)
    if name not in names:
        raise NotFound(f"there is no facet {name!r}; facets are: {', '.join(names)}")
    with live_generation() as generation:
        values = facet_values(generation, name, "/search.json")
    if name == "year":
        values.sort(key=lambda v: v["value"], reverse=True)
    return jsonify({"ok": True, "facet": name, "total": len(values), "values": values})


@bp.get("/documents/<path:doc_id>.json")
def document_json(doc_id: str):
    with live_generation() as generation:
        docnum = generation.searcher.document_number(id=doc_id)
        if docnum is None:
            raise NotFound(f"there is no document with id {doc_id!r}")
        hit = search_mod._hit(generation, docnum, None, set(), settings()["facets"])
        hit["body"] = generation.searcher.stored_fields(docnum).get("body", "")
    hit.pop("score", None)
    return jsonify({"ok": True, "document": hit})


@bp.get("/healthz")
def healthz():
    handle = current_app.extensions["searchsvc"]
    try:
        generation = handle.acquire()
    except NoIndex as exc:
        return jsonify({"status": "unavailable", "ok": False, "error": str(exc), "documents": 0}), 503
    try:
        body = {
            "status": handle.state.status,
            "documents": generation.doc_count,
            "generation": generation.number,
            "last_indexed": generation.meta.get("finished_at"),
        }
        if handle.state.problems:
            body["problems"] = handle.state.problems
    finally:
        handle.release(generation)
    return jsonify(body)


@bp.app_errorhandler(BadRequest)
def handle_bad_request(exc: BadRequest):
    return error_response(400, exc.message, exc.param)


@bp.app_errorhandler(ServiceUnavailable)
def handle_unavailable(exc: ServiceUnavailable):
    return error_response(503, str(exc))


@bp.app_errorhandler(HTTPException)
def handle_http(exc: HTTPException):
    message = exc.description or exc.name
    if exc.code == 405:
        message = f"method {request.method} is not allowed on {request.path}; use {', '.join(sorted(exc.valid_methods or ['GET']))}"
    elif exc.code == 413:
        message = f"request body too large: at most {current_app.config['MAX_CONTENT_LENGTH']} bytes"
    elif exc.code == 404 and message == NotFound.description:
        message = f"there is nothing at {request.path}"
    response = error_response(exc.code or 500, message)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


@bp.app_errorhandler(Exception)
def handle_unexpected(exc: Exception):
    current_app.logger.exception("unexpected error on %s", request.full_path)
    return error_response(500, "internal error; the problem has been logged")


@bp.after_app_request
def add_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.endswith(".json") or request.path == "/healthz":
        origins = settings()["cors_origins"]
        origin = request.headers.get("Origin")
        if "*" in origins:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin and origin in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
    return response
