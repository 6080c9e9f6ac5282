"""A judged query set: the file format site teams write, read and checked.

One JSON object (see README "Measuring ranking")::

    {"name": "...",
     "known_item": [{"id": "k1", "query": "...", "path": "posts/a.md"}],
     "topical": [{"id": "t1", "query": "...", "relevant": ["posts/b.md"],
                  "partially_relevant": ["posts/c.md"]}]}

Paths are relative to the content folder (the service's document ids).  A
known-item query has one right answer; a topical one a set, graded 2
(relevant) or 1 (partially relevant); a known item with two equally right
answers gives ``"paths": [...]`` instead of ``"path"``.  Optional per query: ``kind`` (a finer
label reported on its own, e.g. "typo" or "acronym"; default "known" /
"topical"), ``split`` (e.g. "heldout") and ``tags`` (free notes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

GAIN_RELEVANT = 2
GAIN_PARTIAL = 1
LISTS = {"known_item": "known", "topical": "topical"}


class JudgedSetError(ValueError):
    """The judged-set file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Judged:
    id: str
    query: str
    group: str  # "known_item" | "topical": which headline metric it counts in
    kind: str  # the finer label reported on its own
    gains: dict[str, int]  # path -> 2 relevant, 1 partially relevant
    split: str = ""
    tags: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class JudgedSet:
    name: str
    queries: list[Judged]

    def paths(self) -> set[str]:
        return {p for j in self.queries for p in j.gains}


def _strings(value, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise JudgedSetError(f"{where}: expected a list of paths")
    return value


def _entry(raw, group: str, index: int, source: str) -> Judged:
    where = f"{source}: {group}[{index}]"
    if not isinstance(raw, dict):
        raise JudgedSetError(f"{where}: expected an object")
    query = raw.get("query")
    if not isinstance(query, str) or not query.strip():
        raise JudgedSetError(f"{where}: no query")
    where = f"{where} ({query!r})"
    if group == "known_item":
        path = raw.get("path")
        paths = [path] if isinstance(path, str) and path else _strings(raw.get("paths"), where + " paths") if "paths" in raw else []
        if not paths:
            raise JudgedSetError(f"{where}: a known-item query needs a \"path\" (or \"paths\", equally right answers)")
        gains = {p: GAIN_RELEVANT for p in paths}
    else:
        gains = {p: GAIN_PARTIAL for p in _strings(raw.get("partially_relevant", []), where + " partially_relevant")}
        gains.update({p: GAIN_RELEVANT for p in _strings(raw.get("relevant", []), where + " relevant")})
        if not any(g == GAIN_RELEVANT for g in gains.values()):
            raise JudgedSetError(f"{where}: a topical query needs at least one \"relevant\" path")
    tags = raw.get("tags", [])
    return Judged(
        id=str(raw.get("id") or f"{group}-{index + 1}"),
        query=query,
        group=group,
        kind=str(raw.get("kind") or LISTS[group]),
        gains=gains,
        split=str(raw.get("split") or ""),
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
    )


def load(path: Path) -> JudgedSet:
    """Read and check a judged-set file; JudgedSetError names what is wrong."""
    path = Path(path)
    as_yaml = path.suffix.lower() in (".yml", ".yaml")  # the same keys, for a team that writes YAML
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if as_yaml else json.loads(text)
    except OSError as exc:
        raise JudgedSetError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise JudgedSetError(f"{path}: not a {'YAML' if as_yaml else 'JSON'} file ({exc})") from None
    if not isinstance(data, dict) or not any(isinstance(data.get(k), list) for k in LISTS):
        raise JudgedSetError(f"{path}: expected an object with a \"known_item\" and/or \"topical\" list")
    queries = []
    for group in LISTS:
        for index, raw in enumerate(data.get(group) or []):
            queries.append(_entry(raw, group, index, str(path)))
    if not queries:
        raise JudgedSetError(f"{path}: no queries")
    return JudgedSet(str(data.get("name") or path.stem), queries)
