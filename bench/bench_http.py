"""HTTP: gunicorn (2 workers) on loopback, 16 concurrent clients (wrk), a Zipf query mix.

    python bench/bench_http.py [--factor 1] [--workdir DIR] [--duration 20] [--analytics on|off] [--no-write]

Needs `wrk` (Debian package wrk).  The app is bench/app_with_noop.py: the
product app plus /noop.json, a no-op JSON endpoint through the same Flask
app and gunicorn stack, measured in the same run as the floor.  The search
requests are a Zipf (s=1) stream over 500 realistic queries, 30% of them
with a tag filter, replayed in the same order by each wrk connection.
Targets (issue 5): /search.json throughput >= 0.5x /noop.json; p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import common
from bench_query import corpus_and_index

LUA = r"""
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local counter = 0
local offset = 0
setup = function(thread) thread:set("offset", counter * 131); counter = counter + 1 end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[((i + offset) %% #paths) + 1])
end
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_wrk(out: str) -> dict:
    def dur(text: str) -> float:
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pcts = {p: dur(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": int(re.search(r"(\d+) requests in", out).group(1)), "rps": rps, "p50": pcts["50"], "p99": pcts["99"], "non2xx": int(errors.group(1)) if errors else 0}


def run_wrk(url: str, script: Path, duration: int, connections: int, threads: int) -> dict:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    return parse_wrk(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--factor", type=int, default=1)
    ap.add_argument("--workdir")
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=60, help="seconds of the search mix before measuring (reported as cold start)")
    ap.add_argument("--analytics", choices=("on", "off"), default="on", help="SEARCHSVC_ANALYTICS for the server (on: the default, every search counted)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    machine = common.machine()
    base, content, index_dir = corpus_and_index(args.factor, Path(args.workdir) if args.workdir else None)
    conf = common.settings(content_dir=str(content))
    docs = common.reference_parse(common.CORPUS, conf)
    queries = common.make_queries(docs, 500)
    stream = common.zipf_stream(queries, 20000)
    tmp = Path(tempfile.mkdtemp(prefix="searchsvc-http-"))
    search_paths, noop_paths = tmp / "search.txt", tmp / "noop.txt"
    search_paths.write_text("\n".join("/search.json?" + urlencode(p) for p in stream) + "\n")
    noop_paths.write_text("\n".join("/noop.json?" + urlencode(p) for p in stream) + "\n")
    scripts = {}
    for name, paths in (("search", search_paths), ("noop", noop_paths)):
        scripts[name] = tmp / f"{name}.lua"
        scripts[name].write_text(LUA % paths)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env["SEARCHSVC_INDEX_DIR"] = str(index_dir)
    env["SEARCHSVC_ANALYTICS"] = "true" if args.analytics == "on" else "false"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--chdir", str(common.REPO / "bench"),
         "--log-level", "warning", "app_with_noop:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).read()
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start: " + server.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        # Cold start: both workers open the generation and fill their result
        # caches; reported on its own, then the steady state is measured.
        cold = run_wrk(url, scripts["search"], args.warmup, args.connections, 2)
        print("cold", cold, flush=True)
        run_wrk(url, scripts["noop"], 2, args.connections, 2)
        results = {"search": [], "noop": []}
        for r in range(args.rounds):
            for name in ("noop", "search"):
                results[name].append(run_wrk(url, scripts[name], args.duration, args.connections, 2))
                print(r, name, results[name][-1], flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    med = {name: {k: common.median([x[k] for x in v]) for k in v[0]} for name, v in results.items()}
    ratio = med["search"]["rps"] / med["noop"]["rps"]
    rows = [
        ["/noop.json (floor: same app and stack)", f"{med['noop']['rps']:.0f}", f"{med['noop']['p50']:.1f} ms", f"{med['noop']['p99']:.1f} ms", "1.00x"],
        [f"/search.json, cold start: the first {args.warmup} s, caches filling", f"{cold['rps']:.0f}", f"{cold['p50']:.1f} ms", f"{cold['p99']:.1f} ms", f"{cold['rps'] / med['noop']['rps']:.2f}x"],
        ["**/search.json** steady state (Zipf mix, 30% filtered)", f"{med['search']['rps']:.0f}", f"{med['search']['p50']:.1f} ms", f"**{med['search']['p99']:.1f} ms**", f"**{ratio:.2f}x**"],
    ]
    label = "real corpus" if args.factor == 1 else f"x{args.factor} corpus"
    cmd = "python bench/bench_http.py" + (f" --factor {args.factor} --workdir {args.workdir}" if args.factor != 1 else "")
    body = (
        f"### HTTP, {label}\n\n`{cmd}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine}. "
        f"gunicorn {args.workers} sync workers on 127.0.0.1, wrk with {args.connections} connections (2 threads, "
        f"on the same 2 cores), {args.duration} s per run after a {args.warmup} s cold start, medians of {args.rounds} alternating runs; "
        f"analytics {args.analytics}; non-2xx responses: {sum(x['non2xx'] for v in results.values() for x in v)}.\n\n"
        + common.table(["endpoint", "requests/s", "p50", "p99", "throughput vs no-op"], rows)
    )
    print(body)
    if not args.no_write:
        common.write_section(f"http-x{args.factor}", body)


if __name__ == "__main__":
    main()
