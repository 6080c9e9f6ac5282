"""cProfile over bench_query.py's query mix: where a cache-missing query's time goes.

    python bench/profile_query.py [--factor 1] [--workdir DIR] [--queries 500] [--top 25] [--sort tottime]

The same 500 queries as bench_query.py, through the same calls
(``parse_args`` + ``search.run``, which never consults the result cache),
after one warm-up pass; the profile is of a second pass.  Prints the top
lines by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats

import common
from bench_query import corpus_and_index
from werkzeug.datastructures import MultiDict

from searchsvc.query import search as search_mod
from searchsvc.query.generation import IndexHandle
from searchsvc.query.request import parse_args


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--factor", type=int, default=1)
    ap.add_argument("--workdir")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    base, content, index_dir = corpus_and_index(args.factor, args.workdir)
    conf = common.settings(content_dir=str(content), index_dir=str(index_dir))
    docs = common.reference_parse(content, conf)
    queries = common.make_queries(docs[:1544], args.queries)
    handle = IndexHandle(index_dir, conf["facets"])
    gen = handle.acquire()

    def service(params):
        req = parse_args(MultiDict(params), conf, conf["facets"])
        return search_mod.run(gen, req, conf, "/search.json")

    for params in queries:  # warm-up, as bench_query.py
        service(params)
    profile = cProfile.Profile()
    profile.enable()
    for params in queries:
        service(params)
    profile.disable()
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(key).print_stats(args.top)
        print(out.getvalue())
    handle.release(gen)
    handle.close()


if __name__ == "__main__":
    main()
