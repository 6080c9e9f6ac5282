"""Scale: synthetic corpora of 10k and 100k posts, built and queried by the service.

    python bench/bench_scale.py --sizes 10000,100000 [--workdir /tmp/searchsvc-scale] [--reuse] [--queries 300]

Posts are Markdown with YAML front matter; body lengths follow the real
corpus (lognormal, median 530 words, p90 1,040); words are drawn Zipf-wise
from the real corpus's vocabulary; tags Zipf over 300 values (1-5 a post),
one of 12 categories, 1-2 of 150 authors.  Corpora and indexes live in
--workdir (a temp folder, never the repository); --reuse keeps a corpus and
index built by an earlier run and measures the queries again.

Per size: build time (`reindex(full=True)`, parse included), index size on
disk, in-process query p50/p95 (the service's full response) over a Zipf
mix of --queries queries, 30% with a tag filter, and the memory of a worker
process that has opened the generation and answered them (peak RSS).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import common
from searchsvc.index.build import reindex

WORKER = r"""
import json, sys, time, resource
sys.path.insert(0, sys.argv[1])
from searchsvc import create_app
queries = json.load(open(sys.argv[3]))
rss0 = int(open('/proc/self/statm').read().split()[1]) * 4096
app = create_app({"index_dir": sys.argv[2], "TESTING": True})
client = app.test_client()
# The first request opens the generation (facet tables, field statistics);
# the vocabulary for typo corrections and type-ahead is built meanwhile by a
# background thread; a rare word ("warmup") needs it: it waits a few seconds
# at most, then is answered without typo corrections.
from searchsvc.query import suggest
started = time.perf_counter()
client.get("/search.json", query_string=queries[0])
t_open = time.perf_counter() - started
t0 = time.perf_counter()
client.get("/search.json", query_string={"q": "warmup"})
t_rare = time.perf_counter() - t0
handle = app.extensions["searchsvc"]
gen = handle.acquire()
suggest.vocabulary(gen)
handle.release(gen)
t_vocab = time.perf_counter() - started
times = []
for params in queries:
    started = time.perf_counter()
    r = client.get("/search.json", query_string=params)
    times.append(time.perf_counter() - started)
    assert r.status_code == 200, r.data
# The same requests with the result cache emptied before each: what a miss costs.
handle = app.extensions["searchsvc"]
distinct = list({json.dumps(p, sort_keys=True): p for p in queries}.values())
misses = []
for params in distinct:
    gen = handle.acquire()
    gen.cache.clear()
    handle.release(gen)
    started = time.perf_counter()
    r = client.get("/search.json", query_string=params)
    misses.append(time.perf_counter() - started)
    assert r.status_code == 200, r.data
statm = open('/proc/self/statm').read().split()
rss = int(statm[1]) * 4096
private = (int(statm[1]) - int(statm[2])) * 4096  # resident minus file-backed pages shared with other workers
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"times": times, "misses": misses, "rss": rss, "private": private, "rss_before_app": rss0, "peak": peak, "open_s": t_open, "rare_s": t_rare, "vocab_s": t_vocab}))
"""


def vocabulary() -> list[str]:
    counts: dict[str, int] = {}
    for path in common.CORPUS.glob("*.md"):
        body = path.read_text(encoding="utf-8", errors="replace").split("---", 2)[-1]
        for word in re.findall(r"[A-Za-z][a-z]{2,14}", body):
            w = word.lower()
            counts[w] = counts.get(w, 0) + 1
    return [w for w, _ in sorted(counts.items(), key=lambda kv: -kv[1])]


def generate(folder: Path, n: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    vocab = vocabulary()
    cum = []
    total = 0.0
    for r in range(1, len(vocab) + 1):
        total += 1 / r
        cum.append(total)
    tag_names = [f"{rng.choice(vocab[:3000]).capitalize()} {i}" for i in range(300)]
    tag_weights = [1 / r for r in range(1, 301)]
    categories = [f"Category {i}" for i in range(12)]
    authors = [f"author{i}" for i in range(150)]

    def words(k: int) -> list[str]:
        return rng.choices(vocab, cum_weights=cum, k=k)

    for i in range(n):
        length = max(20, int(math.exp(rng.gauss(math.log(530), 0.525))))
        body_words = words(length)
        paras, pos = [], 0
        while pos < len(body_words):
            step = rng.randint(40, 120)
            chunk = " ".join(body_words[pos : pos + step])
            kind = rng.random()
            if kind < 0.1:
                paras.append("## " + " ".join(body_words[pos : pos + 4]).capitalize())
            elif kind < 0.2:
                paras.append("\n".join("- " + " ".join(body_words[pos + j : pos + j + 6]) for j in range(0, min(step, 30), 6)))
            else:
                paras.append(chunk.capitalize() + ".")
            pos += step
        title = " ".join(words(rng.randint(3, 9))).capitalize()
        tags = sorted(set(rng.choices(tag_names, weights=tag_weights, k=rng.randint(1, 5))))
        year = 2010 + i % 8
        date = f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00 -0400"
        front = {
            "title": title,
            "date": date,
            "summary": " ".join(words(25)).capitalize() + ".",
            "authors": rng.sample(authors, rng.randint(1, 2)),
            "categories": [rng.choice(categories)],
            "tags": tags,
        }
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        text = "---\n" + "\n".join(f"{k}: {json.dumps(v)}" for k, v in front.items()) + "\n---\n\n" + "\n\n".join(paras) + "\n"
        (sub / f"{year}-post-{i:06d}.md").write_text(text, encoding="utf-8")


def common_commit() -> str:
    return subprocess.run(["git", "-C", str(common.REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--workdir", default="/tmp/searchsvc-scale")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    machine = common.machine()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    results_file = work / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    for n in [int(s) for s in args.sizes.split(",")]:
        content, index_dir = work / f"posts-{n}", work / f"index-{n}"
        entry = results.get(str(n), {})
        if not (args.reuse and (index_dir / "current").exists()):
            if not content.exists():
                t = time.perf_counter()
                generate(content, n)
                print(f"{n}: generated in {time.perf_counter() - t:.0f} s", flush=True)
            conf = common.settings(content_dir=str(content))
            t = time.perf_counter()
            report = reindex(content, index_dir, conf, full=True)
            entry["build_s"] = time.perf_counter() - t
            entry["documents"] = report.documents
            entry["built_with"] = common_commit()
            print(f"{n}: built in {entry['build_s']:.0f} s", flush=True)
        gen = (index_dir / "current").resolve()
        entry["index_bytes"] = du(gen)
        conf = common.settings(content_dir=str(content))
        sample = common.reference_parse(content / "000", conf)
        queries = common.zipf_stream(common.make_queries(sample, 500), args.queries)
        qfile = work / f"queries-{n}.json"
        qfile.write_text(json.dumps(queries))
        out = subprocess.run([sys.executable, "-c", WORKER, str(common.REPO), str(index_dir), str(qfile)], capture_output=True, text=True, check=True)
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        times = measured["times"]
        misses = measured["misses"]
        entry.update(p50_ms=1000 * common.median(times), p95_ms=1000 * common.pct(times, 95), open_s=measured["open_s"], vocab_s=measured["vocab_s"], rare_s=measured["rare_s"],
                     miss_p50_ms=1000 * common.median(misses), miss_p95_ms=1000 * common.pct(misses, 95), distinct=len(misses),
                     rss_mb=measured["rss"] / 2**20, private_mb=measured["private"] / 2**20, peak_mb=measured["peak"] / 2**20,
                     base_mb=measured["rss_before_app"] / 2**20, queried_with=common_commit())
        results[str(n)] = entry
        results_file.write_text(json.dumps(results, indent=1))
        print(n, {k: (round(v, 2) if isinstance(v, float) else v) for k, v in entry.items()}, flush=True)
    for n, e in sorted(results.items(), key=lambda kv: int(kv[0])):
        rows.append([f"{int(n):,}", f"{e.get('build_s', float('nan')):.0f} s", f"{e['index_bytes'] / 2**20:.0f} MB",
                     f"{e['open_s'] * 1000:.0f} ms", f"{e['rare_s']:.1f} s" if "rare_s" in e else "n/a", f"{e['vocab_s']:.1f} s" if "vocab_s" in e else "n/a", f"{e['p50_ms']:.1f} ms", f"{e['p95_ms']:.1f} ms",
                     f"{e['miss_p50_ms']:.1f} ms" if "miss_p50_ms" in e else "n/a", f"{e['miss_p95_ms']:.1f} ms" if "miss_p95_ms" in e else "n/a",
                     f"{e['rss_mb']:.0f} MB (peak {e['peak_mb']:.0f})",
                     f"{e['private_mb']:.0f} MB" if "private_mb" in e else "n/a", e.get("built_with", ""), e.get("queried_with", "")])
    body = (
        "### Scale: synthetic corpora\n\n"
        f"`python bench/bench_scale.py --sizes {args.sizes} --queries {args.queries}` — "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine}.\n"
        "Build = `reindex(full=True)` including the parse; query = the full /search.json response through "
        "the Flask test client (Zipf mix, 30% with a tag filter; then each distinct query once more with the "
        "result cache emptied before it: the cost of a miss); the first query opens the generation "
        "(a common query); a rare word then needs the vocabulary for typo corrections, built by a background "
        "thread since the generation opened: it waits for it at most 5 s, then is answered without corrections; "
        "the vocabulary is ready after the time shown (from the first request); memory = resident size of that worker process after the "
        "queries (interpreter + Flask + the open generation), and its private part (resident minus the index "
        "pages it maps, which the page cache shares between workers).\n\n"
        + common.table(["posts", "build", "index size", "first query (opens generation)", "a rare word meanwhile", "vocabulary ready after", "query p50 (Zipf, cache on)", "query p95 (cache on)",
                        "miss p50 (cache emptied)", "miss p95",
                        "worker memory", "worker private", "built by commit", "queried by commit"], rows)
    )
    print(body)
    if not args.no_write:
        common.write_section("scale", body)


if __name__ == "__main__":
    main()
