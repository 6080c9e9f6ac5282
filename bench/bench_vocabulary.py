"""The stored vocabulary at scale: a fresh app's first typo and type-ahead requests, its load time (median of 5), and with a second argument the former rebuild from every stored post.

    python bench/bench_vocabulary.py INDEX_DIR [--rebuild]

INDEX_DIR is an index folder, e.g. the one bench/bench_scale.py builds
(/tmp/searchsvc-scale/index-100000).  Prints one JSON line (two with
--rebuild) with the load average.
"""
import json, os, statistics, sys, time
from pathlib import Path
from searchsvc import create_app
from searchsvc.query import suggest
from searchsvc.index.whoosh_internals import open_index
ix = sys.argv[1]
app = create_app({"index_dir": ix, "TESTING": True})
client = app.test_client()
# "informtion": a typo in neither the real corpus nor bench_scale's synthetic one
# (which draws its words from the real corpus, "goverment" included: a word
# there, never corrected, so it measured no vocabulary).
t = time.perf_counter(); r = client.get("/search.json", query_string={"q": "informtion"}); first = time.perf_counter() - t
t = time.perf_counter(); s = client.get("/suggest.json", query_string={"q": "govern"}); sugg = time.perf_counter() - t
handle = app.extensions["searchsvc"]; gen = handle.acquire()
loads = []
for _ in range(5):
    t = time.perf_counter(); v = suggest._build(gen); loads.append(time.perf_counter() - t)
out = {"first_typo_request_s": first, "corrected_query": r.get_json().get("corrected_query"), "then_suggest_s": sugg,
       "suggestions": [x["text"] for x in s.get_json()["suggestions"]][:3], "stored_load_median_s": statistics.median(loads), "loads": loads,
       "words": len(v.sorted_words), "titles": len(v.titles), "file_bytes": (gen.path / "vocabulary.bin").stat().st_size, "load_avg": os.getloadavg()[0]}
print(json.dumps(out), flush=True)
if len(sys.argv) > 2:
    _, searcher = open_index(gen.path)
    t = time.perf_counter(); suggest._build_from(gen, searcher.reader()); out["former_rebuild_s"] = time.perf_counter() - t
    searcher.close(); out["load_avg_end"] = os.getloadavg()[0]
    print(json.dumps(out), flush=True)
handle.release(gen); handle.close()
