"""What a reindex has to do: the content folder against the live generation's manifest.

``plan_changes`` lists the site's files once and compares each with the
live manifest (a file whose size and modification time match is not read
again), deciding between a full and an incremental build; ``Changes`` sorts
the parse results into what the new generation adds, updates and deletes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..ingest.document import Document
from ..ingest.sites.base import Site
from . import integrity, store
from .manifest import FileResult, config_fingerprint, read_manifest
from .report import ReindexReport


@dataclass
class ChangePlan:
    """What the content folder holds against the live generation's manifest."""

    site: Site
    fingerprint: str
    full: bool
    live: int | None
    live_dir: Path | None
    old_files: dict[str, list]  # id -> manifest entry [size, mtime_ns, status, (reason)]
    old_facets: dict | None  # id -> facet values; None until read
    jobs: list  # parse jobs for new and changed files
    files: dict[str, list]  # the new manifest's entries, the unchanged ones already in
    changed: set[str]  # ids of changed files that the live manifest has
    unchanged: list[str]
    removed: list[str]  # ids indexed in the live generation whose files are gone
    unchanged_others: list[str]  # the unchanged ids whose status is not "indexed" (skipped or unpublished)
    notices: list[str] = field(default_factory=list)
    verifier: Any = None  # the run's integrity.Verifier: what it verified, integrity.record stamps

    def job_ids(self) -> list[str]:
        return [job[2] for job in self.jobs]


def plan_changes(site: Site, index_dir: Path, settings: Mapping[str, Any], full: bool, verifier=None) -> ChangePlan:
    """Compare the site's files with the live manifest; decide full or incremental.

    An incremental run hard-links the live generation's files, so before it
    does, every one of them is checked against its recorded checksum
    (``verifier``); a damaged live generation is rebuilt in full from the
    content instead (issue 16 F5: linking a damaged segment spread it into
    every later generation).  A run that would link nothing only compares
    sizes and looks for the damage marker, so an unchanged run stays cheap.
    """
    fingerprint = config_fingerprint(settings, site)
    live = store.current_generation(index_dir)
    live_dir = index_dir / store.gen_name(live) if live is not None else None
    manifest, old_facets = read_manifest(live_dir) if live_dir and not full else (None, None)
    notices = []
    damaged = live_dir is not None and store.is_damaged(live_dir)
    if full or damaged or manifest is None or manifest.get("config") != fingerprint or not generation_intact(live_dir):
        if damaged and not full:
            notices.append(f"generation {live} was found damaged (see {live_dir / store.DAMAGED}); rebuilding in full from the content")
        elif not full and live is not None:
            notices.append(f"generation {live} is unreadable or was built with other settings; rebuilding in full")
        full = True
        manifest, old_facets = {"files": {}}, {}
    old_files: dict[str, list] = manifest["files"]
    jobs, files, changed, unchanged, others = [], {}, set(), [], []
    # One settings dict shared by every job (a copy each was ~1 KB a post of
    # a reindex's memory; pickling a chunk then sends it once).
    job_settings = dict(settings)
    # The loop below runs once a post on every reindex (15,440 posts in an
    # unchanged run, issue 15): a lookup and two comparisons, nothing built
    # for a file that did not change but its place in the new manifest.
    get = old_files.get
    for rel, path, size, mtime_ns in site.candidates():
        old = get(rel)
        if old is not None:
            if old[0] == size and old[1] == mtime_ns and old[2] != "failed":  # a failed file is retried every run
                files[rel] = old
                unchanged.append(rel)
                if old[2] != "indexed":
                    others.append(rel)
                continue
            changed.add(rel)
        jobs.append((path, job_settings, rel, size, mtime_ns))
    removed = []
    if len(files) + len(changed) < len(old_files):  # some listed file is gone
        removed = [rel for rel, old in old_files.items() if old[2] == "indexed" and rel not in files and rel not in changed]
    # (A generation built before checksums were recorded is linked as before.)
    if not full and (jobs or len(files) != len(old_files)) and integrity.recorded(live_dir) is not None:
        problems = (verifier or integrity.Verifier()).verify(live_dir)
        if problems:
            store.mark_damaged(live_dir, problems, "reindex (before linking)")
            plan = plan_changes(site, index_dir, settings, True, verifier)
            plan.notices.append(
                f"generation {live} is damaged ({'; '.join(problems[:3])}); rebuilt in full from the content instead of linking its files"
            )
            return plan
    return ChangePlan(site, fingerprint, full, live, live_dir, old_files, old_facets, jobs, files, changed, unchanged, removed, others, notices, verifier)


class Changes:
    """The parse results of a run, sorted into what the new generation adds, updates and deletes."""

    def __init__(self, plan: ChangePlan):
        self.plan = plan
        self.files = plan.files
        self.facets: dict[str, dict] = {}
        self.to_add: list[Document] = []
        self.to_update: list[Document] = []
        self.to_delete: list[str] = list(plan.removed)
        self.added_by_workers = 0  # indexed by a segment worker as it parsed them
        self.added_directly = 0  # written by a full single-process build as they were parsed
        self.failed: list[tuple[str, str]] = []
        self.skipped: list[tuple[str, str, str]] = []  # (id, kind, reason)
        self._tally = None
        self.removed_stored: list[dict] = []  # the live stored fields of the posts this run deletes or replaces
        self.warnings: list[str] = []
        for rel in plan.unchanged_others:
            entry = self.files[rel]
            self.skipped.append((rel, entry[2], entry[3] if len(entry) > 3 else ""))

    def take(self, result: FileResult) -> None:
        """Sort one parse result in."""
        plan = self.plan
        was_indexed = result.id in plan.changed and plan.old_files[result.id][2] == "indexed"
        if result.status == "vanished":  # not recorded: the live copy (if any) stays, the next run looks again
            if result.id in plan.old_files and result.id in plan.changed:
                self.files[result.id] = plan.old_files[result.id]
            else:
                self.files.pop(result.id, None)
            return
        self.files[result.id] = result.manifest_entry()
        if result.facets:
            self.facets[result.id] = result.facets
        if result.status == "indexed":
            self.warnings.extend(result.warnings)
            if result.document is None:  # indexed by a worker process already
                self.added_by_workers += 1
            else:
                (self.to_update if was_indexed else self.to_add).append(result.document)
        else:
            if was_indexed:
                self.to_delete.append(result.id)
            if result.status == "failed":
                self.failed.append((result.id, result.reason))
            else:
                self.skipped.append((result.id, result.status, result.reason))

    @property
    def tally(self):
        """What this run adds to and takes from the vocabulary (vocabulary.py; NumPy only when something changed)."""
        if self._tally is None:
            from .vocabulary import Tally

            self._tally = Tally()
        return self._tally

    def tallied(self, record: dict) -> dict:
        """A post's fields as written, counted into the vocabulary on the way."""
        self.tally.add(record)
        return record

    def tally_removed(self) -> None:
        """Take the live versions of the posts this run deletes or replaces out of the vocabulary."""
        if not self.plan.full and self.plan.live_dir is not None:
            gone = set(self.to_delete) | {doc.id for doc in self.to_update}
            if gone:
                from .vocabulary import remove_stored

                self.removed_stored = remove_stored(self.tally, self.plan.live_dir, gone)

    def any(self) -> bool:
        """Whether the new generation would differ from the live one.

        ``files`` holds the live manifest's own entries for unchanged ids, so
        it equals the live manifest when it has as many ids and every parsed
        one came out as recorded (no comparison of the 15,440 others).
        """
        if self.to_add or self.to_update or self.to_delete or len(self.files) != len(self.plan.old_files):
            return True
        old = self.plan.old_files
        return any(self.files.get(rel) != old.get(rel) for rel in self.plan.job_ids())

    def documents(self) -> int:
        unchanged = len(self.plan.unchanged) - len(self.plan.unchanged_others)
        parsed = (self.files.get(rel) for rel in self.plan.job_ids())
        return unchanged + sum(1 for entry in parsed if entry is not None and entry[2] == "indexed")

    def report(self, generation: int | None) -> ReindexReport:
        return ReindexReport(
            added=self.added_by_workers + self.added_directly + len(self.to_add),
            updated=len(self.to_update),
            removed=len(self.to_delete),
            unchanged=len(self.plan.unchanged) - len(self.plan.unchanged_others),
            skipped=sorted(self.skipped),
            failed=sorted(self.failed),
            warnings=self.warnings,
            notices=self.plan.notices,
            full=self.plan.full,
            generation=generation,
            documents=self.documents(),
        )


def whoosh_files(gen_dir: Path) -> dict[str, int]:
    """Name -> size of a generation's Whoosh files (what meta.json records at publish)."""
    return {
        e.name: e.stat().st_size
        for e in os.scandir(gen_dir)
        if e.is_file(follow_symlinks=False) and e.name not in store.OWN_FILES and not e.name.endswith("_WRITELOCK")
    }


def generation_intact(path: Path) -> bool:
    """Whether the live generation's files are as published.

    A torn file (a crash, a full disk, a stray truncation) has another size,
    so comparing sizes with meta.json finds it with a few stat calls, where
    opening the index with Whoosh took a seventh of an unchanged run.
    Generations published before sizes were recorded are opened instead.
    """
    if integrity.recorded(path) is not None:
        return integrity.sizes_match(path)
    recorded = (store.read_json(path / store.META, {}) or {}).get("files")
    if not isinstance(recorded, dict):
        return generation_opens(path)
    try:
        return whoosh_files(path) == recorded
    except OSError:
        return False


def generation_opens(path: Path) -> bool:
    from .whoosh_internals import open_index

    try:
        _, searcher = open_index(path)
        with searcher:
            searcher.doc_count()
        return True
    except Exception:
        return False
