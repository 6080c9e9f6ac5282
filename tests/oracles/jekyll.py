"""The real Jekyll as a test oracle: what it publishes for a site folder, and at which URL.

``published(site_dir)`` runs ``jekyll_urls.rb`` (Jekyll's Ruby API: read the
site, no plugins, no rendering) and returns {path relative to the site:
row} for every post, collection document and page Jekyll would write.
``build(site_dir)`` runs ``jekyll build`` and lists the files in ``_site/``,
to check the API answer against what the command line writes.  Both skip
the calling test with one line when Ruby or the jekyll gem is missing.
Neither touches the network.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).with_name("jekyll_urls.rb")
HTML_EXTS = (".html", ".xhtml", ".htm")


@functools.lru_cache(maxsize=1)
def _missing() -> str | None:
    if shutil.which("ruby") is None:
        return "ruby is not installed (Debian: apt-get install jekyll)"
    probe = subprocess.run(["ruby", "-e", 'require "jekyll"; print Jekyll::VERSION'], capture_output=True, text=True)
    if probe.returncode != 0:
        return "the jekyll Ruby gem cannot be loaded (Debian: apt-get install jekyll)"
    if not probe.stdout.startswith("4."):
        return f"jekyll {probe.stdout.strip()} is installed; these expectations are Jekyll 4's"
    return None


def require_jekyll() -> None:
    reason = _missing()
    if reason:
        pytest.skip(reason)


def _environ(tz: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUNDLE", "JEKYLL_"))}
    if tz is not None:
        env["TZ"] = tz
    return env


def published(site_dir: Path, now: dt.datetime | None = None, tz: str | None = None) -> dict[str, Any]:
    """Jekyll's answer: {"published": {rel: row}, "static": [rel...]} or {"error": "..."}."""
    require_jekyll()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        args = ["ruby", str(SCRIPT), str(site_dir), str(out)]
        if now is not None:
            args.append(now.isoformat())
        run = subprocess.run(args, capture_output=True, text=True, env=_environ(tz), timeout=120)
        if run.returncode != 0 or not out.exists():
            raise AssertionError(f"jekyll_urls.rb failed ({run.returncode}): {run.stderr.strip()[-2000:]}")
        return json.loads(out.read_text("utf-8"))


def html_pages(answer: dict[str, Any]) -> dict[str, dict]:
    """The published rows a visitor gets as HTML pages (not feeds, CSS or text files)."""
    return {rel: row for rel, row in answer["published"].items() if row["output_ext"] in HTML_EXTS}


def build(site_dir: Path, destination: Path, tz: str | None = None) -> list[str]:
    """``jekyll build``'s output files, relative to ``destination``."""
    require_jekyll()
    args = ["jekyll", "build", "--quiet", "--source", str(site_dir), "--destination", str(destination)]
    run = subprocess.run(args, capture_output=True, text=True, env=_environ(tz), timeout=300, cwd=site_dir)
    if run.returncode != 0:
        raise AssertionError(f"jekyll build failed ({run.returncode}): {(run.stderr or run.stdout).strip()[-2000:]}")
    return sorted(p.relative_to(destination).as_posix() for p in destination.rglob("*") if p.is_file())
