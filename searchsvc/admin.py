"""``POST /admin/reindex``: an optional trigger for publishing pipelines.

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

import argparse
import hmac
import os
import re
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from . import settings as settings_mod
from . import store

bp = Blueprint("admin", __name__, url_prefix="/admin")

TASKS_DIR = "tasks"
KEEP_TASKS = 50
_TASK_UID = re.compile(r"^[0-9a-f]{32}$")


def init_app(app) -> None:
    if app.config["SEARCHSVC"]["admin_token"]:
        app.register_blueprint(bp)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _error(status: int, message: str, **extra):
    body = {"ok": False, "status": status, "error": message, "errors": [message], **extra}
    return jsonify(body), status


def _tasks_dir(index_dir: Path) -> Path:
    return index_dir / TASKS_DIR


def write_task(index_dir: Path, task: dict) -> None:
    """Replace a task record atomically: a reader sees the old or the new one."""
    directory = _tasks_dir(index_dir)
    directory.mkdir(mode=0o755, exist_ok=True)
    tmp = directory / f".{task['uid']}.{os.getpid()}.tmp"
    store.write_json(tmp, task)
    os.replace(tmp, directory / f"{task['uid']}.json")


def read_task(index_dir: Path, uid: str) -> dict | None:
    if not _TASK_UID.match(uid):
        return None
    return store.read_json(_tasks_dir(index_dir) / f"{uid}.json")


def _prune_tasks(index_dir: Path) -> None:
    try:
        entries = sorted(_tasks_dir(index_dir).glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in entries[KEEP_TASKS:]:
        try:
            old.unlink()
        except OSError:
            pass


@bp.before_request
def authorize():
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        response, status = _error(401, "this endpoint needs an 'Authorization: Bearer <token>' header (setting admin_token)")
        response.headers["WWW-Authenticate"] = 'Bearer realm="searchsvc admin"'
        return response, status
    expected = current_app.config["SEARCHSVC"]["admin_token"].encode("utf-8")
    if not hmac.compare_digest(token.strip().encode("utf-8", "surrogateescape"), expected):
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
    store.ensure_index_dir(index_dir)
    lock = store.ReindexLock(index_dir)
    try:
        lock.acquire()
    except store.ReindexRunning as exc:
        return _error(409, str(exc))
    task = {
        "uid": uuid.uuid4().hex,
        "type": "reindex",
        "status": "enqueued",
        "enqueued_at": _now(),
        "started_at": None,
        "finished_at": None,
        "details": None,
        "error": None,
    }
    try:
        write_task(index_dir, task)
        fd = lock.hand_over()
        proc = subprocess.Popen(
            [sys.executable, "-m", "searchsvc.admin", "--task", task["uid"], "--lock-fd", str(fd)],
            pass_fds=(fd,),
            env=_child_env(conf),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives a worker restart
        )
    except OSError as exc:
        lock.release()
        task.update(status="failed", finished_at=_now(), error=f"could not start the reindex: {exc.strerror or exc}")
        try:
            write_task(index_dir, task)
        except OSError:
            pass
        return _error(503, task["error"])
    lock.forget()
    # Reap the child when it ends, so no zombie outlives it.
    threading.Thread(target=proc.wait, name=f"reindex-{proc.pid}", daemon=True).start()
    response = jsonify({"ok": True, "task": task, "task_url": f"/admin/tasks/{task['uid']}"})
    response.status_code = 202
    response.headers["Location"] = f"/admin/tasks/{task['uid']}"
    return response


@bp.get("/tasks/<uid>")
def show_task(uid: str):
    task = read_task(Path(current_app.config["SEARCHSVC"]["index_dir"]), uid)
    if task is None:
        return _error(404, f"there is no task {uid[:40]!r}")
    return jsonify({"ok": True, "task": task})


def run_task(uid: str, lock_fd: int) -> int:
    """The child process: run one incremental reindex, record how it went."""
    from .indexer import ReindexFailed, reindex

    conf = settings_mod.load()
    index_dir = Path(conf["index_dir"])
    task = read_task(index_dir, uid) or {"uid": uid, "type": "reindex", "enqueued_at": None}
    task.update(status="processing", started_at=_now())
    lock = store.ReindexLock(index_dir, inherited_fd=lock_fd).acquire()
    try:
        write_task(index_dir, task)
        report = reindex(settings_mod.content_dir(conf), index_dir, conf, full=False, lock=lock)
    except (ReindexFailed, store.IndexError_, OSError) as exc:
        task.update(status="failed", error=str(exc))
        code = 3
    except BaseException as exc:  # recorded, then re-raised for the exit status
        task.update(status="failed", error=f"unexpected {type(exc).__name__}: {exc}")
        _finish(index_dir, task)
        raise
    else:
        task.update(
            status="succeeded",
            details={
                "added": report.added,
                "updated": report.updated,
                "removed": report.removed,
                "unchanged": report.unchanged,
                "unpublished": report.unpublished,
                "failed": len(report.failed),
                "skipped": [{"id": rel, "reason": reason} for rel, reason in report.failed[:100]],
                "documents": report.documents,
                "generation": report.generation,
                "full": report.full,
                "seconds": round(report.seconds, 3),
            },
        )
        code = 0
    finally:
        lock.release()
    _finish(index_dir, task)
    return code


def _finish(index_dir: Path, task: dict) -> None:
    task["finished_at"] = _now()
    try:
        write_task(index_dir, task)
        _prune_tasks(index_dir)
    except OSError:
        pass  # a full disk: the task stays "processing"; the reindex itself said why


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m searchsvc.admin", description="Run one admin-triggered reindex task.")
    parser.add_argument("--task", required=True)
    parser.add_argument("--lock-fd", type=int, required=True)
    args = parser.parse_args(argv)
    return run_task(args.task, args.lock_fd)


if __name__ == "__main__":
    sys.exit(main())
