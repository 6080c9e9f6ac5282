"""Clients sending the most expensive queries (tests/query/worst_queries.txt),
run in their own process (the attackers are other machines, not threads
competing with the measuring client for its interpreter):

    python -m tests.attackers PORT SECONDS ADDRESS [ADDRESS ...]

one client per ADDRESS (a loopback address of its own, so nginx's
per-client limit sees them apart), each sending its next worst query as
soon as the last one is answered (but at most MAX_RATE a second: more than
what nginx's limit lets through, so it is exceeded, while the 429s that
come back at once do not turn the attackers into a busy loop that takes a
core of this 2-core machine, which on the internet would be their own
machines' CPU), for SECONDS.  Every request asks for a
page no earlier request asked for, so none is answered from the answer
cache, as an attacker who wanted the CPU would do.  Prints
{"statuses": {"200": n, "429": n, ...}, "requests": n}.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

MAX_RATE = 12  # requests a second, each attacker
WORST = Path(__file__).resolve().parent / "query" / "worst_queries.txt"


def worst_queries() -> list[dict[str, str]]:
    """Each line of worst_queries.txt as its query parameters."""
    queries = []
    for line in WORST.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        q, _, extra = line.partition("\t")
        params = {"q": q}
        if extra:
            name, _, value = extra.partition("=")
            params[name] = value
        queries.append(params)
    return queries


def attack(port: int, address: str, seconds: float, offset: int, statuses: Counter, lock: threading.Lock) -> None:
    queries = worst_queries()
    end = time.monotonic() + seconds
    i = offset
    while time.monotonic() < end:
        started = time.monotonic()
        params = dict(queries[i % len(queries)], page=str(2 + i // len(queries)))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address, 0))
        try:
            conn.request("GET", "/search.json?" + urlencode(params))
            response = conn.getresponse()
            response.read()
            status = str(response.status)
        except OSError as exc:
            status = type(exc).__name__
        finally:
            conn.close()
        with lock:
            statuses[status] += 1
        i += 1
        time.sleep(max(0.0, 1.0 / MAX_RATE - (time.monotonic() - started)))


def main(argv: list[str]) -> None:
    port, seconds, addresses = int(argv[0]), float(argv[1]), argv[2:]
    statuses: Counter = Counter()
    lock = threading.Lock()
    threads = [threading.Thread(target=attack, args=(port, a, seconds, k * 3, statuses, lock)) for k, a in enumerate(addresses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"statuses": dict(sorted(statuses.items())), "requests": sum(statuses.values())}))


if __name__ == "__main__":
    main(sys.argv[1:])
