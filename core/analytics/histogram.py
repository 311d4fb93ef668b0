"""Durations kept as counts per bucket, so days merge and any range has percentiles.

A day's row cannot keep every duration, and percentiles of days do not make
the percentile of their range; a fixed histogram does. A percentile is
reported as the upper bound of the bucket the rank falls in ("p50 <= 30 s"):
exact when durations sit on the bounds, at most one bucket high otherwise.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping

#: Upper bounds of the buckets, in seconds; past the last, the last open bucket.
BOUNDS: tuple[float, ...] = (
    1,
    2,
    3,
    5,
    8,
    10,
    15,
    20,
    30,
    45,
    60,
    90,
    120,
    180,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    14400,
    28800,
    86400,
)
OVER = len(BOUNDS)


def bucket(seconds: float) -> int:
    """The index of the bucket of a duration (negative durations count as 0)."""
    return bisect_left(BOUNDS, max(seconds, 0.0))


def of(durations: Iterable[float]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in durations:
        key = str(bucket(d))
        counts[key] = counts.get(key, 0) + 1
    return counts


def merge(into: dict[str, int], other: Mapping[str, int]) -> dict[str, int]:
    for key, n in other.items():
        into[key] = into.get(key, 0) + int(n)
    return into


def percentile(counts: Mapping[str, int], q: float) -> float | None:
    """The upper bound (seconds) of the bucket holding the ``q`` quantile; None when empty.
    Past the last bound: ``math.inf`` is never returned, the last bound doubled is."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for index in range(OVER + 1):
        seen += counts.get(str(index), 0)
        if seen >= rank:
            return float(BOUNDS[index]) if index < OVER else BOUNDS[-1] * 2
    return None  # pragma: no cover - the loop covers every bucket
