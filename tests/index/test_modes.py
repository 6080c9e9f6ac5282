"""Issue 16 F4: index files nobody else can write.  A reindex under a loose
umask writes owner-only-writable folders and files; a generation file made
group-writable (as a group member rewriting a TOC pickle would need) is
refused by the app and the CLI with one line naming the path and the chmod."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from searchsvc import create_app
from searchsvc.index.store import UnsafeIndexDir

from ..conftest import SAMPLE, conf


def _reindex(index_dir, umask="002"):
    return subprocess.run(
        ["sh", "-c", f'umask {umask}; exec "$0" -m searchsvc.cli reindex "$1" --index "$2" --quiet', sys.executable, str(SAMPLE), str(index_dir)],
        capture_output=True, text=True,
    )


def _loose(index_dir):
    out = []
    for folder, dirs, files in os.walk(index_dir):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            if not os.path.islink(path) and os.lstat(path).st_mode & 0o022:
                out.append(os.path.relpath(path, index_dir))
    return out


def test_index_written_owner_only_whatever_the_umask(tmp_path):
    index_dir = tmp_path / "index"
    done = _reindex(index_dir)
    assert done.returncode == 0, done.stderr
    assert _loose(index_dir) == []
    assert stat.S_IMODE(index_dir.stat().st_mode) == 0o755


def test_a_group_writable_toc_is_refused(tmp_path):
    index_dir = tmp_path / "index"
    assert _reindex(index_dir, umask="022").returncode == 0
    toc = next(index_dir.glob("gen-*/_MAIN_*.toc"))
    toc.chmod(0o664)  # what a group member needs to rewrite the pickle
    with pytest.raises(UnsafeIndexDir) as refused:
        create_app(conf(index_dir=str(index_dir)))
    message = str(refused.value)
    assert "\n" not in message
    assert f"index file {toc} is writable by its group or by others (mode 0664)" in message
    assert message.endswith(f"Fix it with: chmod -R go-w {index_dir}")
    again = _reindex(index_dir, umask="022")
    assert (again.returncode, again.stderr.count("\n"), "Traceback" in again.stderr) == (3, 1, False)
    assert str(toc) in again.stderr
