"""Synonym and acronym groups, applied when a query runs (no reindex).

The file holds one group per line, entries separated by commas, ``#`` for
comments: ``OMB, Office of Management and Budget``.  Any entry of a group
finds posts using any other; a word may belong to several groups (CMS is
both an agency and a kind of software).  The file is re-read when its
modification time or size changes, so an edit counts at the next search.

The editors' ``synonyms.yml`` in the search settings folder (editorial/files.py
reads it) adds its groups and one-way rules to that list: ``effective``
is what a search uses.

>>> groups = parse("OMB, Office of Management and Budget\\n# a comment\\n")
>>> groups.alternatives(("office", "of", "management", "and", "budget"))
[('omb',)]
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..editorial.files import SYNONYMS, Problem, folder_for, load_synonyms
from ..settings import PACKAGE_DIR
from ..stamps import stamp as file_stamp
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


def _add(synonyms: Synonyms, sources, targets) -> None:
    for entry in sources:
        others = synonyms.table.setdefault(entry, [])
        for other in targets:
            if other != entry and other not in others:
                others.append(other)
        synonyms.longest = max(synonyms.longest, len(entry))


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
        entries = [e for e in entries if len(e) <= MAX_PHRASE_WORDS]
        _add(synonyms, entries, entries)
    return synonyms


_cache: dict[str, tuple[tuple[int, int], Synonyms]] = {}
_lock = threading.Lock()


def stamp(path: str | os.PathLike | None) -> tuple:
    """What identifies the file's current content (for result caches); (0, 0) when absent."""
    return file_stamp(Path(path) if path else DEFAULT_FILE) or (0, 0)


def load(path: str | os.PathLike | None) -> Synonyms:
    """The groups in ``path`` (empty setting: the shipped list), cached until the file changes.

    A missing or unreadable file means no synonyms rather than a failed
    search; the problem is kept in ``problems`` for whoever looks.
    """
    path = Path(path) if path else DEFAULT_FILE
    key = str(path)
    stamp = file_stamp(path)
    if stamp is None:
        try:
            path.stat()
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


def _with_rules(base: Synonyms, rules, problems: list[Problem], path: Path) -> Synonyms:
    merged = Synonyms(
        table={phrase: list(others) for phrase, others in base.table.items()},
        longest=base.longest,
        problems=list(base.problems) + [f"{path.parent / p.file}:{p.line}: {p.reason}" for p in problems],
    )
    for rule in rules:
        _add(merged, [words_of(s) for s in rule.sources], [words_of(t) for t in rule.targets])
    return merged


_effective: dict[tuple, Synonyms] = {}


def settings_file(settings, built_from: str | None) -> Path:
    """The editors' synonyms.yml for a generation built from ``built_from``."""
    return folder_for(settings, built_from) / SYNONYMS


def effective_stamp(settings, built_from: str | None) -> tuple:
    """What identifies the synonyms a search uses now (for result caches)."""
    return stamp(settings.get("synonyms_file")), stamp(settings_file(settings, built_from))


def effective(settings, built_from: str | None = None) -> Synonyms:
    """The list (``synonyms_file`` or the shipped one) with the editors' synonyms.yml added,
    re-read when either file changes; an invalid rule is a problem and the rest apply."""
    base = load(settings.get("synonyms_file"))
    path = settings_file(settings, built_from)
    extra = stamp(path)
    if extra == (0, 0):
        return base
    key = (id(base), str(path), extra)
    with _lock:
        cached = _effective.get(key)
    if cached is not None:
        return cached
    problems: list[Problem] = []
    try:
        rules = load_synonyms(path, problems)
    except OSError as exc:
        rules, problems = [], [Problem(path.name, 1, f"cannot be read: {exc.strerror or exc}")]
    merged = _with_rules(base, rules, problems, path)
    with _lock:
        _effective.clear()  # one settings folder per process in practice: keep only the newest
        _effective[key] = merged
    return merged
