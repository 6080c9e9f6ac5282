"""``POST /admin/reindex`` and ``POST /admin/generations``: optional triggers for publishing pipelines.

``POST /admin/generations`` takes a packed generation built elsewhere (a CI
job that has the content) and installs it here like ``searchsvc publish``
(index/publish.py); its body may be up to ``max_generation_upload_bytes``.

Off (absent: 404) unless ``SEARCHSVC_ADMIN_TOKEN`` is set.  A request needs
``Authorization: Bearer <token>`` (compared in constant time: 401 without,
403 wrong).  It reindexes the configured content folder only — nothing in
the request names a path — incrementally, in a separate process, and answers
at once with 202 and a task record (Meilisearch style); ``GET
/admin/tasks/<uid>`` follows it to ``succeeded`` or ``failed``.

The web worker takes the reindex flock itself, without waiting, before it
starts anything: a second call, from any worker, while a reindex runs (or a
staff ``searchsvc reindex``) gets 409 at once.  The locked descriptor is
handed to the child process, which carries on holding it, so there is no
moment at which two runs could both start.  No request ever opens a Whoosh
writer, so none can meet a ``LockError``.
"""

from __future__ import annotations

import hmac
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from .. import settings as settings_mod
from ..index import publish, store
from ..index.tasks import now, read_task, write_task
from .errors import json_error

bp = Blueprint("admin", __name__, url_prefix="/admin")

def init_app(app) -> None:
    if app.config["SEARCHSVC"]["admin_token"]:
        app.register_blueprint(bp)


def _error(status: int, message: str, **extra):
    return json_error(status, message, **extra), status


@bp.before_request
def authorize():
    if request.endpoint == "admin.receive_generation":
        # Flask >= 3.1: the limit of this request alone; every other stays small.
        request.max_content_length = current_app.config["SEARCHSVC"]["max_generation_upload_bytes"]
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    return token_refusal()


def token_refusal():
    """None when the request carries the admin token, else the 401/403 (or, with no token set, 404) answer.

    Compared as bytes, in constant time.  WSGI hands header values over as
    ISO-8859-1 text, so a token sent as UTF-8 (a non-ASCII token) arrives as
    one character per byte: encoding it back as ISO-8859-1 gives the bytes
    the client sent, which are compared with the setting's UTF-8 form.
    """
    configured = current_app.config["SEARCHSVC"]["admin_token"]
    if not configured:
        return _error(404, f"there is nothing at {request.path} (setting admin_token is not set)")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        response, status = _error(401, "this endpoint needs an 'Authorization: Bearer <token>' header (setting admin_token)")
        response.headers["WWW-Authenticate"] = 'Bearer realm="searchsvc admin"'
        return response, status
    try:
        sent = token.strip().encode("latin-1")
    except UnicodeEncodeError:  # no WSGI server sends that; it cannot be the token's bytes
        sent = b""
    if not hmac.compare_digest(sent, configured.encode("utf-8")):
        return _error(403, "the bearer token is not the configured admin token")
    return None


def _child_env(conf: dict) -> dict:
    """The app's settings as SEARCHSVC_* variables, so the child reindexes
    exactly what this app serves (settings may come from create_app's mapping)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    for name in settings_mod.DEFAULTS:
        if name == "admin_token":
            continue
        value = conf[name]
        if isinstance(value, tuple):
            value = ",".join(value)
        env[f"SEARCHSVC_{name.upper()}"] = str(value)
    return env


@bp.post("/reindex")
def start_reindex():
    request.get_data(cache=False)  # a chunked body over the limit -> 413 here
    conf = current_app.config["SEARCHSVC"]
    index_dir = Path(conf["index_dir"])
    content_dir = settings_mod.content_dir(conf)
    if not content_dir.is_dir():
        return _error(503, "the configured content folder does not exist (setting content_dir)")
    lock = store.ReindexLock(index_dir)
    try:
        store.ensure_index_dir(index_dir)
        lock.acquire()
    except store.ReindexRunning as exc:
        return _error(409, str(exc))
    except OSError as exc:  # a full disk, a read-only index folder: a reason, not a 500
        return _error(503, f"could not start the reindex: {exc.strerror or exc}; the served index is unchanged")
    task = {
        "uid": uuid.uuid4().hex,
        "type": "reindex",
        "status": "enqueued",
        "enqueued_at": now(),
        "started_at": None,
        "finished_at": None,
        "details": None,
        "error": None,
    }
    try:
        write_task(index_dir, task)
        fd = lock.hand_over()
        proc = subprocess.Popen(
            [sys.executable, "-m", "searchsvc.index.tasks", "--task", task["uid"], "--lock-fd", str(fd)],
            pass_fds=(fd,),
            env=_child_env(conf),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives a worker restart
        )
    except OSError as exc:
        lock.release()
        task.update(status="failed", finished_at=now(), error=f"could not start the reindex: {exc.strerror or exc}")
        try:
            write_task(index_dir, task)
        except OSError:
            pass
        return _error(503, task["error"])
    lock.forget()
    # Reap the child when it ends, so no zombie outlives it.
    threading.Thread(target=proc.wait, name=f"reindex-{proc.pid}", daemon=True).start()
    task_url = url_for("admin.show_task", uid=task["uid"])
    response = jsonify({"ok": True, "task": task, "task_url": task_url})
    response.status_code = 202
    response.headers["Location"] = task_url
    return response


@bp.get("/tasks/<uid>")
def show_task(uid: str):
    task = read_task(Path(current_app.config["SEARCHSVC"]["index_dir"]), uid)
    if task is None:
        return _error(404, f"there is no task {uid[:40]!r}")
    return jsonify({"ok": True, "task": task})


@bp.post("/generations")
def receive_generation():
    """A packed generation (``searchsvc.index.publish.pack``: a tar) installed
    here and made live, verified against its own checksums first; 201 with
    the generation number.  Anything partial or corrupt: 400, nothing switched."""
    conf = current_app.config["SEARCHSVC"]
    index_dir = Path(conf["index_dir"])
    try:
        done = publish.receive_tar(request.stream, index_dir, conf["max_generation_upload_bytes"])
    except store.ReindexRunning as exc:
        return _error(409, str(exc))
    except RequestEntityTooLarge:
        raise
    except publish.PublishError as exc:
        return _error(400, f"generation refused, the live one is unchanged: {exc}")
    except (OSError, store.UnsafeIndexDir) as exc:
        return _error(503, f"could not install the generation, the live one is unchanged: {exc}")
    response = jsonify({"ok": True, **done})
    response.status_code = 200 if done["already_live"] else 201
    return response
