"""Record the service's full responses to a fixed set of requests, or check them.

A refactor must not change what a visitor gets: this script indexes the 2017
corpus and the sample content with the ``searchsvc reindex`` command, asks the
app (``create_app`` + Flask's test client, in-process) a fixed list of
requests — plain words, the query language, filters, sorts, pages, type-ahead,
facet listings, documents — and writes each response body, minus its timing
and indexing dates, one JSON line per request.

    python bench/record_responses.py --out /tmp/before.jsonl
    ... change the code ...
    python bench/record_responses.py --check /tmp/before.jsonl

``--check`` prints the first differing requests and exits 1 when any differs.
Only public entry points are used (the CLI and ``create_app``), so the script
runs unchanged on both sides of a move of modules.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "digitalgov-2017"
JUDGED = REPO / "tests" / "relevance"
VOLATILE = ("took_ms", "last_indexed", "finished_at", "built_at", "content_commit")

QUERY_LANGUAGE = [
    '"customer experience"', "customer AND experience", "customer OR experience", "data -mobile",
    "title:budget", "tags:omb", "authors:sarah", "mobi*", "gov* services", "accessib* NOT pdf",
    '"plain language" forms', "(open OR public) data", "+analytics -dashboard", "NOT NOT NOT a",
    "section 508 AND video", "title:\"digital analytics\"", "usab* test*", "x:y", "a*", "'single quoted'",
]
PREFIXES = ["gov", "cust", "acc", "mobile a", "open d", "dap", "508", "usab", "plain lang", "x", "zzz"]
FILTERS = [
    [("tags", "OMB")], [("tags", "OMB"), ("tags", "SSA")], [("categories", "Managing Digital")],
    [("year", "2016")], [("from", "2016-01-01"), ("to", "2016-06-30")], [("authors", "jparcell")],
]


def requests_for(queries: list[str], ids: list[str]) -> list[str]:
    paths = []
    for q in queries:
        paths.append("/search.json?" + urlencode([("q", q)]))
    for q in queries[::2]:
        paths.append("/search.json?" + urlencode([("q", q), ("page", "2")]))
        paths.append("/search.json?" + urlencode([("q", q), ("sort", "newest"), ("per_page", "5")]))
    for q in queries[::6]:
        for extra in FILTERS:
            paths.append("/search.json?" + urlencode([("q", q)] + extra))
    for q in QUERY_LANGUAGE:
        paths.append("/search.json?" + urlencode([("q", q)]))
        paths.append("/search.json?" + urlencode([("q", q), ("tags", "OMB")]))
    for extra in FILTERS:
        paths.append("/search.json?" + urlencode(extra))
        paths.append("/search.json?" + urlencode(extra + [("sort", "oldest"), ("page", "2")]))
    paths.append("/search.json")
    for prefix in PREFIXES + sorted({q[:4] for q in queries}):
        paths.append("/suggest.json?" + urlencode([("q", prefix)]))
    for facet in ("tags", "categories", "authors", "topics", "year"):
        paths.append(f"/facets/{facet}.json")
    for doc_id in ids:
        paths.append(f"/documents/{doc_id}.json")
    paths.append("/healthz")
    return paths


def judged_queries() -> list[str]:
    data = json.loads((JUDGED / "digitalgov-2017.json").read_text(encoding="utf-8"))
    return [item["query"] for item in data["known_item"] + data["topical"]]


def scrub(value):
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def build(content: Path, index_dir: Path) -> None:
    exe = Path(sys.executable).with_name("searchsvc")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    subprocess.run([str(exe), "reindex", str(content), "--index", str(index_dir), "--quiet"], env=env, check=False)


def record(work: Path) -> list[str]:
    from searchsvc import create_app, settings

    lines = []
    sample_queries = ["customer experience", "accessibility", "benefits letter", "dap dashboard", "section 508",
                      "open data", "usability testing", "mobile first", "plain language", "https",
                      "goverment", "acessibility", "social security administration", "omb"]
    corpora = [("sample", settings.SAMPLE_CONTENT_DIR, sample_queries)]
    if CORPUS.is_dir():
        corpora.append(("digitalgov-2017", CORPUS, judged_queries()))
    else:
        print(f"note: {CORPUS} is absent; recording the sample content only", file=sys.stderr)
    for name, content, queries in corpora:
        index_dir = work / name
        build(content, index_dir)
        app = create_app({"index_dir": str(index_dir), "TESTING": True})
        client = app.test_client()
        ids = [hit["id"] for hit in client.get("/search.json?per_page=40").get_json()["results"]]
        for path in requests_for(queries, ids[::3]):
            response = client.get(path)
            body = scrub(response.get_json())
            lines.append(json.dumps({"corpus": name, "request": path, "status": response.status_code, "body": body},
                                    ensure_ascii=False, sort_keys=True))
        app.extensions["searchsvc"].close()
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", type=Path, help="write the recording here")
    group.add_argument("--check", type=Path, help="compare with this recording")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="searchsvc-record-") as tmp:
        lines = record(Path(tmp))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"recorded {len(lines)} responses in {args.out}")
        return 0
    before = args.check.read_text(encoding="utf-8").splitlines()
    if len(before) != len(lines):
        print(f"{len(before)} requests recorded, {len(lines)} now")
    differing = [(a, b) for a, b in zip(before, lines) if a != b]
    for a, b in differing[:5]:
        print("request:", json.loads(a)["request"])
        print("  before:", a[:600])
        print("  now:   ", b[:600])
    print(f"{len(lines) - len(differing)} of {len(lines)} responses identical")
    return 1 if differing or len(before) != len(lines) else 0


if __name__ == "__main__":
    sys.exit(main())
