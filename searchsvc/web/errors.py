"""The one shape of every error the service answers, JSON or HTML.

Datasette's canonical error body: ``{"ok": false, "status", "error",
"errors": [...]}`` (plus ``parameter`` when one parameter is at fault), one
helper that builds it, and one set of handlers that decide JSON or HTML by
the path.
"""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, NotFound, SecurityError

from ..query.request import InvalidParameter


class ServiceUnavailable(Exception):
    pass


def wants_json() -> bool:
    return request.path.endswith((".json", ".atom")) or request.path == "/healthz" or request.path.startswith("/admin/")


def error_body(status: int, message: str, param: str | None = None, **extra) -> dict:
    """The canonical error body; ``extra`` keys may be added, the four are never removed."""
    body = {"ok": False, "status": status, "error": message, "errors": [message]}
    if param:
        body["parameter"] = param
    body.update(extra)
    return body


def json_error(status: int, message: str, **extra):
    """A JSON error response with the canonical body, for endpoints that are JSON only."""
    response = jsonify(error_body(status, message, **extra))
    response.status_code = status
    return response


def error_response(status: int, message: str, param: str | None = None):
    if wants_json():
        response = jsonify(error_body(status, message, param))
    else:
        response = current_app.make_response(
            (render_template("error.html", status=status, message=message), status)
        )
    response.status_code = status
    return response


def init_app(app) -> None:
    app.register_error_handler(InvalidParameter, handle_bad_request)
    app.register_error_handler(ServiceUnavailable, handle_unavailable)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)


def handle_bad_request(exc: InvalidParameter):
    return error_response(400, exc.message, exc.param)


def handle_unavailable(exc: ServiceUnavailable):
    response = error_response(getattr(exc, "status", 503), str(exc))
    if getattr(exc, "retry_after", None):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def handle_http(exc: HTTPException):
    if isinstance(exc, SecurityError):
        # A Host outside trusted_hosts: no URL can be built for it (Flask has
        # no URL adapter), so no page; and the host is not echoed back.
        message = "this service does not answer for that host (setting trusted_hosts)"
        if wants_json():
            return json_error(400, message)
        return current_app.response_class(message + "\n", status=400, mimetype="text/plain")
    message = exc.description or exc.name
    if exc.code == 405:
        message = f"method {request.method} is not allowed on {request.path}; use {', '.join(sorted(exc.valid_methods or ['GET']))}"
    elif exc.code == 413:
        message = f"request body too large: at most {request.max_content_length} bytes"
    elif exc.code == 404 and message == NotFound.description:
        message = f"there is nothing at {request.path}"
    response = error_response(exc.code or 500, message)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def handle_unexpected(exc: Exception):
    current_app.logger.exception("unexpected error on %s", request.full_path)
    return error_response(500, "internal error; the problem has been logged")
