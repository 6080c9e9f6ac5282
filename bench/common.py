"""Shared pieces of the benchmarks: corpora, the SQLite FTS5 peer, timing, BENCHMARKS.md.

The benchmarks are plain scripts run by hand from the dev set-up (not in CI).
Every figure is compared with a peer measured in the same run, because this
2-core machine is shared and absolute times drift by tens of percent.

Corpora bigger than the real one are copies of it (each copy a folder of its
own, titles suffixed so ids and titles stay unique) or synthetic posts
(bench_scale.py), always written to a temporary folder, never the repository.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from searchsvc import settings as settings_mod  # noqa: E402
from searchsvc.ingest.document import Document, PostError, Skip  # noqa: E402
from searchsvc.ingest.post import load_post  # noqa: E402
from searchsvc.ingest.walk import iter_post_paths  # noqa: E402
from searchsvc.words import facet_key  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "digitalgov-2017"
BENCHMARKS_MD = REPO / "BENCHMARKS.md"
FACETS = ("tags", "categories", "authors", "topics")
# Same field weights as the service (schema.FIELD_BOOSTS), in FTS5 column order.
FTS_COLUMNS = ("title", "summary", "body", "tags")
FTS_WEIGHTS = (4.0, 1.5, 1.0, 2.5)


# --- machine and timing ----------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import whoosh

    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"Whoosh {'.'.join(map(str, whoosh.__version__))}, SQLite {sqlite3.sqlite_version}, "
        f"load average at start {load[0]:.2f}"
    )


def pct(values, p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def median(values) -> float:
    return statistics.median(values)


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def settings(**overrides) -> dict:
    return settings_mod.load(overrides, environ={})


# --- corpora ---------------------------------------------------------------

_TITLE = re.compile(r"^title:[ \t]*(.*?)[ \t]*$", re.M)


def _retitle(text: str, suffix: str) -> str:
    def repl(match: re.Match) -> str:
        value = match.group(1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            return f"title: {value[:-1]} {suffix}{value[-1]}"
        return f"title: {value} {suffix}"

    return _TITLE.sub(repl, text, count=1)


def make_copies(factor: int, dest: Path | None = None, source: Path = CORPUS) -> Path:
    """``factor`` copies of the real corpus in a temp folder: copy k in ``c{k}/``, titles suffixed."""
    dest = Path(dest or tempfile.mkdtemp(prefix=f"searchsvc-x{factor}-"))
    files = sorted(p for p in source.rglob("*") if p.is_file())
    for k in range(factor):
        for path in files:
            rel = path.relative_to(source)
            target = dest / f"c{k:02d}" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if k == 0:
                shutil.copyfile(path, target)
            else:
                text = path.read_text(encoding="utf-8", errors="surrogateescape")
                target.write_text(_retitle(text, f"(copy {k})"), encoding="utf-8", errors="surrogateescape")
    return dest


def make_plain_copies(factor: int, dest: Path | None = None, source: Path = CORPUS) -> Path:
    """``factor`` full copies of the real corpus, copy k in ``c{k:02d}/``, files unchanged (issue 15's layout)."""
    dest = Path(dest or tempfile.mkdtemp(prefix=f"searchsvc-plain-x{factor}-"))
    for k in range(factor):
        shutil.copytree(source, dest / f"c{k:02d}", dirs_exist_ok=True)
    return dest


def reference_parse(content: Path, conf: dict) -> list[Document]:
    """The service's own parse, serial (read, front matter, text): what the FTS5 peer is fed.

    The peer gets exactly the documents the service indexes, so the
    comparison is of the indexing itself (issue 15).
    """
    docs = []
    for path in iter_post_paths(content):
        try:
            docs.append(load_post(path, content, conf))
        except (PostError, Skip):
            pass
    return docs


# --- the SQLite FTS5 peer ----------------------------------------------------


class FTS5:
    """The peer: the same documents in SQLite FTS5 (porter stemming), same field weights.

    A query does the same work as the service: the top ``per_page`` by BM25
    (exhaustive, as SQLite always is), the total, counts for every facet over
    all matches (multi-select: each facet ignores its own filter), and a
    snippet for each hit on the page.
    """

    def __init__(self, path: str = ":memory:"):
        self.db = sqlite3.connect(path)
        self.db.executescript(
            """
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE VIRTUAL TABLE docs USING fts5(title, summary, body, tags, tokenize='porter unicode61');
            CREATE TABLE meta(rowid INTEGER PRIMARY KEY, id TEXT, url TEXT, date TEXT, facet_values TEXT);
            CREATE TABLE facets(doc INTEGER, facet TEXT, key TEXT, PRIMARY KEY(doc, facet, key)) WITHOUT ROWID;
            """
        )

    def build(self, docs: list[Document]) -> None:
        with self.db:
            for rowid, doc in enumerate(docs, 1):
                tags = " ; ".join(doc.facets.get("tags", []))
                self.db.execute(
                    "INSERT INTO docs(rowid, title, summary, body, tags) VALUES (?,?,?,?,?)",
                    (rowid, doc.title, doc.summary, doc.body, tags),
                )
                self.db.execute(
                    "INSERT INTO meta VALUES (?,?,?,?,?)",
                    (rowid, doc.id, doc.url, doc.date.isoformat(), json.dumps(doc.facets, ensure_ascii=False)),
                )
                rows = [(rowid, name, facet_key(v)) for name in FACETS for v in doc.facets.get(name, [])]
                rows.append((rowid, "year", doc.date.strftime("%Y")))
                self.db.executemany("INSERT OR IGNORE INTO facets VALUES (?,?,?)", rows)
            self.db.execute("CREATE INDEX facets_key ON facets(facet, key, doc)")
        self.db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        self.db.commit()

    @staticmethod
    def match_expr(q: str) -> str:
        words = re.findall(r"\w+", q)
        return " ".join('"' + w.replace('"', "") + '"' for w in words)

    def search(self, q: str, filters: dict[str, list[str]] | None = None, per_page: int = 10) -> dict:
        filters = filters or {}
        expr = self.match_expr(q)
        db = self.db
        if not getattr(self, "_temp", False):
            db.execute("CREATE TEMP TABLE m(doc INTEGER PRIMARY KEY, score REAL)")
            self._temp = True
        db.execute("DELETE FROM temp.m")
        weights = ",".join(map(str, FTS_WEIGHTS))
        db.execute(f"INSERT INTO m SELECT rowid, bm25(docs, {weights}) FROM docs WHERE docs MATCH ?", (expr,))
        filter_sql, params = {}, {}
        for name, values in filters.items():
            keys = [facet_key(v) if name != "year" else v for v in values]
            filter_sql[name] = f"m.doc IN (SELECT doc FROM facets WHERE facet=? AND key IN ({','.join('?' * len(keys))}))"
            params[name] = [name] + keys

        def where(names):
            return " AND ".join(filter_sql[n] for n in names) or "1", [x for n in names for x in params[n]]

        w, p = where(list(filter_sql))
        total = db.execute(f"SELECT count(*) FROM m WHERE {w}", p).fetchone()[0]
        top = db.execute(f"SELECT doc, score FROM m WHERE {w} ORDER BY score LIMIT ?", p + [per_page]).fetchall()
        # Facet counts over all matches, one grouped query; a filtered facet
        # is counted without its own filter (multi-select), as the service does.
        counts: dict[str, list] = {name: [] for name in FACETS + ("year",)}
        for f, key, c in db.execute(
            f"SELECT f.facet, f.key, count(*) FROM m JOIN facets f ON f.doc = m.doc WHERE {w} GROUP BY f.facet, f.key", p
        ):
            if f not in filter_sql:
                counts[f].append((key, c))
        for name in filter_sql:
            w2, p2 = where([n for n in filter_sql if n != name])
            counts[name] = db.execute(
                f"SELECT f.key, count(*) FROM m JOIN facets f ON f.doc = m.doc AND f.facet = ? WHERE {w2} GROUP BY f.key",
                [name] + p2,
            ).fetchall()
        facets = {name: sorted(rows, key=lambda kc: (-kc[1], kc[0]))[:30] for name, rows in counts.items()}
        hits = []
        for doc, score in top:
            snippet = db.execute(
                "SELECT snippet(docs, 2, '<mark>', '</mark>', '…', 32), highlight(docs, 0, '<mark>', '</mark>') "
                "FROM docs WHERE docs MATCH ? AND rowid=?",
                (expr, doc),
            ).fetchone()
            meta = db.execute("SELECT id, url, date, facet_values FROM meta WHERE rowid=?", (doc,)).fetchone()
            hits.append({"id": meta[0], "url": meta[1], "date": meta[2], "facets": json.loads(meta[3]),
                         "snippet": snippet[0], "title_html": snippet[1], "score": -score})
        return {"total": total, "results": hits, "facets": facets}


# --- query mixes -------------------------------------------------------------

STOP = set("a an and are as at be by for from how in into is it its of on or our the this to what when who why with you your new use using".split())


def make_queries(docs: list[Document], n: int = 500, seed: int = 5, filter_share: float = 0.3) -> list[dict]:
    """``n`` distinct realistic queries: 1-3 words of a post's title, some with one of its tags."""
    rng = random.Random(seed)
    seen, queries = set(), []
    while len(queries) < n:
        doc = rng.choice(docs)
        words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", doc.title) if w.lower() not in STOP]
        if not words:
            continue
        k = rng.choice((1, 1, 2, 2, 2, 3))
        start = rng.randrange(max(1, len(words) - k + 1))
        q = " ".join(words[start : start + k])
        params = {"q": q}
        tags = doc.facets.get("tags") or []
        if tags and rng.random() < filter_share:
            params["tags"] = rng.choice(tags)
        key = tuple(sorted(params.items()))
        if key not in seen:
            seen.add(key)
            queries.append(params)
    return queries


def zipf_stream(queries: list, length: int, s: float = 1.0, seed: int = 7) -> list:
    """``length`` draws from ``queries`` with P(rank r) proportional to 1/r^s."""
    rng = random.Random(seed)
    weights = [1 / (r**s) for r in range(1, len(queries) + 1)]
    return rng.choices(queries, weights=weights, k=length)


# --- BENCHMARKS.md -----------------------------------------------------------


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section between ``<!-- name -->`` markers in BENCHMARKS.md."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS_MD.write_text(text)


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
