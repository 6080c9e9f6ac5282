"""Measure ranking on a judged query set: ``python -m searchsvc.evaluate``.

Prints MRR, success@1, success@10 and nDCG@10 for the service and, in the
same run and over the same extracted documents, for two baselines:

- ``whoosh-plain``: Whoosh's defaults, BM25F over title + body, standard
  analyzer, no boosts, synonyms or typo handling, all words required;
- ``fts5-any``: SQLite FTS5 bm25 with the porter tokenizer, any query word
  may match (``"a" OR "b" OR "c"``).

The judged set (tests/relevance/*.jsonl: one query a line, its kind and the
ids of the relevant posts) is split into a tuning part and a held-out part
that no weight was tuned on; both are reported separately.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from whoosh import collectors, fields, index as whoosh_index, qparser

from . import settings as settings_mod
from .index.manifest import display_forms
from .index.schema import build_schema, to_fields
from .index.store import FACETS_FILE
from .ingest.document import Document, PostError, Unpublished
from .ingest.post import load_post
from .ingest.walk import iter_post_paths
from .query.request import SearchRequest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_JUDGED = REPO / "tests" / "relevance"
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "digitalgov-2017"
SPLITS = ("tuning", "heldout")
METRICS = ("mrr", "s@1", "s@10", "ndcg@10")
DEPTH = 10


@dataclass
class Judged:
    query: str
    kind: str
    relevant: frozenset[str]
    split: str


def load_judged(folder: Path = DEFAULT_JUDGED) -> list[Judged]:
    found = []
    for split in SPLITS:
        with open(folder / f"{split}.jsonl", encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    found.append(Judged(record["query"], record["kind"], frozenset(record["relevant"]), split))
    return found


# --- metrics -------------------------------------------------------------


def scores(ranked: list[str], relevant: frozenset[str]) -> dict[str, float]:
    ranked = ranked[:DEPTH]
    first = next((i for i, doc in enumerate(ranked) if doc in relevant), None)
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), DEPTH)))
    return {
        "mrr": 0.0 if first is None else 1 / (first + 1),
        "s@1": 1.0 if first == 0 else 0.0,
        "s@10": 0.0 if first is None else 1.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
    }


def summarise(per_query: list[dict[str, float]]) -> dict[str, float]:
    if not per_query:
        return {m: 0.0 for m in METRICS}
    return {m: round(sum(q[m] for q in per_query) / len(per_query), 3) for m in METRICS}


def evaluate(rank: Callable[[str], list[str]], judged: Iterable[Judged]) -> dict[str, Any]:
    """Run every query through ``rank`` -> {split: metrics, split/kind: metrics, "queries": [...]}."""
    rows = []
    for item in judged:
        ranked = rank(item.query)
        rows.append((item, scores(ranked, item.relevant), ranked[:DEPTH]))
    out: dict[str, Any] = {}
    for split in SPLITS:
        out[split] = summarise([s for j, s, _ in rows if j.split == split])
        for kind in sorted({j.kind for j, _, _ in rows}):
            out[f"{split}/{kind}"] = summarise([s for j, s, _ in rows if j.split == split and j.kind == kind])
    out["queries"] = [
        {"query": j.query, "split": j.split, "kind": j.kind, **s, "top": r[:3]} for j, s, r in rows
    ]
    return out


# --- the systems -----------------------------------------------------------


def _load(args) -> Document | None:
    path, root, settings = args
    try:
        return load_post(Path(path), Path(root), settings)
    except (PostError, Unpublished):
        return None


def extract(corpus: Path, settings: Mapping[str, Any]) -> list[Document]:
    jobs = [(str(p), str(corpus), dict(settings)) for p in iter_post_paths(corpus)]
    with ProcessPoolExecutor() as pool:
        return [d for d in pool.map(_load, jobs, chunksize=32) if d is not None]


def build_service_index(docs: list[Document], folder: Path, settings: Mapping[str, Any]) -> Path:
    """A generation directory like the indexer's, from already extracted documents."""
    facets = tuple(settings["facets"])
    path = folder / "gen-000001"
    path.mkdir(parents=True)
    ix = whoosh_index.create_in(str(path), build_schema(facets))
    writer = ix.writer(limitmb=128)
    for doc in docs:
        writer.add_document(**to_fields(doc, facets))
    writer.commit(optimize=True)
    forms = display_forms(d.facets for d in docs)
    (path / FACETS_FILE).write_text(json.dumps(forms), encoding="utf-8")
    return path


def service_ranker(gen, settings: Mapping[str, Any]) -> Callable[[str], list[str]]:
    from .query import search

    def rank(q: str) -> list[str]:
        req = SearchRequest(q=q, per_page=DEPTH, sort="relevance")
        return [r["id"] for r in search.run(gen, req, settings, "/search.json")["results"]]

    return rank


def whoosh_plain_ranker(docs: list[Document], folder: Path) -> Callable[[str], list[str]]:
    schema = fields.Schema(id=fields.ID(stored=True), title=fields.TEXT(), body=fields.TEXT())
    ix = whoosh_index.create_in(str(folder), schema)
    writer = ix.writer(limitmb=128)
    for doc in docs:
        writer.add_document(id=doc.id, title=doc.title, body=doc.body)
    writer.commit(optimize=True)
    searcher = ix.searcher()
    parser = qparser.MultifieldParser(["title", "body"], schema)

    def rank(q: str) -> list[str]:
        # An exhaustive top 10 (Whoosh's default collector can miss: WHOOSH-FACTS.md).
        collector = collectors.TopCollector(limit=DEPTH, usequality=False, replace=0)
        searcher.search_with_collector(parser.parse(q), collector)
        results = collector.results()
        return [results[i]["id"] for i in range(results.scored_length())]

    return rank


def fts5_ranker(docs: list[Document]) -> Callable[[str], list[str]]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE posts USING fts5(id UNINDEXED, title, body, tokenize='porter')")
    db.executemany("INSERT INTO posts VALUES (?, ?, ?)", [(d.id, d.title, d.body) for d in docs])

    def rank(q: str) -> list[str]:
        words = re.findall(r"\w+", q)
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', "") + '"' for w in words)
        rows = db.execute(
            "SELECT id FROM posts WHERE posts MATCH ? ORDER BY bm25(posts) LIMIT ?", (match, DEPTH)
        ).fetchall()
        return [r[0] for r in rows]

    return rank


# --- the command ------------------------------------------------------------


def table(results: Mapping[str, Mapping[str, Any]], judged: list[Judged]) -> str:
    lines = []
    kinds = sorted({j.kind for j in judged})
    for split in SPLITS:
        count = sum(1 for j in judged if j.split == split)
        lines.append(f"\n{split} ({count} queries)")
        lines.append(f"  {'system':<14}" + "".join(f"{m:>9}" for m in METRICS))
        for system, result in results.items():
            lines.append(f"  {system:<14}" + "".join(f"{result[split][m]:>9.3f}" for m in METRICS))
        for kind in kinds:
            n = sum(1 for j in judged if j.split == split and j.kind == kind)
            lines.append(f"  -- {kind} ({n}): " + "  ".join(
                f"{system} mrr {result[f'{split}/{kind}']['mrr']:.3f} ndcg {result[f'{split}/{kind}']['ndcg@10']:.3f}"
                for system, result in results.items()
            ))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m searchsvc.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="content folder the judged set was written for")
    parser.add_argument("--judged", type=Path, default=DEFAULT_JUDGED, help="folder with tuning.jsonl and heldout.jsonl")
    parser.add_argument("--service-only", action="store_true", help="skip the two baselines")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--show", choices=("misses", "all"), help="list the service's queries (misses: relevant post not first)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    from .query.generation import Generation

    settings = settings_mod.load({}, environ={})
    judged = load_judged(args.judged)
    started = time.perf_counter()
    docs = extract(args.corpus, settings)
    print(f"extracted {len(docs)} documents in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        gen = Generation(1, build_service_index(docs, Path(tmp) / "service", settings), tuple(settings["facets"]))
        results["service"] = evaluate(service_ranker(gen, settings), judged)
        if not args.service_only:
            (Path(tmp) / "plain").mkdir()
            results["whoosh-plain"] = evaluate(whoosh_plain_ranker(docs, Path(tmp) / "plain"), judged)
            results["fts5-any"] = evaluate(fts5_ranker(docs), judged)
        gen.close()
    if args.json:
        print(json.dumps({k: {s: v for s, v in r.items() if s != "queries"} for k, r in results.items()}, indent=1))
    else:
        print(table(results, judged))
    if args.show:
        for row in results["service"]["queries"]:
            if args.show == "all" or row["s@1"] < 1:
                print(f"  [{row['split']}/{row['kind']}] {row['query']!r}: mrr {row['mrr']:.2f} ndcg {row['ndcg@10']:.2f} top {row['top']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
