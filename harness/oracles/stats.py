"""Small pure statistics for reports (no numpy needed for a few percentiles)."""
from __future__ import annotations

import math
from fractions import Fraction
from collections.abc import Iterable, Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    rank = max(1, math.ceil(Fraction(str(q)) * len(sorted_values) / 100))  # exact: no float rounding
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def percentiles(values: Iterable[float], qs: Sequence[float] = (50, 95, 99), digits: int = 2) -> dict[str, float] | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return {f"p{q:g}": round(percentile(ordered, q), digits) for q in qs}
