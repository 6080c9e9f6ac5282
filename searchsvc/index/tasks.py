"""Admin-triggered reindex tasks: their records on disk, and the process that runs one.

A task record (``index/tasks/<uid>.json``, Meilisearch style) goes
``enqueued`` -> ``processing`` -> ``succeeded`` (with counts) or ``failed``
(with the error).  The web app writes the first record and starts
``python -m searchsvc.index.tasks`` handing it the reindex lock; this module
is that process.  The web side imports only the record functions; the
reindex itself is imported inside ``run_task``.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from .. import settings as settings_mod
from . import store

TASKS_DIR = "tasks"
KEEP_TASKS = 50
_TASK_UID = re.compile(r"^[0-9a-f]{32}$")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _tasks_dir(index_dir: Path) -> Path:
    return index_dir / TASKS_DIR


# Every record is padded to a whole block, and one spare block-sized file is
# kept: on a full disk a record can still be rewritten in place, or the spare
# renamed to a new one, so the task says "failed" (issue 16 F8: no record at all).
RECORD_BYTES = 4096
SPARE = ".spare"


def write_task(index_dir: Path, task: dict) -> None:
    """Replace a task record atomically: a reader sees the old or the new one.

    With the disk full, the record is written in place instead, over its own
    blocks (or the spare's): a reader may then find it half written (and
    answers 404 for that moment), but it ends saying how the task went.
    """
    directory = _tasks_dir(index_dir)
    directory.mkdir(mode=0o755, exist_ok=True)
    text = json.dumps(task, ensure_ascii=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % RECORD_BYTES)
    target = directory / f"{task['uid']}.json"
    tmp = directory / f".{task['uid']}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(text)
        store.owner_only_writable(directory)  # the index is refused if others can write it
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        _write_in_place(directory, target, text, exc)
        return
    _keep_spare(directory)


def _write_in_place(directory: Path, target: Path, text: bytes, full: OSError) -> None:
    if not target.exists():
        spare = directory / SPARE
        if not spare.exists():
            raise full
        os.rename(spare, target)
    if target.stat().st_size < len(text):
        raise full
    with open(target, "r+b") as handle:
        handle.write(text)


def _keep_spare(directory: Path) -> None:
    spare = directory / SPARE
    if spare.exists():
        return
    try:
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.fchmod(fd, 0o644)  # whatever the umask: the index is refused if others can write it
            os.write(fd, b" " * RECORD_BYTES)
        finally:
            os.close(fd)
    except OSError:
        _remove(spare)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


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


def run_task(uid: str, lock_fd: int) -> int:
    """The child process: run one incremental reindex, record how it went."""
    from .build import ReindexFailed, reindex

    conf = settings_mod.load()
    index_dir = Path(conf["index_dir"])
    task = read_task(index_dir, uid) or {"uid": uid, "type": "reindex", "enqueued_at": None}
    task.update(status="processing", started_at=now())
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
    task["finished_at"] = now()
    try:
        write_task(index_dir, task)
        _prune_tasks(index_dir)
    except OSError:
        pass  # not even in place (a record past RECORD_BYTES on a full disk): it stays "processing"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m searchsvc.index.tasks", description="Run one admin-triggered reindex task.")
    parser.add_argument("--task", required=True)
    parser.add_argument("--lock-fd", type=int, required=True)
    args = parser.parse_args(argv)
    return run_task(args.task, args.lock_fd)


if __name__ == "__main__":
    sys.exit(main())
