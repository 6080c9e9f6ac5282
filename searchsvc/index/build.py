"""Content folder -> a new published index generation, in four steps.

1. ``plan_changes`` (changes.py): compare the content folder with the live generation's
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
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from ..ingest.sites.base import Site
from ..ingest.sites.detect import open_site
from . import integrity, store
from .changes import ChangePlan, Changes, plan_changes, whoosh_files
from .manifest import MANIFEST_FORMAT, count_facets, forms_of

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
        verifier = integrity.Verifier(trust_stamps=True)  # (stamps: integrity's docstring)
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
        segments = totals = None
        if in_segments:
            segments, results, totals = build_segments(building, site, plan.jobs, facets, workers, progress)
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
        write_vocabulary(building, plan, changes, totals)
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
    """A full build of few files (or in one process): documents are written a batch at a time as
    they are parsed (memory stays flat; segments.BATCH says why batches)."""
    from itertools import islice

    from .schema import to_fields
    from .segments import BATCH, parse_all

    results = parse_all(site, plan.jobs, progress, workers)
    while batch := list(islice(results, BATCH)):
        for result in batch:
            changes.take(result)
        for doc in changes.to_add:
            writer.add_document(**changes.tallied(to_fields(doc, facets)))
        changes.added_directly += len(changes.to_add)
        changes.to_add.clear()


def write_vocabulary(building: Path, plan: ChangePlan, changes: Changes, totals=None) -> None:
    """The posts' vocabulary (vocabulary.py): the live one's totals plus this run's tally, or the segment workers' ``totals``."""
    from . import vocabulary

    if totals is not None:
        vocabulary.write(building, totals)
    else:
        vocabulary.write_next(building, None if plan.full else plan.live_dir, changes.tally)


def write_metadata(building: Path, number: int, plan: ChangePlan, changes: Changes) -> None:
    """The manifest, the facet counts, their display forms and meta.json (with the Whoosh files' sizes)."""
    from . import provenance  # (subprocess, for git: only when something is published)

    counts = facet_counts(plan, changes)
    store.write_json(building / store.MANIFEST, {"format": MANIFEST_FORMAT, "config": plan.fingerprint, "files": changes.files})
    store.write_json(building / store.FACET_COUNTS_FILE, counts)
    forms = forms_of(counts)
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
            "checksums": integrity.record(building, None if plan.full else plan.live_dir, plan.verifier),
            **provenance.at_build(plan.site.root, plan.scan_started_ns),
        },
    )


def facet_counts(plan: ChangePlan, changes: Changes) -> dict:
    """The new generation's facet counts: the live one's, less the posts this run
    deletes or replaces (their values as the live index stores them), plus the
    posts it parsed; a full build counts every post.  (Reading and rewriting
    every post's values was a fifth of a run of one new post at x10.)"""
    if plan.full:
        return count_facets(changes.facets.values())
    counts = store.read_json(plan.live_dir / store.FACET_COUNTS_FILE)
    if not isinstance(counts, dict):
        counts = count_facets(_live_post_facets(plan))  # a generation from before the counts: once
    count_facets((json.loads(fields.get("facet_values") or "{}") for fields in changes.removed_stored), counts, -1)
    return count_facets(changes.facets.values(), counts)


def _live_post_facets(plan: ChangePlan):
    """Every live post's facet values: from the manifest (format 1) or post-facets.json, else from the index."""
    if plan.old_facets is not None:
        return plan.old_facets.values()
    recorded = store.read_json(plan.live_dir / store.POST_FACETS_FILE)
    if isinstance(recorded, dict):
        return recorded.values()
    from .whoosh_internals import open_index

    _, searcher = open_index(plan.live_dir)
    with searcher:
        return [json.loads(fields.get("facet_values") or "{}") for fields in searcher.all_stored_fields()]


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
