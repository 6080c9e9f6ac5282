"""Load with reindexes: gunicorn (several workers) on loopback over the real
corpus, 32 concurrent clients for 60 s while two full reindexes publish.

    python bench/load.py [--workers 4] [--clients 32] [--duration 60] [--workdir DIR] [--no-write]

Issue 6, item 7.  The clients are asyncio tasks in this process (no extra
dependency): each sends one request per connection (gunicorn's sync workers
close after every response), 80% /search.json from a Zipf stream over 500
realistic queries made from post titles (30% with a tag filter), 10% the
HTML page, 10% /suggest.json.  Two `searchsvc reindex --full` runs start 5 s
in, one after the other; the load lasts 60 s or until both have published,
whichever is later.  An error is any status other than 200, any connection
failure, and any JSON answer without ``ok: true``; the target is zero.
The figures go into BENCHMARKS.md between ``<!-- load-issue-6 -->`` markers.

The clients share the 2 cores with the server and the reindexes, so the
throughput is a floor for what the server alone would manage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

STOP = common.STOP


def query_mix(corpus: Path, n: int = 500, seed: int = 5) -> list[str]:
    """Paths: realistic queries from post titles (front matter only, no Markdown)."""
    posts = []
    for path in sorted(corpus.rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        match = re.match(r"---\r?\n(.*?)\r?\n---", text, re.S)
        try:
            meta = yaml.safe_load(match.group(1)) if match else None
        except yaml.YAMLError:
            continue
        if isinstance(meta, dict) and isinstance(meta.get("title"), str):
            tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
            posts.append((meta["title"], [t for t in tags if isinstance(t, str)]))
    rng = random.Random(seed)
    seen, queries = set(), []
    while len(queries) < n:
        title, tags = rng.choice(posts)
        words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", title) if w.lower() not in STOP]
        if not words:
            continue
        k = rng.choice((1, 1, 2, 2, 2, 3))
        start = rng.randrange(max(1, len(words) - k + 1))
        params = {"q": " ".join(words[start : start + k])}
        if tags and rng.random() < 0.3:
            params["tags"] = rng.choice(tags)
        key = tuple(sorted(params.items()))
        if key not in seen:
            seen.add(key)
            queries.append(params)
    paths = []
    for params in common.zipf_stream(queries, 20000):
        roll = rng.random()
        if roll < 0.8:
            paths.append("/search.json?" + urlencode(params))
        elif roll < 0.9:
            paths.append("/search?" + urlencode(params))
        else:
            paths.append("/suggest.json?" + urlencode({"q": params["q"][: rng.randint(2, len(params["q"]))]}))
    return paths


async def one_request(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body


async def client(port, paths, offset, stop_at, latencies, errors):
    i = offset
    while time.monotonic() < stop_at():
        path = paths[i % len(paths)]
        i += 37
        started = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(one_request(port, path), timeout=30)
            ok = status == 200 and (not path.startswith(("/search.json", "/suggest.json")) or json.loads(body).get("ok") is True)
        except Exception as exc:  # counted, never hidden
            status, ok = repr(exc)[:80], False
        latencies.append(time.perf_counter() - started)
        if not ok:
            errors.append((path, status))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--workdir", help="keep the index here between runs")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    corpus = common.CORPUS
    base = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="searchsvc-load-"))
    index_dir = base / "index"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env.update(SEARCHSVC_INDEX_DIR=str(index_dir), SEARCHSVC_CONTENT_DIR=str(corpus))
    exe = str(Path(sys.executable).with_name("searchsvc"))
    if not (index_dir / "current").exists():
        print("indexing the corpus first...", flush=True)
        subprocess.run([exe, "reindex", str(corpus), "--index", str(index_dir), "--quiet"], env=env, check=False)
    paths = query_mix(corpus)
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--timeout", "120", "wsgi:app"],
        cwd=common.REPO, env=env, stdout=subprocess.DEVNULL, stderr=open(base / "gunicorn.log", "w"),
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        for path in paths[:200]:  # warm every worker's generation
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30).read()
        before = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read())
        latencies, errors, reindexes = [], [], []
        state = {"done": False}

        def reindex_twice():
            time.sleep(5)
            for _ in range(2):
                t = time.monotonic()
                proc = subprocess.run([exe, "reindex", str(corpus), "--index", str(index_dir), "--full", "--quiet"], env=env, capture_output=True, text=True)
                reindexes.append((proc.returncode, time.monotonic() - t, proc.stderr.strip()[-300:]))
            state["done"] = True

        import threading

        runner = threading.Thread(target=reindex_twice)
        started = time.monotonic()
        floor_end = started + args.duration
        runner.start()

        async def run_all():
            def end():  # the floor duration, and at least until both reindexes published
                if not state["done"]:
                    return float("inf")
                state.setdefault("finished", time.monotonic())
                return max(floor_end, state["finished"])

            await asyncio.gather(*(client(port, paths, k * 613, end, latencies, errors) for k in range(args.clients)))

        asyncio.run(run_all())
        elapsed = time.monotonic() - started
        runner.join()
        after = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read())
        log = (base / "gunicorn.log").read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    latencies.sort()
    n = len(latencies)
    p = lambda q: latencies[min(n - 1, int(q * n))] * 1000  # noqa: E731
    rps = n / elapsed
    lines = [
        f"requests {n} in {elapsed:.1f} s = {rps:.0f} req/s; errors {len(errors)}",
        f"latency p50 {p(0.50):.1f} ms, p95 {p(0.95):.1f} ms, p99 {p(0.99):.1f} ms, max {latencies[-1] * 1000:.0f} ms",
        "reindexes: " + "; ".join(f"exit {code} in {secs:.1f} s" for code, secs, _ in reindexes),
        f"generation {before['generation']} -> {after['generation']}, documents {before['documents']} -> {after['documents']}, health {after['status']}",
        f"tracebacks in the server log: {log.count('Traceback')}",
    ]
    print("\n".join(lines))
    if errors:
        print("first errors:", errors[:10])
    if not args.no_write:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        body = f"""## Load while reindexing (issue 6)

`python bench/load.py` — gunicorn `-w {args.workers}` (sync workers) on 127.0.0.1 over the real
corpus ({after['documents']} documents), {args.clients} concurrent asyncio clients (in the same
2-core machine, so they compete with the server) for {elapsed:.0f} s, while two
`searchsvc reindex --full` runs published generations {before['generation'] + 1} and
{after['generation']}. Mix: 80% `/search.json` (Zipf over 500 title queries, 30% with a tag
filter), 10% `/search`, 10% `/suggest.json`; one request per connection. Measured {when};
{common.machine()}.

{common.table(["requests", "errors", "throughput", "p50", "p95", "p99", "max", "reindexes"], [[
    f"{n:,}", len(errors), f"{rps:.0f} req/s", f"{p(0.50):.1f} ms", f"{p(0.95):.1f} ms", f"{p(0.99):.1f} ms",
    f"{latencies[-1] * 1000:.0f} ms", ", ".join(f"{secs:.1f} s (exit {code})" for code, secs, _ in reindexes),
]])}

An error is any status but 200, a refused or broken connection, or a JSON body without
`ok: true`; the server log held {log.count('Traceback')} tracebacks.
"""
        common.write_section("load-issue-6", body)
        print("wrote BENCHMARKS.md section load-issue-6")
    sys.exit(1 if errors or any(code not in (0, 1) for code, _, _ in reindexes) else 0)


if __name__ == "__main__":
    main()
