"""How long the worst queries run before their first look at the deadline, and in all (query/budget.py).

    python bench/bench_deadline.py INDEX_DIR [ROUNDS]

In-process, uncached, with the default settings (``query_time_limit_ms``
200): for each query of tests/query/worst_queries.txt, the median over
ROUNDS (default 5) of its CPU time and of the CPU time it had spent when it
first asked ``Deadline.expired()``.  The limit can only hold from that
first look on.  Runs unchanged on another checkout (``PYTHONPATH``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from werkzeug.datastructures import MultiDict

from searchsvc import settings as settings_mod
from searchsvc.query import budget, search
from searchsvc.query.generation import IndexHandle
from searchsvc.query.request import InvalidParameter, parse_args

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.query.test_cost import worst_queries as worst  # noqa: E402  (tests/query/worst_queries.txt, parsed)


def main(index_dir: str, rounds: int) -> None:
    settings = dict(settings_mod.DEFAULTS, index_dir=index_dir)
    handle = IndexHandle(Path(index_dir), tuple(settings["facets"]))
    gen = handle.acquire()
    first: list[float | None] = [None]
    expired = budget.Deadline.expired

    def spy(self):
        if first[0] is None:
            first[0] = budget._charged_time() - self.started
        return expired(self)

    budget.Deadline.expired = spy
    try:
        for q, per_page in [("goverment", 10)] + worst():
            costs, firsts, outcome = [], [], ""
            for _ in range(rounds):
                req = parse_args(MultiDict({"q": q, "per_page": str(per_page)}), settings, settings["facets"])
                first[0] = None
                started = time.thread_time()
                try:
                    result = search.run(gen, req, settings, "/search.json")
                    outcome = "truncated" if result["truncated"] else "complete"
                except InvalidParameter:
                    outcome = "400"
                costs.append(time.thread_time() - started)
                firsts.append(first[0] if first[0] is not None else costs[-1])
            print(f"{statistics.median(firsts) * 1000:7.0f} ms to the first check, {statistics.median(costs) * 1000:6.0f} ms in all, "
                  f"{outcome:9}  {q[:70]}{'' if per_page == 10 else '  (per_page=100)'}")
    finally:
        budget.Deadline.expired = expired
        handle.release(gen)
        handle.close()
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
