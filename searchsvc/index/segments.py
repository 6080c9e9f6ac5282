"""Parsing content files, in worker processes when there are many.

A full build runs in ``workers`` processes, each parsing and indexing a run
of consecutive files into a Whoosh segment of its own (``build_segments``);
an incremental run parses its few files in a process pool (``parse_all``).
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Callable, Iterable

from .whoosh_internals import open_writer  # (first: it imports Whoosh, see its 7.)

from whoosh import index as whoosh_index  # noqa: E402  isort: skip

from ..ingest.document import PostError, Skip, Vanished
from ..ingest.post import load_page
from ..ingest.sites.base import Site
from . import store, vocabulary
from .manifest import FileResult
from .schema import to_fields

# multiprocessing and concurrent.futures are imported where processes are
# started: an incremental run of a few posts parses them in this process.

# Parsing (Markdown + HTML to text) dominates a full reindex; below this many
# files a process pool costs more to start than it saves.
PARALLEL_MIN_FILES = 200


# The site being indexed, in this process and (inherited at fork, never
# pickled: a Hugo site holds its whole content tree) in its workers.
_site: Site | None = None


def _use_site(site: Site, parent_pid: int | None = None) -> None:
    global _site
    _site = site
    if parent_pid is not None:
        store.detach_worker(parent_pid)


VANISHED = "vanished"  # a FileResult status: listed, gone when read; never recorded


def parse_job(args) -> FileResult:
    """(path, settings, id, size, mtime_ns) of a file of the current site -> its FileResult."""
    path, settings, rel, size, mtime_ns = args
    try:
        doc = load_page(_site, rel, path, settings)
    except Skip as exc:
        return FileResult(rel, size, mtime_ns, exc.kind, exc.reason)
    except Vanished as exc:
        return FileResult(rel, size, mtime_ns, VANISHED, str(exc))
    except PostError as exc:
        return FileResult(rel, size, mtime_ns, "failed", str(exc))
    return FileResult(rel, size, mtime_ns, "indexed", document=doc, facets=doc.facets, warnings=doc.warnings)


def parse_all(site: Site, jobs: list, progress: Callable[[int], None] | None, workers: int) -> Iterable[FileResult]:
    _use_site(site)
    if len(jobs) >= PARALLEL_MIN_FILES and workers > 1:
        # detach_worker: a forked worker must not keep the reindex lock (or
        # run on) after this process is killed (tests/system/test_crash.py).
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_use_site, initargs=(site, os.getpid())) as pool:
            for result in pool.map(parse_job, jobs, chunksize=16):
                if progress:
                    progress(1)
                yield result
    else:
        for job in jobs:
            result = parse_job(job)
            if progress:
                progress(1)
            yield result


# A file costs as much as this many bytes more of text (parsing, indexing:
# a fit over the corpus's files gave 0.78 ms a file + 0.41 us a byte); by
# bytes alone, the share of more, smaller files took 10% longer (the two
# workers' CPU 2.64 and 2.90 s; with 3,000: 2.81 and 2.81 s).
FILE_COST = 3000


def _shares(jobs: list, parts: int) -> list[list]:
    """``jobs`` cut into at most ``parts`` runs of consecutive files of about equal cost (bytes + FILE_COST)."""
    total = sum(job[3] for job in jobs) + FILE_COST * len(jobs) or 1
    shares: list[list] = [[]]
    done = 0
    for job in jobs:
        if done >= total * len(shares) / parts and len(shares) < parts:
            shares.append([])
        shares[-1].append(job)
        done += job[3] + FILE_COST
    return [share for share in shares if share]


# A segment worker parses this many files, then indexes them: the parser's
# objects and the index's pool then stay in the caches in turn (one file at
# a time, a worker's CPU 2.37-2.43 s; 64 at a time 2.20-2.28 s).  Since the
# indexing got leaner, 256 (both workers' CPU, medians of 5-6 alternating
# runs, twice: 64 files 4.09 / 4.36 s, 128 4.03, 256 3.97 / 4.22, 512 4.30,
# 1024 4.02).  The parent hears of every PROGRESS files parsed.
BATCH = 256
PROGRESS = 64


# What a segment worker built, held until the process exits (os._exit, without
# freeing it): freeing a segment's postings object by object took a tenth of
# a second on the critical path, the parent waiting for the worker to end.
_kept: list = []


def _segment_worker(building: str, site: Site, jobs: list, facets: tuple, conn, parent_pid: int) -> None:
    """In a forked process: parse and index ``jobs`` into a segment of ``building``."""
    _use_site(site, parent_pid)
    # No full collection: what the worker keeps lives until it exits, and
    # each full pass walked all of it (and the parent's objects, copying
    # their pages): ~0.04 s of a worker's CPU.  Young cycles are still collected.
    gc.set_threshold(*gc.get_threshold()[:2], 1 << 30)
    try:
        writer = open_writer(whoosh_index.open_dir(building), _lk=False, limitmb=64)
        tally = vocabulary.Tally()
        _kept.extend((writer, tally))
        for start in range(0, len(jobs), BATCH):
            parsed = []
            for first in range(start, min(start + BATCH, len(jobs)), PROGRESS):
                parsed += map(parse_job, jobs[first : first + PROGRESS])
                conn.send(("progress", min(PROGRESS, len(jobs) - first)))
            for result in parsed:
                if result.document is not None:
                    record = to_fields(result.document, facets)
                    tally.add(record)
                    writer.add_document(**record)
                    result.document = None  # the parent needs only the manifest entry
            # (sent as they come: pickled and read while the workers run, not after)
            conn.send(("parsed", parsed))
        segment = writer.finish_segment()
        # The worker's share of the vocabulary, combined here while the other
        # workers run (vocabulary_merge.py says what it saves).
        conn.send(("done", (segment, vocabulary.combine(vocabulary.Totals(), tally))))
    except BaseException as exc:  # ENOSPC must reach the parent as itself
        conn.send(("error", exc))
    finally:
        conn.close()


def build_segments(building: Path, site: Site, jobs: list, facets: tuple, workers: int, progress) -> tuple[list, list[FileResult], vocabulary.Totals]:
    """Parse and index ``jobs`` in ``workers`` processes, each writing one segment.

    Parsing and indexing are both pure Python: in one process they took the
    sum of both (parse in a pool, index in the parent: the parent's indexing
    and its final write were the critical path).  Here each process does both
    for a run of consecutive files, so the segments, in order, number the
    documents exactly as a serial build does.  Returns the segments, each
    file's result in the order of ``jobs``, and the posts' vocabulary totals.
    """
    import multiprocessing
    import multiprocessing.connection

    context = multiprocessing.get_context("fork")
    processes, pending, outcome, parsed = [], {}, {}, {}
    try:
        for number, share in enumerate(_shares(jobs, workers)):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_segment_worker, args=(str(building), site, share, facets, send, os.getpid()), daemon=True)
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
                elif kind == "parsed":
                    parsed.setdefault(pending[conn], []).extend(payload)
                elif kind == "done":
                    outcome[pending.pop(conn)] = payload
                    conn.close()
                else:
                    raise payload
        # (merged before the processes are joined: a worker's exit, its
        # memory unmapped, overlaps the merge)
        from .vocabulary_merge import merge

        ordered = [outcome[n] for n in sorted(outcome)]
        results = [result for n in sorted(outcome) for result in parsed.get(n, [])]
        return [segment for segment, _ in ordered if segment is not None], results, merge([totals for _, totals in ordered])
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
