"""Proof that the service's parse gives the reference parse's documents, on the real corpus.

    python bench/check_parse_fast.py [--repeat 3]

Every post is parsed by ``load_post(..., reference=True)`` (plain
Python-Markdown + BeautifulSoup: what the FTS5 peer uses) and by the
service's ``load_post`` (Markdown with only the inline patterns a post can
trigger, HTML text without a tree); the two Documents must be equal field by
field (title, summary, body, date, url, facets, warnings) and so must the
errors of posts that cannot be indexed.  Then both parses are timed,
interleaved, and the medians printed.  Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import sys
import time

import common
from searchsvc.ingest.document import PostError, Unpublished
from searchsvc.ingest.post import load_post
from searchsvc.ingest.walk import iter_post_paths


def parse_one(path, conf, reference):
    try:
        return load_post(path, common.CORPUS, conf, reference=reference)
    except (PostError, Unpublished) as exc:
        return f"{type(exc).__name__}: {exc}"


def parse_all(paths, conf, reference):
    started, cpu = time.perf_counter(), time.process_time()
    results = [parse_one(p, conf, reference) for p in paths]
    return time.perf_counter() - started, time.process_time() - cpu, results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    conf = common.settings(content_dir=str(common.CORPUS))
    paths = list(iter_post_paths(common.CORPUS))
    times = {"reference": [], "service": [], "reference cpu": [], "service cpu": []}
    for r in range(args.repeat):
        t_ref, cpu_ref, expected = parse_all(paths, conf, True)
        t_fast, cpu_fast, got = parse_all(paths, conf, False)
        times["reference"].append(t_ref)
        times["service"].append(t_fast)
        times["reference cpu"].append(cpu_ref)
        times["service cpu"].append(cpu_fast)
        print(
            f"round {r + 1}: reference {t_ref:.2f} s (cpu {cpu_ref:.2f} s), service {t_fast:.2f} s (cpu {cpu_fast:.2f} s)",
            flush=True,
        )
    same = different = 0
    for path, a, b in zip(paths, expected, got):
        if a == b:
            same += 1
        else:
            different += 1
            if different <= 5:
                print(f"DIFFERENT: {path}", file=sys.stderr)
    med = {k: common.median(v) for k, v in times.items()}
    print(
        f"{len(paths)} posts: {same} identical, {different} different; medians of {args.repeat} interleaved rounds: "
        f"reference parse {med['reference']:.2f} s (cpu {med['reference cpu']:.2f} s), "
        f"service parse {med['service']:.2f} s (cpu {med['service cpu']:.2f} s); "
        f"service/reference {med['service'] / med['reference']:.2f}x wall, {med['service cpu'] / med['reference cpu']:.2f}x cpu"
    )
    if different:
        sys.exit(1)


if __name__ == "__main__":
    main()
