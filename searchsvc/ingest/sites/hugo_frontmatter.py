"""What Hugo 0.111 reads from a page's front matter, and its dates.

spf13/cast's booleans, ``_build`` (pagemeta.DecodeBuildConfig), ``cascade``
and its ``_target`` (page.DecodeCascade, PageMatcher with gobwas globs),
taxonomy values (types.ToStringSlicePreserveString) and the ``frontmatter``
date handlers (``:filename``, ``:fileModTime``, ``:git``, front matter keys).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from .hugo_config import HugoConfig, go_bool
from .hugo_permalinks import sanitize

logger = logging.getLogger(__name__)


def lower(meta: dict) -> dict:
    return {str(k).lower(): v for k, v in meta.items()}


def text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def go_bool_or_none(value: Any) -> bool | None:
    """spf13/cast ToBoolE: None where it reports an error (a date in ``published``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip() in ("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"):
        return go_bool(value)
    return None


def build_options(raw: Any) -> dict[str, str]:
    """pagemeta.DecodeBuildConfig: booleans become never/always, unknown words always."""
    options = {"render": "always", "list": "always"}
    if not isinstance(raw, dict):
        return options
    allowed = {"render": ("always", "never", "link"), "list": ("always", "never", "local")}
    for key, value in lower(raw).items():
        if key not in options:
            continue
        if isinstance(value, bool) or value in (0, 1):
            options[key] = "always" if value else "never"
        elif isinstance(value, str) and value.lower() in allowed[key]:
            options[key] = value.lower()
    return options


def taxonomy_values(raw: Any) -> list[str]:
    """A page's values for one taxonomy as Hugo reads them: a string is one value, a list's
    scalars are values (numbers and booleans as text), anything else none; one per term key."""
    if raw is None or isinstance(raw, dict):
        return []
    items = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    values: list[str] = []
    seen: set[str] = set()
    for item in items:
        value = text(item)
        key = sanitize(value) if value is not None else ""
        if key and key not in seen:
            seen.add(key)
            values.append(value)
    return values


def decode_cascade(raw: Any) -> list[tuple[tuple, dict]]:
    """page.DecodeCascade: a map applies everywhere (its _target ignored); a list's entries by target."""
    if isinstance(raw, dict):
        return [((), lower(raw))]
    if not isinstance(raw, list):
        return []
    out: dict[tuple, dict] = {}
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        entry = lower(entry)
        target = lower(entry.get("_target")) if isinstance(entry.get("_target"), dict) else {}
        key = tuple(sorted((k, str(v)) for k, v in target.items() if k in ("path", "kind", "lang", "environment") and v))
        if key in out:
            for k, v in entry.items():
                out[key].setdefault(k, v)
        else:
            out[key] = entry
    return list(out.items())


def target_matches(target: tuple, subject: dict[str, str]) -> bool:
    """A cascade ``_target`` (path, kind, lang, environment globs) against a page's values."""
    return all(_glob(pattern).fullmatch(subject[field].lower()) for field, pattern in target)


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern:
    """A gobwas/glob pattern ('/' separates; * ** ? [..] {a,b}) as a regular expression, case-insensitive."""
    out: list[str] = []
    i, depth = 0, 0
    pattern = pattern.lower()
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            double = pattern.startswith("**", i)
            out.append(".*" if double else "[^/]*")
            i += 2 if double else 1
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out), re.S)
    except re.error:
        return re.compile(re.escape(pattern))


class DateReader:
    """A page's date, publishDate, lastmod and expiryDate through the configured handlers."""

    def __init__(self, config: HugoConfig, root: Path, folders: list[Path], parse: Callable[[Any], dt.datetime | None]):
        self.config = config
        self.root = root
        self.folders = folders
        self.parse = parse
        self._git: dict[str, dt.datetime] | None = None

    def dates(self, meta: dict, filename: str, path: Path) -> tuple[dict[str, dt.datetime | None], str | None]:
        """The four dates (None: unknown) and the slug a dated file name gives, for one page.

        ``filename`` is what ``:filename`` reads (a bundle's folder name for its index file).
        """
        slug = text(meta.get("slug")) or None
        out: dict[str, dt.datetime | None] = {}
        for name, handlers in self.config.dates.items():
            out[name] = None
            for handler in handlers:
                value, file_slug = self._date_from(handler, meta, filename, path)
                if value is not None:
                    out[name] = value
                    if file_slug and slug is None:
                        slug = file_slug
                    break
        return out, slug

    def _date_from(self, handler: str, meta: dict, name: str, path: Path) -> tuple[dt.datetime | None, str | None]:
        if not handler.startswith(":"):
            value = meta.get(handler)
            if value is None or value == "" or isinstance(value, bool):
                return None, None
            return self._aware(self.parse(value)), None
        if handler == ":filename":
            value = self._aware(self.parse(name[:10])) if re.match(r"\d{4}-\d{2}-\d{2}", name) else None
            return value, (name[10:].strip(" -_") or None) if value else None
        if handler == ":filemodtime":
            try:
                return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc), None
            except OSError:
                return None, None
        if handler == ":git" and self.config.git_info:
            return self._git_dates().get(str(path)), None
        return None, None  # :git without enableGitInfo, or a handler Hugo does not know either

    def _aware(self, value: dt.datetime | None) -> dt.datetime | None:
        if value is None or value.year <= 1:
            return None
        return value if value.tzinfo else value.replace(tzinfo=self.config.time_zone)

    def uses_git(self) -> bool:
        return self.config.git_info and any(":git" in h for h in self.config.dates.values())

    def _git_dates(self) -> dict[str, dt.datetime]:
        if self._git is None:
            self._git = git_log(self.root, self.folders)
        return self._git


def git_log(root: Path, folders: list[Path]) -> dict[str, dt.datetime]:
    """Each file's last commit (author date), from one ``git log`` as Hugo's gitmap reads it."""
    try:
        top = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=30)
        if top.returncode != 0:
            return {}
        log = subprocess.run(
            ["git", "-C", str(root), "-c", "log.showsignature=false", "log", "--name-only", "--no-merges",
             "--format=%x1e%aI", "--", *map(str, folders)],
            capture_output=True, text=True, timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("%s: git dates unavailable (%s)", root, exc)
        return {}
    repo = Path(top.stdout.strip())
    dates: dict[str, dt.datetime] = {}
    for record in log.stdout.split("\x1e")[1:]:
        lines = [line for line in record.splitlines() if line.strip()]
        if not lines:
            continue
        when = dt.datetime.fromisoformat(lines[0].strip())
        for name in lines[1:]:
            dates.setdefault(str((repo / name).resolve()), when)
    return dates


def git_head(root: Path) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()
