"""Content folder -> a new published index generation.

Incremental by default: a file whose size and modification time match the
manifest of the live generation is not read again.  Each run (full or
incremental) writes a new generation directory and publishes it atomically
(see store.py); an incremental run starts from hard links to the live
generation's files, which Whoosh never modifies in place.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import time
from collections import Counter, defaultdict
import multiprocessing
import multiprocessing.connection
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from whoosh import index as whoosh_index

from . import store
from .documents import Document, PostError, Unpublished, facet_key, iter_post_paths, load_post
from .schema import build_schema, to_fields
from .segment_writer import open_writer

FACETS_FILE = "facets.json"
# Each indexed post's facet values, kept apart from the manifest: a run that
# finds nothing changed reads only the manifest (15,440 posts in <= 0.5 s).
POST_FACETS_FILE = "post-facets.json"
MANIFEST_FORMAT = 2
# Parsing (Markdown + BeautifulSoup) dominates a full reindex; below this many
# files a process pool costs more to start than it saves.
PARALLEL_MIN_FILES = 200


class ReindexFailed(Exception):
    """The run could not publish a generation; the served index is untouched."""


@dataclass
class FileResult:
    id: str
    size: int
    mtime_ns: int
    status: str  # "indexed" | "failed" | "unpublished"
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


def _read_manifest(gen_dir: Path) -> tuple[dict | None, dict | None]:
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


@dataclass
class ReindexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    unpublished: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    full: bool = False
    generation: int | None = None
    documents: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        rate = ""
        parsed = self.added + self.updated
        if parsed and self.seconds > 0:
            rate = f" ({parsed / self.seconds:.0f} docs/s)"
        return (
            f"added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged}, failed {len(self.failed)}, "
            f"unpublished {self.unpublished}; {self.documents} documents in generation "
            f"{self.generation} ({'full' if self.full else 'incremental'}) "
            f"in {self.seconds:.2f} s{rate}"
        )


def config_fingerprint(settings: Mapping[str, Any]) -> str:
    """Settings that change what is extracted: a change forces a full rebuild."""
    relevant = {k: settings[k] for k in ("facets", "url_pattern", "index_drafts", "index_expired", "max_post_bytes")}
    relevant["schema_version"] = 1
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=list).encode()).hexdigest()[:16]


def _parse(args) -> FileResult:
    path, root, settings, rel, size, mtime_ns = args
    try:
        doc = load_post(Path(path), Path(root), settings)
    except Unpublished as exc:
        return FileResult(rel, size, mtime_ns, "unpublished", str(exc))
    except PostError as exc:
        return FileResult(rel, size, mtime_ns, "failed", str(exc))
    return FileResult(rel, size, mtime_ns, "indexed", document=doc, facets=doc.facets, warnings=doc.warnings)


def _scan(content_dir: Path) -> dict[str, tuple[Path, int, int]]:
    found = {}
    # Plain strings, not PurePath.relative_to: this loop is most of an
    # unchanged incremental run (15,440 posts in <= 0.5 s, issue 5).
    root = str(content_dir).rstrip("/") + "/"
    stats: dict = {}
    for path in iter_post_paths(content_dir, stats):
        name = str(path)
        info = stats[name]  # the walk's own stat: one system call a post, not two
        rel = name[len(root):] if name.startswith(root) else path.relative_to(content_dir).as_posix()
        found[rel] = (path, info.st_size, info.st_mtime_ns)
    return found


def _parse_all(jobs: list, progress: Callable[[int], None] | None, workers: int) -> Iterable[FileResult]:
    if len(jobs) >= PARALLEL_MIN_FILES and workers > 1:
        # detach_worker: a forked worker must not keep the reindex lock (or
        # run on) after this process is killed (tests/test_crash.py).
        with ProcessPoolExecutor(max_workers=workers, initializer=store.detach_worker, initargs=(os.getpid(),)) as pool:
            for result in pool.map(_parse, jobs, chunksize=16):
                if progress:
                    progress(1)
                yield result
    else:
        for job in jobs:
            result = _parse(job)
            if progress:
                progress(1)
            yield result


def _shares(jobs: list, parts: int) -> list[list]:
    """``jobs`` cut into at most ``parts`` runs of consecutive files of about equal bytes."""
    total = sum(job[4] for job in jobs) or 1
    shares: list[list] = [[]]
    done = 0
    for job in jobs:
        if done >= total * len(shares) / parts and len(shares) < parts:
            shares.append([])
        shares[-1].append(job)
        done += job[4]
    return [share for share in shares if share]


def _segment_worker(building: str, jobs: list, facets: tuple, conn, parent_pid: int) -> None:
    """In a forked process: parse and index ``jobs`` into a segment of ``building``."""
    store.detach_worker(parent_pid)
    try:
        writer = open_writer(whoosh_index.open_dir(building), _lk=False, limitmb=64)
        results, unsent = [], 0
        for job in jobs:
            result = _parse(job)
            if result.document is not None:
                writer.add_document(**to_fields(result.document, facets))
                result.document = None  # the parent needs only the manifest entry
            results.append(result)
            unsent += 1
            if unsent == 16:
                conn.send(("progress", unsent))
                unsent = 0
        segment = writer.finish_segment()
        conn.send(("progress", unsent))
        conn.send(("done", (segment, results)))
    except BaseException as exc:  # ENOSPC must reach the parent as itself
        conn.send(("error", exc))
    finally:
        conn.close()


def _build_segments(building: Path, jobs: list, facets: tuple, workers: int, progress) -> tuple[list, list[FileResult]]:
    """Parse and index ``jobs`` in ``workers`` processes, each writing one segment.

    Parsing and indexing are both pure Python: in one process they took the
    sum of both (parse in a pool, index in the parent: the parent's indexing
    and its final write were the critical path).  Here each process does both
    for a run of consecutive files, so the segments, in order, number the
    documents exactly as a serial build does.
    """
    context = multiprocessing.get_context("fork")
    processes, pending, outcome = [], {}, {}
    try:
        for number, share in enumerate(_shares(jobs, workers)):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_segment_worker, args=(str(building), share, facets, send, os.getpid()), daemon=True)
            process.start()
            send.close()
            processes.append(process)
            pending[receive] = number
        while pending:
            for conn in multiprocessing.connection.wait(list(pending)):
                try:
                    kind, payload = conn.recv()
                except EOFError:
                    raise RuntimeError("a reindex worker process died without a word") from None
                if kind == "progress":
                    if progress:
                        progress(payload)
                elif kind == "done":
                    outcome[pending.pop(conn)] = payload
                    conn.close()
                else:
                    raise payload
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    ordered = [outcome[n] for n in sorted(outcome)]
    segments = [segment for segment, _ in ordered if segment is not None]
    return segments, [result for _, results in ordered for result in results]


def display_forms(post_facets: Iterable[dict[str, list[str]]]) -> dict[str, dict[str, str]]:
    """For each facet, normalised key -> the spelling most used in the posts."""
    counts: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    keys: dict[str, str] = {}  # value -> facet_key(value): a few thousand values, 100k+ uses
    for facets in post_facets:
        for name, values in facets.items():
            for value in values:
                key = keys.get(value)
                if key is None:
                    key = keys[value] = facet_key(value)
                counts[name][key][value] += 1
    forms: dict[str, dict[str, str]] = {}
    for name, keys in counts.items():
        # Most used first; ties go to the alphabetically first spelling, so the
        # choice does not depend on the order files were read in.
        forms[name] = {key: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for key, c in keys.items()}
    return forms


def _whoosh_files(gen_dir: Path) -> dict[str, int]:
    """Name -> size of a generation's Whoosh files (what meta.json records at publish)."""
    ours = (store.MANIFEST, store.META, FACETS_FILE, POST_FACETS_FILE)
    return {
        e.name: e.stat().st_size
        for e in os.scandir(gen_dir)
        if e.is_file(follow_symlinks=False) and e.name not in ours and not e.name.endswith("_WRITELOCK")
    }


def _generation_intact(path: Path) -> bool:
    """Whether the live generation's files are as published.

    A torn file (a crash, a full disk, a stray truncation) has another size,
    so comparing sizes with meta.json finds it with a few stat calls, where
    opening the index with Whoosh took a seventh of an unchanged run.
    Generations published before sizes were recorded are opened instead.
    """
    recorded = (store.read_json(path / store.META, {}) or {}).get("files")
    if not isinstance(recorded, dict):
        return _generation_opens(path)
    try:
        return _whoosh_files(path) == recorded
    except OSError:
        return False


def _generation_opens(path: Path) -> bool:
    try:
        _, searcher = store.open_searcher(path)
        with searcher:
            searcher.doc_count()
        return True
    except Exception:
        return False


def _link_generation(source: Path, target: Path) -> None:
    target.mkdir()
    for entry in os.scandir(source):
        # Whoosh's lock file is not data: linked, one inode would lock every
        # generation at once, and a writer leaked by a failed run (ENOSPC in
        # its constructor) then blocked all later runs with LockError.
        if entry.name.endswith("_WRITELOCK"):
            continue
        if entry.is_file(follow_symlinks=False) and entry.name not in (store.MANIFEST, store.META, FACETS_FILE, POST_FACETS_FILE):
            os.link(entry.path, target / entry.name)


def reindex(
    content_dir: Path,
    index_dir: Path,
    settings: Mapping[str, Any],
    full: bool = False,
    progress_start: Callable[[int], Callable[[int], None]] | None = None,
    workers: int | None = None,
    lock: store.ReindexLock | None = None,
) -> ReindexReport:
    """Index ``content_dir`` into a new generation of ``index_dir``.

    Raises store.ReindexRunning when another run holds the lock and
    ReindexFailed when nothing could be published (the live index is then
    untouched and the lock released).
    """
    started = time.monotonic()
    content_dir = Path(content_dir)
    index_dir = Path(index_dir)
    if not content_dir.is_dir():
        raise ReindexFailed(f"content directory {content_dir} does not exist or is not a directory")
    store.ensure_index_dir(index_dir)
    report = ReindexReport()
    with lock or store.ReindexLock(index_dir) as lock:
        if lock.stale_pid:
            report.notices.append(f"cleared a lock left by process {lock.stale_pid}, which is no longer running")
        leftovers = store.remove_leftovers(index_dir)
        if leftovers:
            report.notices.append(f"removed {len(leftovers)} unfinished build(s) left by an interrupted reindex: {', '.join(leftovers)}")
        _run(content_dir, index_dir, settings, full, progress_start, workers or os.cpu_count() or 1, report)
    report.seconds = time.monotonic() - started
    return report


def _run(content_dir, index_dir, settings, full, progress_start, workers, report: ReindexReport) -> None:
    fingerprint = config_fingerprint(settings)
    live = store.current_generation(index_dir)
    live_dir = index_dir / store.gen_name(live) if live is not None else None
    manifest, old_facets = _read_manifest(live_dir) if live_dir and not full else (None, None)
    if (
        full
        or manifest is None
        or manifest.get("config") != fingerprint
        or not _generation_intact(live_dir)
    ):
        if not full and live is not None:
            report.notices.append(f"generation {live} is unreadable or was built with other settings; rebuilding in full")
        full = True
        manifest, old_facets = {"files": {}}, {}
    report.full = full
    # rel -> [size, mtime_ns, status, (reason)]
    old_files: dict[str, list] = manifest["files"]

    found = _scan(content_dir)
    jobs, new_files, changed, unchanged = [], {}, set(), []
    # One settings dict shared by every job (a copy each was ~1 KB a post of
    # a reindex's memory; pickling a chunk then sends it once).
    job_settings, root = dict(settings), str(content_dir)
    for rel, (path, size, mtime_ns) in found.items():
        old = old_files.get(rel)
        if old and old[0] == size and old[1] == mtime_ns:
            new_files[rel] = old
            unchanged.append(rel)
            if old[2] == "failed":
                report.failed.append((rel, old[3] if len(old) > 3 else ""))
            elif old[2] == "unpublished":
                report.unpublished += 1
            continue
        if old:
            changed.add(rel)
        jobs.append((str(path), root, job_settings, rel, size, mtime_ns))
    removed_ids = [rel for rel, old in old_files.items() if rel not in found and old[2] == "indexed"]
    report.unchanged = sum(1 for rel in unchanged if new_files[rel][2] == "indexed")
    new_facets: dict[str, dict] = {}

    progress = progress_start(len(jobs)) if progress_start else None
    to_add: list[Document] = []
    to_update: list[Document] = []
    to_delete: list[str] = list(removed_ids)

    def take(result: FileResult) -> None:
        new_files[result.id] = result.manifest_entry()
        was_indexed = result.id in changed and old_files[result.id][2] == "indexed"
        if result.facets:
            new_facets[result.id] = result.facets
        if result.status == "indexed":
            report.warnings.extend(result.warnings)
            if result.document is None:  # indexed by a worker process already
                report.added += 1
            else:
                (to_update if was_indexed else to_add).append(result.document)
        else:
            if was_indexed:
                to_delete.append(result.id)
            if result.status == "failed":
                report.failed.append((result.id, result.reason))
            else:
                report.unpublished += 1

    def count() -> None:
        report.failed.sort()
        report.added += len(to_add)
        report.updated = len(to_update)
        report.removed = len(to_delete)

    in_segments = full and workers > 1 and len(jobs) >= PARALLEL_MIN_FILES
    if not full:
        for result in _parse_all(jobs, progress, workers):
            take(result)
        count()

    if not full and not (to_add or to_update or to_delete) and new_files == old_files:
        report.generation = live
        report.documents = sum(1 for e in new_files.values() if e[2] == "indexed")
        return
    if old_facets is None:
        old_facets = store.read_json(live_dir / POST_FACETS_FILE, {}) or {}
    for rel in unchanged:
        if rel in old_facets:
            new_facets[rel] = old_facets[rel]

    number = (store.generations(index_dir) or [0])[0] + 1
    building = store.building_dir(index_dir, number)
    facets = tuple(settings["facets"])
    writer = None
    try:
        if full:
            building.mkdir()
            ix = whoosh_index.create_in(str(building), build_schema(facets))
        else:
            _link_generation(live_dir, building)
            ix = whoosh_index.open_dir(str(building))
        if in_segments:
            segments, results = _build_segments(building, jobs, facets, workers, progress)
            for result in results:
                take(result)
            count()
        writer = open_writer(ix, limitmb=128)
        for rel in to_delete:
            writer.delete_by_term("id", rel)
        for doc in to_update:
            writer.update_document(**to_fields(doc, facets))
        for doc in to_add:
            writer.add_document(**to_fields(doc, facets))
        if in_segments:
            writer.commit_segments(segments)
        else:
            if full:
                for result in _parse_all(jobs, progress, workers):
                    take(result)
                    for doc in to_add:
                        writer.add_document(**to_fields(doc, facets))
                    report.added += len(to_add)
                    to_add.clear()
                count()
            writer.commit(optimize=full)
        writer = None
        documents = sum(1 for e in new_files.values() if e[2] == "indexed")
        store.write_json(building / store.MANIFEST, {"format": MANIFEST_FORMAT, "config": fingerprint, "files": new_files})
        store.write_json(building / POST_FACETS_FILE, new_facets)
        store.write_json(building / FACETS_FILE, display_forms(new_facets.values()))
        store.write_json(
            building / store.META,
            {
                "generation": number,
                "documents": documents,
                "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "content_dir": str(content_dir),
                "full": full,
                "files": _whoosh_files(building),
            },
        )
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
    store.prune(index_dir)
    report.generation = number
    report.documents = documents
