from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from searchsvc import create_app
from searchsvc import settings as settings_mod
from searchsvc.index.build import reindex

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "digitalgov-2017"
SAMPLE = settings_mod.SAMPLE_CONTENT_DIR


def needs_corpus():
    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS} (it lives in ../shared beside the repository)")
    return CORPUS


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("SEARCHSVC_"):
            monkeypatch.delenv(name)


def conf(**overrides):
    return settings_mod.load(overrides, environ={})


def write_post(root: Path, rel: str, front: str, body: str = "Body text.") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + textwrap.dedent(front).strip() + "\n---\n\n" + textwrap.dedent(body).strip() + "\n", encoding="utf-8")
    return path


def build(content: Path, index_dir: Path, **overrides):
    settings = conf(index_dir=str(index_dir), content_dir=str(content), **overrides)
    return reindex(content, index_dir, settings), settings


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory):
    """The sample content shipped in the package, indexed once per session."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    report, _ = build(SAMPLE, index_dir)
    return index_dir, report


@pytest.fixture
def app(sample_index):
    index_dir, _ = sample_index
    return create_app({"index_dir": str(index_dir), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory):
    """The real corpus indexed once per session (skips when absent)."""
    corpus = needs_corpus()
    index_dir = tmp_path_factory.mktemp("corpus-index")
    started = time.monotonic()
    report, _ = build(corpus, index_dir)
    report.wall = time.monotonic() - started
    return index_dir, report


@pytest.fixture
def corpus_client(corpus_index):
    index_dir, _ = corpus_index
    return create_app({"index_dir": str(index_dir), "TESTING": True}).test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None, log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            output = log_path.read_text() if log_path else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {output}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def searchsvc_exe() -> str:
    exe = Path(sys.executable).with_name("searchsvc")
    return str(exe) if exe.exists() else shutil.which("searchsvc")


@contextmanager
def running_server(argv, log_path: Path, env: dict | None = None, cwd: Path | None = None, timeout: float = 60):
    """Start ``argv(port)`` on a free loopback port, wait for /healthz, stop it after.

    Yields ``(base_url, process)``; output goes to ``log_path`` (shown if the
    server dies before answering).
    """
    port = free_port()
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv(port), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", timeout=timeout, proc=proc, log_path=log_path)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def served(tmp_path):
    """A real `searchsvc serve` process on the sample content, in its own index dir."""
    index_dir = tmp_path / "index"
    argv = lambda port: [searchsvc_exe(), "serve", "--index", str(index_dir), "--port", str(port)]  # noqa: E731
    with running_server(argv, tmp_path / "serve.log") as (base, _):
        yield base, index_dir


def load_budget(seconds: float) -> float:
    """RELIABILITY.md's targets are for an idle machine; this one is shared
    (load averages of 8 on 2 cores were seen), so a target stretches by how
    oversubscribed the cores are.  An expanding query takes seconds, far
    past any stretched budget, so the check still bites."""
    return seconds * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
