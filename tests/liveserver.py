"""Real servers for the reliability tests: gunicorn with several workers on
loopback, and small HTTP helpers that never raise on an error status."""

from __future__ import annotations

import http.client
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from .conftest import REPO, running_server


@contextmanager
def gunicorn(index_dir: Path, workers: int = 3, log_path: Path | None = None, threads: int = 1, **settings):
    """``gunicorn -w N wsgi:app`` on 127.0.0.1, configured through SEARCHSVC_*; ``threads`` > 1: gthread workers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env["SEARCHSVC_INDEX_DIR"] = str(index_dir)
    for name, value in settings.items():
        env[f"SEARCHSVC_{name.upper()}"] = str(value)
    log_path = log_path or index_dir.parent / f"gunicorn-{os.getpid()}-{id(env)}.log"
    threaded = ["--threads", str(threads)] if threads > 1 else []
    argv = lambda port: [sys.executable, "-m", "gunicorn", "-w", str(workers), *threaded, "-b", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"]  # noqa: E731
    with running_server(argv, log_path, env=env, cwd=REPO) as (base, proc):
        proc.base = base
        proc.port = int(base.rsplit(":", 1)[1])
        proc.log_path = log_path
        yield proc


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 30):
    """(status, headers, parsed JSON or text) without raising on 4xx/5xx."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        kind = response.getheader("Content-Type", "")
        data = json.loads(raw) if kind.startswith("application/json") else raw.decode("utf-8", "replace")
        return response.status, dict(response.getheaders()), data
    finally:
        conn.close()
