"""Each client address's share of a worker's CPU (issue 16, fair sharing).

nginx's rate limit counts requests, and a request can cost 1 ms or the whole
200 ms query budget: eight clients sending the most expensive queries at a
rate nginx allows kept both cores busy, and a normal search waited behind
them (p99 1.1 s).  So a worker also gives each client address (the one
ProxyFix took from nginx's X-Forwarded-For) ``client_cpu_ms`` of CPU a
second, saved up to ``client_cpu_burst_ms``; a client that has used its
share is answered 429 with Retry-After before any search is run, which
costs nothing, unless the worker has spare time for it (CpuShares).  (A
normal search costs 8-20 ms, a worst query 200-300 ms.)

A search still running counts as the whole query time limit, so one address
cannot get round its share by sending many searches at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from contextlib import contextmanager

from ..query.budget import on_expensive
from .errors import ServiceUnavailable

# Addresses remembered at most; past it, the ones with nothing in the window are dropped.
MAX_CLIENTS = 10_000


class OverShare(ServiceUnavailable):
    """A client address used its CPU share: 429 with Retry-After."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Buckets:
    """Token buckets of CPU seconds by key: each fills at ``rate`` a second up to ``burst``.

    A search is let in while its bucket is above zero, counting the searches
    it already has running as ``running_s`` each, and takes what it used when
    it ends (so the one that empties a bucket may take it below zero, and its
    key waits until it has refilled).  A new key starts full.
    """

    def __init__(self, rate: float, burst: float, running_s: float):
        self.rate, self.burst, self.running_s = rate, burst, running_s
        self.buckets: dict[str, list[float]] = {}  # key -> [CPU seconds left, at (monotonic)]
        self.running: dict[str, int] = {}

    def left(self, key: str, now: float) -> float:
        bucket = self.buckets.get(key)
        if bucket is None:
            return self.burst - self.running.get(key, 0) * self.running_s
        bucket[0], bucket[1] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate), now
        return bucket[0] - self.running.get(key, 0) * self.running_s

    def start(self, key: str, now: float) -> None:
        self.running[key] = self.running.get(key, 0) + 1
        if len(self.buckets) > MAX_CLIENTS:
            # a full bucket with nothing running is the same as none: forget it
            for other in [k for k in self.buckets if k not in self.running and self.left(k, now) >= self.burst]:
                del self.buckets[other]

    def end(self, key: str, cpu_s: float, now: float) -> None:
        left = self.left(key, now) + self.running_s
        self.running[key] -= 1
        if not self.running[key]:
            del self.running[key]
        self.buckets[key] = [left - cpu_s, now]


class CpuShares:
    """Each client address's share of one worker process, and the worker's spare time for the others.

    A client is let in as anyone while it is within its share and its recent
    searches were cheap.  One past its share, or whose searches cost more
    than EXPENSIVE_S each of late (the worst queries' 200-300 ms; a normal
    search costs 8-20), is let in only on the worker's spare time: such
    searches run one at a time and use at most POOL_SHARE of a core between
    them, else 429.  Absolute shares alone cannot do it: eight clients each
    allowed what a busy normal one uses took eight times that, more than
    this machine had; by cost, a client sending normal searches never waits
    for an expensive one to start, and at most one runs beside it.
    """

    def __init__(self, rate: float, burst: float, running_s: float):
        self.clients = Buckets(rate, burst, running_s)
        self.pool = Buckets(POOL_SHARE, running_s, running_s)
        self.cost: dict[str, float] = {}  # address -> its searches' recent CPU seconds each
        self.lock = threading.Lock()

    def admit(self, address: str) -> bool:
        """Let a search of ``address`` in (True: on the spare time), or raise OverShare."""
        now = time.monotonic()
        with self.lock:
            left = self.clients.left(address, now)
            spare = left <= 0 or self.cost.get(address, 0.0) > EXPENSIVE_S
            if spare and self.pool.left(POOL, now) <= 0:
                wait = -left / self.clients.rate if left <= 0 else 1 / POOL_SHARE * self.clients.running_s
                raise OverShare(
                    f"your address used its share of the search service's time ({self.clients.rate * 1000:g} CPU ms a second, "
                    f"searches of at most {EXPENSIVE_S * 1000:g} ms; setting client_cpu_ms); retry in a few seconds",
                    max(1, math.ceil(wait)),
                )
            self.clients.start(address, now)
            if spare:
                self.pool.start(POOL, now)
            if len(self.cost) > MAX_CLIENTS:
                self.cost = {a: c for a, c in self.cost.items() if a in self.clients.buckets}
            return spare

    def promote(self, address: str) -> None:
        """A search let in as anyone's has turned out expensive: onto the spare time, or OverShare."""
        now = time.monotonic()
        with self.lock:
            if self.pool.left(POOL, now) <= 0:
                raise OverShare(
                    f"this search costs more than {EXPENSIVE_S * 1000:g} CPU ms and the service is busy with others like it "
                    "(setting client_cpu_ms); retry in a few seconds",
                    max(1, math.ceil(self.clients.running_s / POOL_SHARE)),
                )
            self.pool.start(POOL, now)

    def done(self, address: str, cpu_s: float, spare: bool) -> None:
        now = time.monotonic()
        with self.lock:
            self.clients.end(address, cpu_s, now)
            if spare:
                self.pool.end(POOL, cpu_s, now)
            # halves with each search: one expensive search among normal ones is forgotten in two
            self.cost[address] = (self.cost.get(address, cpu_s) + cpu_s) / 2


# A search costing more than this (CPU seconds) is an expensive one.
EXPENSIVE_S = 0.05
# CPU seconds a second of each worker the searches of clients past their share may use between them.
POOL_SHARE = 0.1
POOL = "clients past their share"


_LOCK = threading.Lock()


def shares_of(extensions: dict, conf) -> CpuShares | None:
    rate_ms = conf.get("client_cpu_ms") or 0
    if rate_ms <= 0:
        return None
    with _LOCK:
        if "searchsvc_cpu_shares" not in extensions:
            burst_ms = max(conf.get("client_cpu_burst_ms") or 0, 1)
            running_ms = conf.get("query_time_limit_ms") or burst_ms
            extensions["searchsvc_cpu_shares"] = CpuShares(rate_ms / 1000.0, burst_ms / 1000.0, running_ms / 1000.0)
        return extensions["searchsvc_cpu_shares"]


@contextmanager
def cpu_share(extensions: dict, conf, address: str | None):
    """Refuse ``address`` past its share (OverShare), else count the CPU the block uses against it."""
    shares = shares_of(extensions, conf)
    if shares is None:
        yield
        return
    address = address or "-"
    spare = [shares.admit(address)]

    def promote():
        shares.promote(address)
        spare[0] = True

    started = time.thread_time()
    try:
        if spare[0]:
            yield
        else:
            with on_expensive(EXPENSIVE_S, promote):
                yield
    finally:
        shares.done(address, time.thread_time() - started, spare[0])
