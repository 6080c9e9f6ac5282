"""Which content a generation holds: recorded at build, reported by /healthz and the page footer.

At build, ``at_build`` records the content folder's git commit (``git
rev-parse HEAD`` run as a subprocess: no dependency; None when the folder is
not in a checkout or git is absent) and when the build's scan of the
content began.  At request time ``newer_posts`` counts the posts on disk
modified after that, with a walk bounded in entries and done at most once
per ``NEWER_EVERY_SECONDS`` per process (a replica has no content: None).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

POST_SUFFIXES = (".md", ".markdown", ".mdown", ".html", ".htm")
# A site's build output and tooling are not posts.
SKIPPED_DIRS = {"public", "_site", "node_modules", "resources", "vendor"}
WALK_MAX_ENTRIES = 200_000
NEWER_EVERY_SECONDS = 30.0
GIT_TIMEOUT_SECONDS = 5.0


def content_commit(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-c", f"safe.directory={Path(root).resolve()}", "-C", str(root), "rev-parse", "--verify", "HEAD"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env=dict(os.environ, GIT_OPTIONAL_LOCKS="0"),
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) in (40, 64) else None


def at_build(root: Path, scan_started_ns: int) -> dict:
    """The meta.json entries: content_commit and content_mtime_ns (when the scan began).

    The scan's start, not the newest file indexed: files the build skips
    (drafts, pages outside the site's content) are often newer than every
    post, and counted "changed since" from the first build on.
    """
    return {"content_commit": content_commit(root), "content_mtime_ns": scan_started_ns}


def count_newer(root: Path, after_ns: int, max_entries: int = WALK_MAX_ENTRIES) -> tuple[int, bool]:
    """(posts under ``root`` modified after ``after_ns``, whether the walk saw every entry)."""
    count, seen, stack = 0, 0, [str(root)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > max_entries:
                        return count, False
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIPPED_DIRS:
                            stack.append(entry.path)
                    elif entry.name.lower().endswith(POST_SUFFIXES) and entry.stat(follow_symlinks=False).st_mtime_ns > after_ns:
                        count += 1
        except OSError:
            continue  # a folder that vanished or cannot be read holds no post we can count
    return count, True


_lock = threading.Lock()
_remembered: dict[tuple, tuple[float, dict]] = {}


def newer_posts(meta: dict) -> dict | None:
    """{"count", "complete"} for a generation's meta.json, or None when its content is not on this host."""
    root, after = meta.get("content_dir"), meta.get("content_mtime_ns")
    if not isinstance(root, str) or not isinstance(after, int) or not os.path.isdir(root):
        return None
    key = (root, after)
    with _lock:
        found = _remembered.get(key)
        if found is not None and time.monotonic() - found[0] < NEWER_EVERY_SECONDS:
            return found[1]
        count, complete = count_newer(Path(root), after)
        value = {"count": count, "complete": complete}
        _remembered.clear()
        _remembered[key] = (time.monotonic(), value)
        return value
