"""Synonym and acronym groups, applied when a query runs (no reindex).

The file holds one group per line, entries separated by commas, ``#`` for
comments: ``OMB, Office of Management and Budget``.  Any entry of a group
finds posts using any other; a word may belong to several groups (CMS is
both an agency and a kind of software).  The file is re-read when its
modification time or size changes, so an edit counts at the next search.

>>> groups = parse("OMB, Office of Management and Budget\\n# a comment\\n")
>>> groups.alternatives(("office", "of", "management", "and", "budget"))
[('omb',)]
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import PACKAGE_DIR
from ..words import WORD

DEFAULT_FILE = PACKAGE_DIR / "data" / "synonyms.txt"
MAX_PHRASE_WORDS = 8


def words_of(text: str) -> tuple[str, ...]:
    # "U.S." and "US" are one spelling: dots inside a word are dropped.
    return tuple(w.replace(".", "") for w in WORD.findall(text.lower()))


@dataclass
class Synonyms:
    # phrase (tuple of words) -> the other phrases of its groups
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = field(default_factory=dict)
    longest: int = 0
    problems: list[str] = field(default_factory=list)

    def alternatives(self, phrase: tuple[str, ...]) -> list[tuple[str, ...]]:
        return self.table.get(phrase, [])

    def spans(self, words: list[str]) -> list[tuple[int, int, list[tuple[str, ...]]]]:
        """Non-overlapping (start, end, alternatives) in ``words``, longest match first."""
        found = []
        i = 0
        normal = [w.replace(".", "") for w in words]
        while i < len(normal):
            for size in range(min(self.longest, len(normal) - i), 0, -1):
                alternatives = self.table.get(tuple(normal[i : i + size]))
                if alternatives:
                    found.append((i, i + size, alternatives))
                    i += size
                    break
            else:
                i += 1
        return found


def parse(text: str) -> Synonyms:
    synonyms = Synonyms()
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        entries = [words_of(entry) for entry in line.split(",")]
        entries = [e for e in entries if e]
        if not entries:
            continue
        if len(entries) < 2:
            synonyms.problems.append(f"line {number}: a group needs at least two entries")
            continue
        for entry in entries:
            if len(entry) > MAX_PHRASE_WORDS:
                synonyms.problems.append(f"line {number}: {' '.join(entry)!r} is longer than {MAX_PHRASE_WORDS} words")
                continue
            others = synonyms.table.setdefault(entry, [])
            for other in entries:
                if other != entry and other not in others:
                    others.append(other)
            synonyms.longest = max(synonyms.longest, len(entry))
    return synonyms


_cache: dict[str, tuple[tuple[int, int], Synonyms]] = {}
_lock = threading.Lock()


def stamp(path: str | os.PathLike | None) -> tuple[int, int]:
    """What identifies the file's current content (for result caches): mtime and size."""
    try:
        info = (Path(path) if path else DEFAULT_FILE).stat()
    except OSError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


def load(path: str | os.PathLike | None) -> Synonyms:
    """The groups in ``path`` (empty setting: the shipped list), cached until the file changes.

    A missing or unreadable file means no synonyms rather than a failed
    search; the problem is kept in ``problems`` for whoever looks.
    """
    path = Path(path) if path else DEFAULT_FILE
    key = str(path)
    try:
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size)
    except OSError as exc:
        return Synonyms(problems=[f"synonyms file {path}: {exc.strerror or exc}"])
    with _lock:
        cached = _cache.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
    try:
        synonyms = parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        synonyms = Synonyms(problems=[f"synonyms file {path}: {exc}"])
    with _lock:
        _cache[key] = (stamp, synonyms)
    return synonyms
