"""Arrays of 64-bit codes (high << 32 | low) renumbered half by half without NumPy.

A reindex of one post renumbers the stored vocabulary's codes (vocabulary.py):
a new word moves every word after it up by one, a new title every title
after it.  Such a renumbering is a step function, old number i -> i plus the
count of "steps" at or below i, so it is done on the whole array read as one
Python integer of 64-bit lanes: per step, add (2**32 - step) to each lane's
half and keep the carry, which is 1 exactly where the half is >= step.  A
few big-integer operations over ~1 MB cost far less than a pass in Python
over 126,000 codes; many steps (a large run) go through ``map`` instead.
"""

from __future__ import annotations

import sys
from array import array

MOST_STEPS = 24  # beyond this many steps, one pass through map() is cheaper


def _table(found: list[int], codes: array, shift: int) -> list[int] | None:
    """old number -> new number for every number a half of ``codes`` holds, from the steps (sorted); None: kept."""
    if not found:
        return None
    top = max((c >> shift) & 0xFFFFFFFF for c in codes) + 1 if codes else 0
    table, start = [], 0
    for up, at in enumerate(found):
        table.extend(range(start + up, max(at, start) + up))
        start = max(at, start)
    table.extend(range(start + len(found), max(top, start) + len(found)))
    return table


def remap(codes: array, high: list[int], low: list[int]) -> array:
    """``codes`` (array "q", every half < 2**31) with each half moved up by its steps (old i -> i + steps <= i)."""
    if not high and not low:
        return codes
    if sys.byteorder != "little" or len(high) > MOST_STEPS or len(low) > MOST_STEPS:
        return mapped(codes, _table(high, codes, 32), _table(low, codes, 0))
    plan = [(32, high), (0, low)]
    count = len(codes)
    whole = int.from_bytes(codes.tobytes(), "little")
    ones = int.from_bytes(b"\x01\0\0\0\0\0\0\0" * count, "little")
    halves = ones * 0xFFFFFFFF
    added = 0
    for shift, found in plan:
        if found:
            half, more = (whole >> shift) & halves, 0
            for step in found:
                more += ((half + ones * ((1 << 32) - step)) >> 32) & ones
            added += more << shift
    out = array("q")
    out.frombytes((whole + added).to_bytes(8 * count, "little"))
    return out


def mapped(codes: array, high: list[int] | None, low: list[int] | None) -> array:
    """``codes`` with each half looked up in its table (None: kept), through memoryviews with map() in C."""
    halves = memoryview(codes).cast("B").cast("I")
    out = bytearray(len(codes) * 8)
    into = memoryview(out).cast("I")
    first = 0 if sys.byteorder == "little" else 1  # where the low half lies
    for at, table in ((first, low), (1 - first, high)):
        part = halves[at::2]
        into[at::2] = part if table is None else array("I", map(table.__getitem__, part))
    numbers = array("q")
    numbers.frombytes(out)
    return numbers
