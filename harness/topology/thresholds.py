"""The SLOs of a load run on a topology: the ``thresholds:`` block of a topology file.

Not an AWS resource: ``harness load`` checks them on the run's figures (and its options override
them, one by one); every other command ignores them. Each one left out is not checked.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from harness.topology.errors import ValidationException

#: each threshold's upper limit (None: none)
_MAX = {"min_events_per_s": None, "max_p99_ms": None, "max_error_ratio": 1.0}


@dataclass(frozen=True)
class Thresholds:
    """``min_events_per_s``: accepted writes per second, from the load's first call to the end of the final
    drain, at least this. ``max_p99_ms``: write -> handler p99 at most this. ``max_error_ratio``: failed
    calls / calls at most this (0-1)."""

    min_events_per_s: float | None = None
    max_p99_ms: float | None = None
    max_error_ratio: float | None = None

    def __post_init__(self) -> None:
        for name, high in _MAX.items():
            value = getattr(self, name)
            if value is None:
                continue
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
                and value >= 0 and (high is None or value <= high)
            if not ok:
                allowed = "a number >= 0" if high is None else f"a number between 0 and {high:g}"
                raise ValidationException(f"{name} must be {allowed}, got {value!r}", parameter=name)

    def override(self, **values: float | None) -> Thresholds:
        """These thresholds with each value that is not None replacing its own (options over the file)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def items(self) -> list[tuple[str, float]]:
        """The thresholds that are set, as (name, bound)."""
        return [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.items())


__all__ = ["Thresholds"]
