"""Type-ahead latency on the real corpus: GET /suggest.json in-process.

    .venv/bin/python bench/bench_suggest.py [--index DIR] [--corpus DIR]

Types every judged query of tests/relevance/ keystroke by keystroke (each
prefix of 2+ characters, as the page's type-ahead asks) and reports the
median and 95th percentile of:
- suggest.json: the full request through the Flask app (test client);
- typeahead(): the function alone, without HTTP;
- floor: GET /healthz through the same client (the framework's own cost);
- fts5 peer: an SQLite FTS5 prefix query over the titles (`"cust"*`, LIMIT 8),
  built from the same index in this run.
The first request of a generation builds the vocabulary; it is timed apart.
Then the worst plain-word searches (32 misspelled, common or unknown words)
through /search.json, bounded by the 50 ms hostile-query budget.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from searchsvc import create_app  # noqa: E402
from searchsvc.query import suggest  # noqa: E402
from searchsvc import settings as settings_mod  # noqa: E402
from searchsvc.evaluation.judged import load as load_judged_set  # noqa: E402
from searchsvc.index.build import reindex  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "digitalgov-2017"


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(name: str, ms: list[float], floor: float | None = None) -> str:
    ms = sorted(ms)
    p50, p95 = statistics.median(ms), ms[int(len(ms) * 0.95) - 1]
    ratio = f"  ({p50 / floor:.1f}x floor)" if floor else ""
    return f"{name:<40} median {p50:6.2f} ms   p95 {p95:6.2f} ms   n={len(ms)}{ratio}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="an index of the corpus (default: build one in a temporary folder)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = args.index
        if index_dir is None:
            if not args.corpus.is_dir():
                print(f"corpus not found: {args.corpus}", file=sys.stderr)
                return 2
            index_dir = Path(tmp) / "index"
            settings = settings_mod.load({"index_dir": str(index_dir)}, environ={})
            print(reindex(args.corpus, index_dir, settings).summary(), file=sys.stderr)
        app = create_app({"index_dir": str(index_dir)})
        client = app.test_client()
        prefixes = []
        judged_set = load_judged_set(REPO / "tests" / "relevance" / "digitalgov-2017.json").queries
        for judged in judged_set:
            prefixes += [judged.query[:n] for n in range(2, len(judged.query) + 1)]
        print(f"{len(prefixes)} prefixes of {len(judged_set)} queries; load average {os.getloadavg()[0]:.2f}")

        started = time.perf_counter()
        client.get("/suggest.json?q=a")
        print(f"first request (builds the vocabulary): {(time.perf_counter() - started) * 1000:.0f} ms")

        handle = app.extensions["searchsvc"]
        generation = handle.acquire()
        db = sqlite3.connect(":memory:")
        db.execute("CREATE VIRTUAL TABLE titles USING fts5(title, url UNINDEXED)")
        db.executemany("INSERT INTO titles VALUES (?, ?)", [(t.text, t.url) for t in suggest.vocabulary(generation).titles])

        def fts(q: str):
            words = [w for w in suggest.WORD.findall(q.lower())]
            if not words:
                return []
            match = " ".join(f'"{w}"' for w in words[:-1]) + f' "{words[-1]}"*'
            return db.execute("SELECT title, url FROM titles WHERE titles MATCH ? LIMIT 8", (match.strip(),)).fetchall()

        floor = timed(lambda q: client.get("/healthz"), prefixes)
        http = timed(lambda q: client.get("/suggest.json", query_string={"q": q}), prefixes)
        direct = timed(lambda q: suggest.typeahead(generation, q), prefixes)
        peer = timed(fts, prefixes)
        handle.release(generation)
        base = statistics.median(floor)
        print(summary("floor: /healthz", floor))
        print(summary("suggest.json", http, base))
        print(summary("typeahead() alone", direct))
        print(summary("fts5 title prefix peer", peer))
        print(f"suggest.json / fts5 peer, medians: {statistics.median(http) / statistics.median(peer):.1f}x")

        # Typo handling on the search side is bounded by design (a candidate
        # list per word, at most max_query_terms words): the worst plain
        # queries a visitor can send, timed through /search.json.
        typos = ["goverment", "custmer", "experiance", "acessibility", "infromation", "managment", "websiet", "reserch"]
        worst = {
            "32 misspelled words": " ".join(typos * 4),
            "32 common words": " ".join(["government", "data", "mobile", "social", "media", "digital", "web", "content"] * 4),
            "32 unknown 10-letter words": " ".join(f"qzx{i:02d}wvkjy" for i in range(32)),
            "one 500-letter word": "a" * 500,
        }
        client.get("/search.json?q=acessibility")  # builds the vocabulary
        for name, q in worst.items():
            # a different page each time: a result cache must not answer
            ms = timed(lambda page: client.get("/search.json", query_string={"q": q, "page": page}), range(1, 6))
            print(summary(f"search.json: {name}", ms, base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
