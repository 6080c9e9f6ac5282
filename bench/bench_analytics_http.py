"""Search analytics through HTTP: throughput and the workers' CPU per search, analytics on against off.

    python bench/bench_analytics_http.py [--rounds 5] [--duration 10] [--no-write]

Two gunicorn servers (2 sync workers each) on one index of the real 2017
corpus, SEARCHSVC_ANALYTICS=true on one and false on the other; wrk (16
connections) runs bench_http.py's Zipf mix (500 realistic queries, 30% with a
tag filter: mostly result-cache hits after the warm-up) against one server at
a time, alternating which goes first.  Reported: requests/s, and the CPU the
server's workers used per answered request (utime + stime from /proc, the
analytics writer thread included).  On a CPU-bound server the second is
what sets throughput, and it is much less disturbed than requests/s by
whatever else runs on the shared cores.  Needs `wrk`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import common
from bench_http import LUA, free_port, run_wrk
from bench_query import corpus_and_index

TICKS = os.sysconf("SC_CLK_TCK")


def workers_cpu(master: int) -> float:
    """CPU seconds used so far by the children (the workers) of gunicorn's master."""
    total = 0.0
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def start(index_dir: Path, analytics: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env.update(SEARCHSVC_INDEX_DIR=str(index_dir), SEARCHSVC_ANALYTICS="true" if analytics else "false")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "searchsvc.wsgi:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2).read()
            return server, url
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not start: " + server.stderr.read().decode()[-2000:])
            time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", help="keep the index here between runs")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=15)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    machine = common.machine()
    _, content, index_dir = corpus_and_index(1, args.workdir)
    docs = common.reference_parse(common.CORPUS, common.settings(content_dir=str(content)))
    stream = common.zipf_stream(common.make_queries(docs, 500), 20000)
    tmp = Path(tempfile.mkdtemp(prefix="searchsvc-analytics-http-"))
    (tmp / "search.txt").write_text("\n".join("/search.json?" + urlencode(p) for p in stream) + "\n")
    script = tmp / "search.lua"
    script.write_text(LUA % (tmp / "search.txt"))
    servers = {mode: start(index_dir, mode == "on") for mode in ("on", "off")}
    runs = {mode: [] for mode in servers}
    try:
        for mode, (_, url) in servers.items():
            run_wrk(url, script, args.warmup, 16, 2)  # open the generation, fill the result caches
        for r in range(args.rounds):
            for mode in (("on", "off") if r % 2 == 0 else ("off", "on")):
                server, url = servers[mode]
                before = workers_cpu(server.pid)
                result = run_wrk(url, script, args.duration, 16, 2)
                time.sleep(1.0)  # the analytics writer's last batch of the run
                result["cpu_ms"] = (workers_cpu(server.pid) - before) / result["requests"] * 1000
                runs[mode].append(result)
                print(r, mode, result, flush=True)
    finally:
        for server, _ in servers.values():
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    med = {mode: {k: common.median([x[k] for x in v]) for k in v[0]} for mode, v in runs.items()}
    rows = [
        [f"analytics {mode}", f"{med[mode]['rps']:.0f}", f"{med[mode]['p50']:.1f} / {med[mode]['p99']:.1f} ms", f"{med[mode]['cpu_ms']:.3f}"]
        for mode in ("off", "on")
    ]
    rps_change = med["on"]["rps"] / med["off"]["rps"] - 1
    cpu_change = med["on"]["cpu_ms"] / med["off"]["cpu_ms"] - 1
    body = (
        "### Through HTTP: throughput with analytics on and off\n\n"
        f"`python bench/bench_analytics_http.py --rounds {args.rounds} --duration {args.duration}` — "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine}; "
        f"load average {os.getloadavg()[0]:.2f} at the end. Two gunicorn servers (2 sync workers each), wrk 16 connections on "
        f"bench_http.py's Zipf mix against one at a time, {args.duration} s runs, medians of {args.rounds} alternating rounds.\n\n"
        + common.table(["server", "requests/s", "p50 / p99", "workers' CPU per request (ms)"], rows)
        + f"\n\nAnalytics on: requests/s {rps_change * 100:+.1f}%, CPU per request {cpu_change * 100:+.1f}% "
        f"(throughput of a CPU-bound server: {(1 / (1 + cpu_change) - 1) * 100:+.1f}%).\n"
    )
    print(body)
    if not args.no_write:
        common.write_section("analytics-http-issue-12", body)


if __name__ == "__main__":
    main()
