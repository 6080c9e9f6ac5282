"""Queries in-process: the service's full response against SQLite FTS5 doing the same work.

    python bench/bench_query.py [--factor 1] [--workdir DIR] [--queries 500] [--rounds 5] [--no-write]

The same 500 realistic queries (words of post titles, 30% with one of the
post's tags as a filter) go to both, interleaved, after one warm-up pass:
  service  query.parse_args + search.run on an open generation, with the
           result cache off: the top 10 (exhaustive), total, every facet's
           counts, snippets and highlighted titles for the page
  FTS5     bm25 top 10 with the same field weights, count, per-facet counts
           over all matches (multi-select), snippet() + highlight() per hit
Then the result cache: hit rate and p50 for a Zipf stream drawn from the mix.
Targets (issue 5): service <= 3x FTS5 at x1 and x10; p50 <= 3 ms (x1), <= 10 ms (x10).
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path

import common
from werkzeug.datastructures import MultiDict

from searchsvc.query import search as search_mod
from searchsvc.index.build import reindex
from searchsvc.query.request import parse_args
from searchsvc.query.generation import IndexHandle


def corpus_and_index(factor: int, workdir: Path | None, conf_kw: dict | None = None, layout: str = "suffixed"):
    """(content, index_dir), building what is missing; --workdir keeps them for the next run."""
    base = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=f"searchsvc-bench-q{factor}-"))
    base.mkdir(parents=True, exist_ok=True)
    content = common.CORPUS if factor == 1 else base / "content"
    if factor != 1 and not content.exists():
        (common.make_plain_copies if layout == "plain" else common.make_copies)(factor, content)
    index_dir = base / "index"
    if not (index_dir / "current").exists():
        t = time.perf_counter()
        reindex(content, index_dir, common.settings(content_dir=str(content)), full=True)
        print(f"indexed x{factor} in {time.perf_counter() - t:.1f} s", flush=True)
    return base, content, index_dir


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--factor", type=int, default=1)
    ap.add_argument("--workdir", help="keep the corpus copies and index here between runs")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--stream", type=int, default=5000, help="length of the Zipf stream for the cache")
    ap.add_argument("--rounds", type=int, default=1, help="measured passes over the queries; figures are medians over them")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    machine = common.machine()
    base, content, index_dir = corpus_and_index(args.factor, args.workdir)
    conf = common.settings(content_dir=str(content), index_dir=str(index_dir))
    t = time.perf_counter()
    cached = base / "documents.pickle"  # the peer's input; parsing x10 takes minutes
    if args.workdir and cached.exists():
        docs = pickle.loads(cached.read_bytes())
    else:
        docs = common.reference_parse(content, conf)
        if args.workdir:
            cached.write_bytes(pickle.dumps(docs))
    print(f"{len(docs)} documents for the peer in {time.perf_counter() - t:.1f} s", flush=True)
    fts = common.FTS5()
    fts.build(docs)
    queries = common.make_queries(docs[:1544], args.queries)

    handle = IndexHandle(index_dir, conf["facets"])
    t = time.perf_counter()
    gen = handle.acquire()
    open_s = time.perf_counter() - t

    def service(params):
        req = parse_args(MultiDict(params), conf, conf["facets"])
        return search_mod.run(gen, req, conf, "/search.json")

    def peer(params):
        filters = {"tags": [params["tags"]]} if "tags" in params else {}
        return fts.search(params["q"], filters)

    for params in queries:  # warm-up: page cache, Whoosh's lazily loaded structures
        service(params)
        peer(params)
    rounds = []  # per round: (service times, peer times), each query once, interleaved
    for _ in range(args.rounds):
        s_round, p_round = [], []
        for params in queries:
            s_round.append(common.timed(service, params)[0])
            p_round.append(common.timed(peer, params)[0])
        rounds.append((s_round, p_round))
    s_times, p_times = rounds[len(rounds) // 2]
    mid = common.median

    def figure(values) -> str:
        return f"{mid(values) * 1000:.2f} ms"

    s50s, p50s = [mid(s) for s, _ in rounds], [mid(p) for _, p in rounds]
    s95s, p95s = [common.pct(s, 95) for s, _ in rounds], [common.pct(p, 95) for _, p in rounds]
    ratio50 = mid([a / b for a, b in zip(s50s, p50s)])
    ratio95 = mid([a / b for a, b in zip(s95s, p95s)])
    rows = [
        ["searchsvc (service, cache off)", figure(s50s), figure(s95s), f"**{ratio50:.2f}x**", f"{ratio95:.2f}x"],
        ["SQLite FTS5, same work (peer)", figure(p50s), figure(p95s), "1.00x", "1.00x"],
    ]
    per_round = ", ".join(f"{a / b:.2f}x" for a, b in zip(s50s, p50s))
    load_end = os.getloadavg()[0]
    cache_line = ""
    cache_mod = getattr(gen, "cache", None)
    if cache_mod is not None:
        stream = common.zipf_stream(queries, args.stream)
        gen.cache.clear()
        from searchsvc.query.search import cached_search

        c_times = []
        for params in stream:
            req = parse_args(MultiDict(params), conf, conf["facets"])
            c_times.append(common.timed(cached_search, gen, req, conf, "/search.json")[0])
        stats = gen.cache.stats()
        cache_line = (
            f"\nResult cache ({stats['capacity']} entries) on a Zipf (s=1) stream of {args.stream} draws from the "
            f"{len(queries)} queries: hit rate **{stats['hit_rate'] * 100:.1f}%**, p50 {common.median(c_times) * 1000:.3f} ms, "
            f"mean {sum(c_times) / len(c_times) * 1000:.2f} ms (uncached mean {sum(s_times) / len(s_times) * 1000:.2f} ms).\n"
        )
    handle.release(gen)
    handle.close()
    label = "real corpus (1,543 documents)" if args.factor == 1 else f"x{args.factor} ({len(docs):,} documents)"
    cmd = "python bench/bench_query.py" + (f" --factor {args.factor} --workdir /tmp/searchsvc-x{args.factor}" if args.factor != 1 else "")
    cmd += f" --rounds {args.rounds}" if args.rounds > 1 else ""
    rounds_note = f"{args.rounds} rounds, each query once a round; medians of the rounds' figures" if args.rounds > 1 else "each once"
    body = (
        f"### Queries in-process, {label}\n\n`{cmd}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine}, "
        f"{load_end:.2f} at the end; {len(queries)} queries ({sum('tags' in q for q in queries)} with a tag filter), "
        f"{rounds_note} after a warm-up pass, interleaved with the peer. "
        f"Opening the generation (per-generation tables) took {open_s * 1000:.0f} ms.\n\n"
        + common.table(["engine", "p50", "p95", "p50 vs FTS5", "p95 vs FTS5"], rows)
        + (f"\n\np50 vs FTS5 per round: {per_round}.\n" if args.rounds > 1 else "\n")
        + cache_line
    )
    print(body)
    if not args.no_write:
        common.write_section(f"query-x{args.factor}", body)
    if not args.workdir:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
