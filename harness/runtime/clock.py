"""The runtime's sense of time, injectable: each Harness owns one, so a test can move it."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    """``monotonic()`` for waits and deadlines; ``time()`` (epoch seconds) for record arrival and age."""

    def monotonic(self) -> float: ...
    def time(self) -> float: ...


@dataclass(frozen=True)
class SystemClock:
    """The process's clocks; ``wall`` may be replaced (e.g. ``EngineOptions.clock``: a wall clock moved forward)."""

    wall: Callable[[], float] = time.time

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return self.wall()


SYSTEM_CLOCK = SystemClock()
