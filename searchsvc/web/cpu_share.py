"""Each client address's share of a worker's CPU (issue 16, fair sharing).

nginx's rate limit counts requests, and a request can cost 1 ms or the whole
200 ms query budget: eight clients sending the most expensive queries at a
rate nginx allows kept both cores busy, and a normal search waited behind
them (p99 1.1 s).  So a worker also gives each client address (the one
ProxyFix took from nginx's X-Forwarded-For) ``client_cpu_ms`` of CPU a
second, saved up to ``client_cpu_burst_ms``; a client that has used its
share is answered 429 with Retry-After before any search is run, which
costs nothing.  (A normal search costs 8-20 ms, a worst query 200-300 ms.)

A search still running counts as the whole query time limit, so one address
cannot get round its share by sending many searches at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from contextlib import contextmanager

from .errors import ServiceUnavailable

# Addresses remembered at most; past it, the ones with nothing in the window are dropped.
MAX_CLIENTS = 10_000


class OverShare(ServiceUnavailable):
    """A client address used its CPU share: 429 with Retry-After."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class CpuShares:
    """A token bucket of CPU seconds per client address, for one worker process.

    A bucket fills at ``rate`` CPU seconds a second up to ``burst``; a search
    is admitted while its client's bucket is above zero and takes what it
    used (so the one that empties it may take it below zero, and the client
    waits until it has refilled).  A new address starts full.
    """

    def __init__(self, rate: float, burst: float, running_s: float):
        self.rate, self.burst, self.running_s = rate, burst, running_s
        self.buckets: dict[str, list[float]] = {}  # address -> [CPU seconds left, at (monotonic)]
        self.running: dict[str, int] = {}
        self.lock = threading.Lock()

    def _left(self, address: str, now: float) -> float:
        bucket = self.buckets.get(address)
        if bucket is None:
            return self.burst
        bucket[0], bucket[1] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate), now
        return bucket[0]

    def admit(self, address: str) -> None:
        now = time.monotonic()
        with self.lock:
            left = self._left(address, now) - self.running.get(address, 0) * self.running_s
            if left <= 0:
                raise OverShare(
                    f"your address used its share of the search service's time ({self.rate * 1000:g} CPU ms a second; "
                    "setting client_cpu_ms); retry in a few seconds",
                    max(1, math.ceil(-left / self.rate)),  # refilled by then (its running searches counted as finished)
                )
            self.running[address] = self.running.get(address, 0) + 1
            if len(self.buckets) > MAX_CLIENTS:
                # a full bucket is the same as none: forget it
                for other in [a for a in self.buckets if self._left(a, now) >= self.burst]:
                    del self.buckets[other]

    def done(self, address: str, cpu_s: float) -> None:
        now = time.monotonic()
        with self.lock:
            self.running[address] -= 1
            if not self.running[address]:
                del self.running[address]
            left = self._left(address, now)
            self.buckets[address] = [left - cpu_s, now]


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
    shares.admit(address)
    started = time.thread_time()
    try:
        yield
    finally:
        shares.done(address, time.thread_time() - started)
