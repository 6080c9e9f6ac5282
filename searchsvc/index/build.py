"""Content folder -> a new published index generation, in four steps.

1. ``plan_changes``: compare the content folder with the live generation's
   manifest (a file whose size and modification time match is not read
   again) and decide between a full and an incremental build;
2. ``build_generation``: parse what changed and write it into a new
   generation directory (full: a fresh index, in worker processes when there
   are many files; incremental: hard links to the live generation's files,
   which Whoosh never modifies in place, plus a new segment);
3. ``write_metadata``: the manifest, facets and sizes beside the index;
4. ``store.publish``/``store.prune``: switch ``current`` atomically.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from ..ingest.document import Document
from ..ingest.sites.base import Site
from ..ingest.sites.detect import open_site
from . import integrity, provenance, store
from .manifest import MANIFEST_FORMAT, FileResult, config_fingerprint, display_forms, read_manifest
from .report import ReindexReport

# Whoosh, the schema and the parsers are imported where they are used: an
# unchanged reindex (the common run) needs none of them (issue 15: start-up).


class ReindexFailed(Exception):
    """The run could not publish a generation; the served index is untouched."""


class ShrinkRefused(ReindexFailed):
    """The new generation would drop more than half the live documents (a wrong setting, a half-checked-out site)."""

    def __init__(self, live: int, new: int):
        super().__init__(
            f"the new generation would hold {new} documents, fewer than half the {live} served now; "
            f"nothing was published (if that is intended, run again with --allow-shrink)"
        )
        self.live, self.new = live, new


def reindex(
    content_dir: Path,
    index_dir: Path,
    settings: Mapping[str, Any],
    full: bool = False,
    progress_start: Callable[[int], Callable[[int], None]] | None = None,
    workers: int | None = None,
    lock: store.ReindexLock | None = None,
    site: Site | None = None,
    allow_shrink: bool = False,
    before_publish: Callable[[Path, Path | None], None] | None = None,
) -> ReindexReport:
    """Index the site in ``content_dir`` into a new generation of ``index_dir``.

    Raises store.ReindexRunning when another run holds the lock,
    SiteConfigError when the site's config cannot be read (before anything
    is written), and ReindexFailed (ShrinkRefused: the new generation would
    lose more than half the live documents, unless ``allow_shrink``) when
    nothing could be published (the live index is then untouched and the
    lock released).  ``before_publish(building, live_dir)``, when given, runs
    on the complete new generation before it goes live; raising ReindexFailed
    discards it (the relevance gate, evaluation/gate.py).
    """
    started = time.monotonic()
    content_dir = Path(content_dir)
    index_dir = Path(index_dir)
    if not content_dir.is_dir():
        raise ReindexFailed(f"content directory {content_dir} does not exist or is not a directory")
    site = site or open_site(content_dir, settings)
    try:
        return _reindex_locked(content_dir, index_dir, settings, full, progress_start, workers, lock, site, allow_shrink, before_publish, started)
    except OSError as exc:
        # A full disk anywhere (the index folder, the lock, a leftover's
        # removal), not only while the generation is written: one line and
        # exit 3, as documented (a disk with 0 bytes free gave a traceback).
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            number = (store.generations(index_dir) or [0])[0] + 1
            raise ReindexFailed(f"disk full while writing generation {number}; the served index is unchanged") from exc
        raise


def _reindex_locked(content_dir, index_dir, settings, full, progress_start, workers, lock, site, allow_shrink, before_publish, started) -> ReindexReport:
    store.ensure_index_dir(index_dir)
    with lock or store.ReindexLock(index_dir) as lock:
        notices = []
        if lock.stale_pid:
            notices.append(f"cleared a lock left by process {lock.stale_pid}, which is no longer running")
        leftovers = store.remove_leftovers(index_dir)
        if leftovers:
            notices.append(f"removed {len(leftovers)} unfinished build(s) left by an interrupted reindex: {', '.join(leftovers)}")
        verifier = integrity.Verifier()
        scan_started_ns = time.time_ns()
        plan = plan_changes(site, index_dir, settings, full, verifier)
        plan.scan_started_ns = scan_started_ns
        plan.notices[:0] = notices
        progress = progress_start(len(plan.jobs)) if progress_start else None
        changes = Changes(plan)
        workers = workers or os.cpu_count() or 1
        if not plan.full and plan.jobs:
            from .segments import parse_all

            for result in parse_all(site, plan.jobs, progress, workers):
                changes.take(result)
        if not plan.full and not changes.any():
            report = changes.report(plan.live)
        else:
            number = build_generation(index_dir, site, plan, changes, settings, workers, progress, allow_shrink, before_publish)
            store.prune(index_dir, verifier=verifier)
            report = changes.report(number)
    report.seconds = time.monotonic() - started
    return report


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
    notices: list[str] = field(default_factory=list)
    # When the scan began (wall clock): a post modified after it may not be in this generation.
    scan_started_ns: int = 0


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
    found = set()
    jobs, files, changed, unchanged = [], {}, set(), []
    # One settings dict shared by every job (a copy each was ~1 KB a post of
    # a reindex's memory; pickling a chunk then sends it once).
    job_settings = dict(settings)
    for candidate in site.candidates():
        rel, size, mtime_ns = candidate.rel, candidate.size, candidate.mtime_ns
        found.add(rel)
        old = old_files.get(rel)
        if old and old[0] == size and old[1] == mtime_ns and old[2] != "failed":  # a failed file is retried every run
            files[rel] = old
            unchanged.append(rel)
            continue
        if old:
            changed.add(rel)
        jobs.append((candidate.path, job_settings, rel, size, mtime_ns))
    removed = [rel for rel, old in old_files.items() if rel not in found and old[2] == "indexed"]
    # (A generation built before checksums were recorded is linked as before.)
    if not full and (jobs or removed or len(files) != len(old_files)) and integrity.recorded(live_dir) is not None:
        problems = (verifier or integrity.Verifier()).verify(live_dir)
        if problems:
            store.mark_damaged(live_dir, problems, "reindex (before linking)")
            plan = plan_changes(site, index_dir, settings, True, verifier)
            plan.notices.append(
                f"generation {live} is damaged ({'; '.join(problems[:3])}); rebuilt in full from the content instead of linking its files"
            )
            return plan
    return ChangePlan(site, fingerprint, full, live, live_dir, old_files, old_facets, jobs, files, changed, unchanged, removed, notices)


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
        self.warnings: list[str] = []
        for rel in plan.unchanged:
            entry = self.files[rel]
            if entry[2] == "failed":
                self.failed.append((rel, entry[3] if len(entry) > 3 else ""))
            elif entry[2] != "indexed":
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

    @tally.setter
    def tally(self, value) -> None:
        self._tally = value

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

                remove_stored(self.tally, self.plan.live_dir, gone)

    def any(self) -> bool:
        """Whether the new generation would differ from the live one."""
        return bool(self.to_add or self.to_update or self.to_delete) or self.files != self.plan.old_files

    def documents(self) -> int:
        return sum(1 for entry in self.files.values() if entry[2] == "indexed")

    def report(self, generation: int | None) -> ReindexReport:
        return ReindexReport(
            added=self.added_by_workers + self.added_directly + len(self.to_add),
            updated=len(self.to_update),
            removed=len(self.to_delete),
            unchanged=sum(1 for rel in self.plan.unchanged if self.files[rel][2] == "indexed"),
            skipped=sorted(self.skipped),
            failed=sorted(self.failed),
            warnings=self.warnings,
            notices=self.plan.notices,
            full=self.plan.full,
            generation=generation,
            documents=self.documents(),
        )


def build_generation(index_dir, site: Site, plan: ChangePlan, changes: Changes, settings, workers, progress, allow_shrink=False, before_publish=None) -> int:
    """Write the new generation and publish it; returns its number.

    On any failure the building directory is removed and the live
    generation stays as it was.
    """
    from whoosh import index as whoosh_index

    from .schema import build_schema, to_fields
    from .segments import PARALLEL_MIN_FILES, build_segments
    from .whoosh_internals import open_writer

    number = (store.generations(index_dir) or [0])[0] + 1
    building = store.building_dir(index_dir, number)
    facets = tuple(site.facets)
    writer = None
    try:
        if plan.full:
            building.mkdir()
            ix = whoosh_index.create_in(str(building), build_schema(facets))
        else:
            link_generation(plan.live_dir, building)
            ix = whoosh_index.open_dir(str(building))
        in_segments = plan.full and workers > 1 and len(plan.jobs) >= PARALLEL_MIN_FILES
        segments = None
        if in_segments:
            segments, results, tally = build_segments(building, site, plan.jobs, facets, workers, progress)
            changes.tally.update(tally)
            for result in results:
                changes.take(result)
        else:
            changes.tally_removed()
        writer = open_writer(ix, limitmb=128)
        for rel in changes.to_delete:
            writer.delete_by_term("id", rel)
        for doc in changes.to_update:
            writer.update_document(**changes.tallied(to_fields(doc, facets)))
        for doc in changes.to_add:
            writer.add_document(**changes.tallied(to_fields(doc, facets)))
        if segments is not None:
            writer.commit_segments(segments)
        else:
            if plan.full:
                _add_while_parsing(writer, site, plan, changes, facets, workers, progress)
            writer.commit(optimize=plan.full)
        writer = None
        write_vocabulary(building, plan, changes)
        _check_shrink(plan, changes, allow_shrink)
        write_metadata(building, number, plan, changes)
        if before_publish is not None:
            before_publish(building, plan.live_dir)
        store.publish(index_dir, building, number)
    except BaseException as exc:
        if writer is not None:
            try:
                writer.cancel()
            except Exception:
                pass
        store.remove_leftovers(index_dir)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise ReindexFailed(f"disk full while writing generation {number}; the served index is unchanged") from exc
        if isinstance(exc, OSError):
            raise ReindexFailed(f"could not write generation {number}: {exc}; the served index is unchanged") from exc
        raise
    return number


def _check_shrink(plan: ChangePlan, changes: Changes, allow_shrink: bool) -> None:
    if allow_shrink or plan.live_dir is None:
        return
    live = (store.read_json(plan.live_dir / store.META, {}) or {}).get("documents")
    new = changes.documents()
    if isinstance(live, int) and live > 0 and new * 2 < live:
        raise ShrinkRefused(live, new)


def _add_while_parsing(writer, site: Site, plan: ChangePlan, changes: Changes, facets, workers, progress) -> None:
    """A full build of few files: each document is written as soon as it is parsed (memory stays flat)."""
    from .schema import to_fields
    from .segments import parse_all

    for result in parse_all(site, plan.jobs, progress, workers):
        changes.take(result)
        for doc in changes.to_add:
            writer.add_document(**changes.tallied(to_fields(doc, facets)))
        changes.added_directly += len(changes.to_add)
        changes.to_add.clear()


def write_vocabulary(building: Path, plan: ChangePlan, changes: Changes) -> None:
    """The posts' vocabulary (vocabulary.py): the live one's totals plus this run's tally."""
    from . import vocabulary

    vocabulary.write_next(building, None if plan.full else plan.live_dir, changes.tally)


def write_metadata(building: Path, number: int, plan: ChangePlan, changes: Changes) -> None:
    """The manifest, each post's facets, their display forms and meta.json (with the Whoosh files' sizes)."""
    if plan.old_facets is None:
        plan.old_facets = store.read_json(plan.live_dir / store.POST_FACETS_FILE, {}) or {}
    facets = changes.facets
    for rel in plan.unchanged:
        if rel in plan.old_facets:
            facets[rel] = plan.old_facets[rel]
    store.write_json(building / store.MANIFEST, {"format": MANIFEST_FORMAT, "config": plan.fingerprint, "files": changes.files})
    store.write_json(building / store.POST_FACETS_FILE, facets)
    forms = display_forms(facets.values())
    store.write_json(building / store.FACETS_FILE, forms)
    store.write_json(building / store.TERMS_FILE, term_table(plan.site, forms))
    store.write_json(
        building / store.META,
        {
            "generation": number,
            "documents": changes.documents(),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "content_dir": str(plan.site.root),
            "site": {"kind": plan.site.kind, "config": str(plan.site.config_path) if plan.site.config_path else None},
            "facets": list(plan.site.facets),
            "full": plan.full,
            "files": whoosh_files(building),
            "checksums": integrity.record(building, None if plan.full else plan.live_dir),
            **provenance.at_build(plan.site.root, plan.scan_started_ns),
        },
    )


def term_table(site: Site, forms: dict[str, dict[str, str]]) -> dict[str, dict[str, dict]]:
    """facet -> value key -> {"label", "url"}: the site's term pages, for every value the posts use.

    A Hugo site has a term page for every value, with or without a content
    file; Jekyll's display names come from _data/authors.yml.
    """
    table: dict[str, dict[str, dict]] = {}
    for name, known in site.terms().items():
        for key, term in known.items():
            table.setdefault(name, {})[key] = {"label": term.label, "url": term.url}
    for name, values in forms.items():
        for key, value in values.items():
            if key in table.get(name, {}):
                continue
            term = site.term(name, value)
            if term is not None and (term.url or term.label != value):
                table.setdefault(name, {})[key] = {"label": term.label, "url": term.url}
    return table


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


def link_generation(source: Path, target: Path) -> None:
    """A new building directory holding hard links to ``source``'s Whoosh files."""
    target.mkdir()
    for entry in os.scandir(source):
        # Whoosh's lock file is not data: linked, one inode would lock every
        # generation at once, and a writer leaked by a failed run (ENOSPC in
        # its constructor) then blocked all later runs with LockError.
        if entry.name.endswith("_WRITELOCK"):
            continue
        if entry.is_file(follow_symlinks=False) and entry.name not in store.OWN_FILES:
            os.link(entry.path, target / entry.name)
