"""Tumbling windows: fixed, aligned intervals of TumblingWindowInSeconds, by record arrival time."""
from __future__ import annotations

from datetime import UTC, datetime


def window_of(arrival: float, seconds: int) -> tuple[float, float]:
    """The [start, end) window an arrival time (epoch seconds) falls in."""
    start = (arrival // seconds) * seconds
    return start, start + seconds


def iso(epoch: float) -> str:
    """AWS writes window bounds like 2020-07-30T17:00:00Z."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
