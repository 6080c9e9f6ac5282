"""Issue 16 F12: every refusal to start is one line, without a traceback, from
the real commands.  Before: ``searchsvc serve`` on a group-writable index
folder printed a 20-line traceback ending in UnsafeIndexDir, and a bad
setting printed click's usage text around the reason."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REPO, SAMPLE, build, free_port, searchsvc_exe

REFUSED = "is writable by its group or by others (mode 0775); Whoosh's index files are pickles, so that would let them run code here. Fix it with: chmod -R go-w "


def run(argv, **env_extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env.update(env_extra)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, cwd=REPO)


@pytest.fixture
def group_writable_index(tmp_path):
    index_dir = tmp_path / "index"
    build(SAMPLE, index_dir)
    os.chmod(index_dir, 0o775)
    return index_dir


def test_serve_on_a_group_writable_index_is_one_line(group_writable_index):
    done = run([searchsvc_exe(), "serve", "--index", str(group_writable_index), "--port", str(free_port())])
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"searchsvc serve: index directory {group_writable_index} {REFUSED}{group_writable_index}\n"


@pytest.mark.slow  # a real gunicorn server
def test_gunicorn_on_a_group_writable_index_says_it_without_a_traceback(group_writable_index):
    done = run([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{free_port()}", "wsgi:app"], SEARCHSVC_INDEX_DIR=str(group_writable_index))
    assert done.returncode != 0
    assert f"index directory {group_writable_index} {REFUSED}{group_writable_index}\n" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["reindex"], ["search", "anything"], ["stats"]])
def test_a_bad_setting_is_one_line_naming_it(command, tmp_path):
    done = run([searchsvc_exe(), *command, "--index", str(tmp_path / "index")], SEARCHSVC_MAX_PER_PAGE="lots")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"searchsvc {command[0]}: SEARCHSVC_MAX_PER_PAGE (setting max_per_page): expected a whole number, got 'lots'\n"


@pytest.mark.slow  # a real gunicorn server
def test_gunicorn_with_a_bad_setting_says_it_without_a_traceback(tmp_path):
    done = run([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{free_port()}", "wsgi:app"], SEARCHSVC_INDEX_DIR=str(tmp_path), SEARCHSVC_MAX_PER_PAGE="lots")
    assert done.returncode != 0
    assert "searchsvc: SEARCHSVC_MAX_PER_PAGE (setting max_per_page): expected a whole number, got 'lots'\n" in done.stderr
    assert "Traceback" not in done.stderr and "App failed to load" in done.stderr
