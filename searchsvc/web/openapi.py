"""``GET /openapi.json``: an OpenAPI 3 description of this app's HTTP API.

Built per app, because the facet parameters are settings and the admin
endpoints exist only when a token is configured; a path is described only if
the app really routes it.  tests/web/test_openapi.py runs schemathesis against a
running server with this document, so it must stay true: every documented
status and body shape is checked against what the server sends.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("openapi", __name__)

_JSON = "application/json"
_STR = {"type": "string"}
_INT = {"type": "integer"}
_STR_LIST = {"type": "array", "items": _STR}
_NULLABLE_STR = {"type": ["string", "null"]}

ERROR = {
    "type": "object",
    "required": ["ok", "status", "error", "errors"],
    "properties": {
        "ok": {"const": False},
        "status": _INT,
        "error": _STR,
        "errors": _STR_LIST,
        "parameter": _STR,
    },
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _hit_schema(facets: tuple[str, ...]) -> dict:
    props = {
        "id": _STR,
        "url": _STR,
        "title": _STR,
        "summary": _STR,
        "date": _NULLABLE_STR,
        "snippet": _STR,
        "title_html": _STR,
        "score": {"type": ["number", "null"]},
        "sub_results": {"type": "array", "maxItems": 3, "items": {
            "type": "object", "required": ["title", "title_html", "anchor", "url", "snippet"],
            "properties": {"title": _STR, "title_html": _STR, "anchor": _STR, "url": _STR, "snippet": _STR}}},
    }
    props.update({name: _STR_LIST for name in facets})
    return {"type": "object", "required": ["id", "url", "title"], "properties": props}


def _search_schema(facets: tuple[str, ...]) -> dict:
    facet_value = {
        "type": "object",
        "required": ["value", "label", "count", "selected", "toggle_url", "term_url"],
        "properties": {"value": _STR, "label": _STR, "count": _INT, "selected": {"type": "boolean"}, "toggle_url": _STR, "term_url": _NULLABLE_STR},
    }
    return {
        "type": "object",
        "required": ["ok", "query", "total", "page", "per_page", "pages", "sort", "results", "facets", "next_url"],
        "properties": {
            "ok": {"const": True},
            "query": _STR,
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 0},
            "sort": {"enum": ["relevance", "newest", "oldest"]},
            "took_ms": {"type": "number"},
            "truncated": {"type": "boolean", "description": "true when the query's time limit (query_time_limit_ms) cut the answer short"},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {"type": "object", "additionalProperties": {"type": "array", "items": facet_value}},
            "suggestion": {},
            "next_url": _NULLABLE_STR,
            "best_bets": {
                "type": "array",
                "description": "the editors' pinned pages and links for this query (search/best-bets.yml), shown above the results",
                "items": {
                    "type": "object",
                    "required": ["title", "url", "description", "id"],
                    "properties": {"title": _STR, "url": _STR, "description": _STR, "id": _NULLABLE_STR},
                },
            },
            "route": {
                "description": "where an exact routed query (search/routes.yml) sends the visitor; null when not routed",
                "oneOf": [{"type": "null"}, {"type": "object", "required": ["url"], "properties": {"url": _STR}}],
            },
        },
    }


def _search_parameters(conf: dict) -> list[dict]:
    params = [
        {"name": "q", "in": "query", "description": "the query; empty browses everything", "schema": {"type": "string", "maxLength": conf["max_query_chars"]}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": conf["max_page"]}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": conf["max_per_page"]}},
        {"name": "sort", "in": "query", "schema": {"enum": ["relevance", "newest", "oldest"]}},
        {"name": "from", "in": "query", "description": "YYYY-MM-DD, inclusive", "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "description": "YYYY-MM-DD, inclusive", "schema": {"type": "string", "format": "date"}},
    ]
    for name in tuple(conf["facets"]) + ("year",):
        params.append(
            {
                "name": name,
                "in": "query",
                "description": f"only posts with this {name} value; repeat for any of several",
                "style": "form",
                "explode": True,
                "schema": {"type": "array", "items": {"type": "string"}},
            }
        )
    return params


def _responses(conf: dict) -> dict:
    """The responses several paths share, keyed by what they mean."""
    return {
        "bad_request": _error_response("a parameter is invalid; the message names it (and the setting behind a limit)"),
        "unavailable": _error_response("there is no readable index yet; the message says what to run"),
        "html": {"description": "an HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
        # Sent by gunicorn itself (limit_request_line, 4,094 bytes), before the app.
        "too_long": {"414": {"description": "the request line is too long (the server's limit)", "content": {"text/html": {"schema": _STR}}}},
    }


def _search_paths(conf: dict, r: dict) -> dict:
    bad_request, unavailable, html, too_long = r["bad_request"], r["unavailable"], r["html"], r["too_long"]
    return {
        "/search.json": {"get": {
            "summary": "Search: ranked hits, facet counts and the next page's URL",
            "operationId": "search",
            "parameters": _search_parameters(conf),
            "responses": {
                "200": _json_response("results", {"$ref": "#/components/schemas/SearchResults"}),
                "400": bad_request,
                "503": unavailable,
                **too_long,
            },
        }},
        "/search": {"get": {
            "summary": "The HTML results page for the same parameters",
            "operationId": "searchPage",
            "parameters": _search_parameters(conf),
            "responses": {"200": html, "400": {"description": "a parameter is invalid", "content": {"text/html": {"schema": _STR}}}, "503": {"description": "no index", "content": {"text/html": {"schema": _STR}}}, **too_long},
        }},
        "/search.atom": {"get": {
            "summary": "An Atom feed of the same search, newest first (sort is not taken; per_page defaults to 20)",
            "operationId": "searchFeed",
            "parameters": [p for p in _search_parameters(conf) if p["name"] != "sort"],
            "responses": {
                "200": {"description": "an Atom 1.0 feed", "content": {"application/atom+xml": {"schema": _STR}}},
                "400": bad_request,
                "503": unavailable,
                **too_long,
            },
        }},
        "/": {"get": {"summary": "The home page", "operationId": "home", "responses": {"200": html}}},
        "/suggest.json": {"get": {
            "summary": "Type-ahead: completions of a partly typed query",
            "operationId": "suggest",
            "parameters": [{"name": "q", "in": "query", "schema": {"type": "string", "maxLength": conf["max_query_chars"]}}],
            "responses": {
                "200": _json_response("up to 8 suggestions", {
                    "type": "object",
                    "required": ["ok", "query", "suggestions"],
                    "properties": {
                        "ok": {"const": True},
                        "query": _STR,
                        "suggestions": {"type": "array", "items": {
                            "type": "object", "required": ["text", "url"], "properties": {"text": _STR, "kind": _STR, "url": _STR},
                        }},
                    },
                }),
                "400": bad_request,
                "503": unavailable,
                **too_long,
            },
        }},
    }


def _static_paths() -> dict:
    paths = {}
    for rule, kind, summary in (
        ("/opensearch.xml", "application/opensearchdescription+xml", "OpenSearch description, so browsers can add the site's search"),
        ("/embed.js", "text/javascript", "Script for the search page and the embeddable search box"),
        ("/embed.css", "text/css", "Styles for the embeddable search box"),
    ):
        paths[rule] = {"get": {"summary": summary, "responses": {"200": {"description": summary, "content": {kind: {"schema": _STR}}}}}}
    paths["/opensearch.xml"]["get"]["responses"]["404"] = {
        "description": "no absolute address is configured (SEARCHSVC_SERVICE_URL or SEARCHSVC_TRUSTED_HOSTS): none is taken from the Host header",
        "content": {"text/html": {"schema": _STR}},
    }
    return paths


def _browse_paths(facets: tuple[str, ...], r: dict) -> dict:
    unavailable = r["unavailable"]
    return {
        "/facets/<name>.json": ("/facets/{name}.json", {"get": {
            "summary": "Every value of one facet with its count",
            "operationId": "facetValues",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"enum": list(facets) + ["year"]}}],
            "responses": {
                "200": _json_response("the values", {
                    "type": "object",
                    "required": ["ok", "facet", "total", "values"],
                    "properties": {
                        "ok": {"const": True},
                        "facet": {"enum": list(facets) + ["year"]},
                        "total": _INT,
                        "values": {"type": "array", "items": {
                            "type": "object",
                            "required": ["value", "count", "url"],
                            "properties": {"value": _STR, "count": _INT, "url": _STR},
                        }},
                    },
                }),
                "404": _error_response("no such facet"),
                "503": unavailable,
            },
        }}),
        "/documents/<path:doc_id>.json": ("/documents/{id}.json", {"get": {
            "summary": "One document's stored fields (id: its path in the content folder)",
            "operationId": "document",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": _json_response("the document", {
                    "type": "object",
                    "required": ["ok", "document"],
                    "properties": {"ok": {"const": True}, "document": {"$ref": "#/components/schemas/Hit"}},
                }),
                "404": _error_response("no such document"),
                "503": unavailable,
            },
        }}),
    }


# /healthz?deep=1: what verifying every generation found.
_CHECKED = {
    "type": "object",
    "required": ["generations", "seconds"],
    "properties": {
        "seconds": {"type": "number"},
        "generations": {"type": "array", "items": {
            "type": "object",
            "required": ["generation", "live", "verified", "problems"],
            "properties": {"generation": {"type": "integer"}, "live": {"type": "boolean"}, "verified": {"type": "boolean"}, "problems": {"type": "array", "items": {"type": "string"}}},
        }},
    },
}


def _service_paths() -> dict:
    return {
        "/healthz": {"get": {
            "summary": "Is an index being served, and is it the newest one",
            "operationId": "health",
            "parameters": [{
                "name": "deep", "in": "query", "schema": {"enum": ["0", "1"]},
                "description": "1: first verify every file of every generation against its recorded SHA-256 (needs the admin bearer token)",
            }],
            "responses": {
                "200": _json_response("ok, or degraded when an older generation is served because the newest is damaged", {
                    "type": "object",
                    "required": ["status", "documents", "generation"],
                    "properties": {
                        "status": {"enum": ["ok", "degraded"]},
                        "documents": _INT,
                        "generation": _INT,
                        "last_indexed": _NULLABLE_STR,
                        "problems": _STR_LIST,
                        "checked": _CHECKED,
                        "settings_problems": {**_STR_LIST, "description": "invalid entries of the editors' settings files and the synonyms list (file:line: reason); each is skipped, the rest apply"},
                        "replica": {"type": "boolean"},
                        "content_commit": _NULLABLE_STR,
                        "built_at": _NULLABLE_STR,
                        "posts_newer_than_generation": {"oneOf": [
                            {"type": "null"},
                            {"type": "object", "required": ["count", "complete"], "properties": {"count": _INT, "complete": {"type": "boolean"}}},
                        ]},
                    },
                }),
                "503": _json_response("no readable index: the canonical error, with health 'unavailable' and documents 0", {
                    "allOf": [
                        {"$ref": "#/components/schemas/Error"},
                        {"type": "object", "required": ["health"], "properties": {"health": {"const": "unavailable"}, "documents": _INT, "checked": _CHECKED}},
                    ],
                }),
                "400": _error_response("deep is neither 0 nor 1"),
                "401": _error_response("deep=1 without a bearer token"),
                "403": _error_response("deep=1 with a wrong bearer token"),
                "404": _error_response("deep=1 while no admin token is set"),
            },
        }},
        "/openapi.json": {"get": {
            "summary": "This document",
            "operationId": "openapi",
            "responses": {"200": _json_response("OpenAPI 3.1", {"type": "object", "required": ["openapi", "paths"]})},
        }},
    }


def _admin_paths() -> dict:
    secured = [{"bearer": []}]
    auth_errors = {
        "401": _error_response("no bearer token"),
        "403": _error_response("wrong bearer token"),
        "413": _error_response("request body too large (setting max_request_bytes)"),
    }
    task_schema = {"$ref": "#/components/schemas/Task"}
    installed = {
        "type": "object",
        "required": ["ok", "generation", "already_live"],
        "properties": {"ok": {"const": True}, "generation": _INT, "already_live": {"type": "boolean"}, "linked": _INT, "copied": _INT, "reused": _INT},
    }
    return {
        "/admin/reindex": {"post": {
            "summary": "Start an incremental reindex of the configured content folder",
            "operationId": "reindex",
            "security": secured,
            "responses": {
                "202": _json_response("started; follow task_url", {
                    "type": "object",
                    "required": ["ok", "task", "task_url"],
                    "properties": {"ok": {"const": True}, "task": task_schema, "task_url": _STR},
                }),
                "409": _error_response("a reindex is already running"),
                "503": _error_response("the content folder is missing, or the reindex could not start"),
                **auth_errors,
            },
        }},
        "/admin/generations": {"post": {
            "summary": "Install a packed generation built elsewhere and make it live",
            "operationId": "receiveGeneration",
            "security": secured,
            "requestBody": {"required": True, "description": "a tar of one generation folder's files", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {
                **auth_errors,
                "200": _json_response("that generation was live already", installed),
                "201": _json_response("installed, verified and live", installed),
                "400": _error_response("not a complete, uncorrupted generation; nothing switched"),
                "409": _error_response("another generation or reindex is being installed"),
                "413": _error_response("larger than max_generation_upload_bytes"),
                "503": _error_response("could not be written; nothing switched"),
            },
        }},
        "/admin/tasks/<uid>": ("/admin/tasks/{uid}", {"get": {
            "summary": "The record of one reindex task",
            "operationId": "task",
            "security": secured,
            "parameters": [{"name": "uid", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": _json_response("the task", {
                    "type": "object", "required": ["ok", "task"], "properties": {"ok": {"const": True}, "task": task_schema},
                }),
                "404": _error_response("no such task"),
                **auth_errors,
            },
        }}),
    }


def _analytics_paths(r: dict) -> dict:
    html_error = {"description": "a parameter is invalid (the page names it)", "content": {"text/html": {"schema": _STR}}}
    return {
        "/click": {"get": {
            "summary": "Count a followed result link (no identity) and redirect to it",
            "operationId": "click",
            "description": "The result links of /search go through here while analytics are on. `url` must be the link of the result at `pos` of the search named by the other parameters (as /search takes them); anything else is 400, so this is no open redirect.",
            "parameters": [
                {"name": "q", "in": "query", "schema": _STR},
                {"name": "pos", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 1}},
                {"name": "url", "in": "query", "required": True, "schema": _STR},
            ],
            "responses": {"302": {"description": "to the result"}, "400": html_error, "503": r["unavailable"], **r["too_long"]},
        }},
        "/admin/stats": {"get": {
            "summary": "The search statistics report (HTML): top, zero-result, unclicked and rising queries",
            "operationId": "stats",
            "security": [{"bearer": []}],
            "parameters": [{"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 366}}],
            "responses": {
                "200": r["html"], "400": r["bad_request"],
                "401": _error_response("no bearer token"), "403": _error_response("wrong bearer token"),
                "413": _error_response("request body too large (setting max_request_bytes)"),
            },
        }},
    }


def _paths(app) -> dict:
    """Every path the app really routes; a spec keyed by a Flask rule whose
    OpenAPI path differs is given as (path, spec)."""
    conf = app.config["SEARCHSVC"]
    shared = _responses(conf)
    specs = {
        **_search_paths(conf, shared),
        **_static_paths(),
        **_browse_paths(tuple(conf["facets"]), shared),
        **_service_paths(),
        **_admin_paths(),
        **_analytics_paths(shared),
    }
    routed = {rule.rule for rule in app.url_map.iter_rules()}
    paths: dict[str, dict] = {}
    for rule, spec in specs.items():
        if rule in routed:
            path, spec = spec if isinstance(spec, tuple) else (rule, spec)
            paths[path] = spec
    return paths


def build(app) -> dict:
    facets = tuple(app.config["SEARCHSVC"]["facets"])
    paths = _paths(app)
    from .. import __version__

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "searchsvc",
            "version": __version__,
            "description": "Full-text search over a site's Markdown posts. Errors share one JSON shape (Error).",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": ERROR,
                "Hit": _hit_schema(facets),
                "SearchResults": _search_schema(facets),
                "Task": {
                    "type": "object",
                    "required": ["uid", "type", "status"],
                    "properties": {
                        "uid": _STR,
                        "type": {"const": "reindex"},
                        "status": {"enum": ["enqueued", "processing", "succeeded", "failed"]},
                        "enqueued_at": _NULLABLE_STR,
                        "started_at": _NULLABLE_STR,
                        "finished_at": _NULLABLE_STR,
                        "details": {"type": ["object", "null"]},
                        "error": _NULLABLE_STR,
                    },
                },
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    document = current_app.extensions.get("searchsvc.openapi")
    if document is None:
        document = current_app.extensions["searchsvc.openapi"] = build(current_app)
    return jsonify(document)
