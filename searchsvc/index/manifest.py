"""A generation's manifest: what each content file was when it was indexed.

``manifest.json`` maps each file's id to ``[size, mtime_ns, status]`` (and,
for a failed file, the reason), plus the fingerprint of the settings that
shape extraction; an incremental reindex compares the content folder with it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..ingest.document import Document
from ..words import facet_key
from . import store

MANIFEST_FORMAT = 2


@dataclass
class FileResult:
    """One content file after parsing: indexed (with its document), failed or unpublished."""

    id: str
    size: int
    mtime_ns: int
    status: str  # "indexed" | "failed" | a Skip kind ("unpublished", "not a page", "excluded")
    reason: str = ""
    document: Document | None = None
    facets: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def manifest_entry(self) -> list:
        """[size, mtime_ns, status] and, for a failed post, the reason."""
        entry = [self.size, self.mtime_ns, self.status]
        if self.reason:
            entry.append(self.reason)
        return entry


def read_manifest(gen_dir: Path) -> tuple[dict | None, dict | None]:
    """(manifest, post facets) of a generation; post facets None until needed.

    A manifest written before format 2 held each post's facets in its entry
    ({"size", "mtime_ns", "status", "reason", "facets"}): it is converted.
    """
    manifest = store.read_json(gen_dir / store.MANIFEST)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return None, None
    if manifest.get("format") == MANIFEST_FORMAT:
        return manifest, None
    files, post_facets = {}, {}
    for rel, old in manifest["files"].items():
        files[rel] = [old["size"], old["mtime_ns"], old["status"]] + ([old["reason"]] if old.get("reason") else [])
        if old.get("facets"):
            post_facets[rel] = old["facets"]
    return {"config": manifest.get("config"), "files": files}, post_facets


def config_fingerprint(settings: Mapping[str, Any], site=None) -> str:
    """Settings and site-wide rules that change what is extracted: a change forces a full rebuild."""
    relevant = {k: settings.get(k) for k in ("facets", "url_pattern", "index_drafts", "index_expired", "max_post_bytes", "exclude", "site_url", "summary_keys")}
    relevant["schema_version"] = 3  # 3: boost and best_bet_for (the front matter's search: block)
    if site is not None:
        relevant["site"] = [site.kind, str(site.root), list(site.facets), site.fingerprint()]
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=list).encode()).hexdigest()[:16]


FacetCounts = dict  # facet -> normalised key -> spelling -> how many times the posts use it


def count_facets(post_facets: Iterable[dict[str, list[str]]], counts: FacetCounts | None = None, sign: int = 1) -> FacetCounts:
    """``counts`` (a fresh table when None) with each post's facet values added (``sign=-1``: taken away).

    The table is what the display forms are chosen from, kept with the
    generation (``store.FACET_COUNTS_FILE``) so that a run of one post
    updates it with that post's values instead of counting all 15,440 posts'.
    """
    counts = {} if counts is None else counts
    keys: dict[str, str] = {}  # value -> facet_key(value): a few thousand values, 100k+ uses
    for facets in post_facets:
        for name, values in facets.items():
            table = counts.get(name)
            if table is None:
                table = counts[name] = {}
            for value in values:
                key = keys.get(value)
                if key is None:
                    key = keys[value] = facet_key(value)
                spellings = table.get(key)
                if spellings is None:
                    spellings = table[key] = {}
                left = spellings.get(value, 0) + sign
                if left > 0:
                    spellings[value] = left
                else:
                    del spellings[value]
                    if not spellings:
                        del table[key]
    return counts


def forms_of(counts: FacetCounts) -> dict[str, dict[str, str]]:
    """For each facet, normalised key -> the spelling most used in the posts."""
    # Most used first; ties go to the alphabetically first spelling, so the
    # choice does not depend on the order files were read in.
    return {
        name: {key: min(spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0] for key, spellings in table.items()}
        for name, table in counts.items()
        if table
    }

