"""What EventBridge target delivery and Lambda's asynchronous invocation share: exponential backoff, and
a pool of worker threads that run items now or after a delay (a retry), stopping cleanly."""
from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff, capped, with optional "equal jitter"; fast by default (seconds)."""

    retry_backoff_base_s: float = 0.01
    retry_backoff_max_s: float = 1.0
    retry_backoff_factor: float = 2.0
    jitter: bool = True

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The delay before retry number ``attempt`` (1 = the first retry): exponential, capped,
        with "equal jitter" (between half and all of it) when ``jitter``."""
        delay = min(self.retry_backoff_max_s, self.retry_backoff_base_s * self.retry_backoff_factor ** (attempt - 1))
        if self.jitter:
            delay = (rng or random).uniform(delay / 2, delay)
        return delay


@dataclass(frozen=True)
class WorkerOptions(Backoff):
    """Backoff, how many worker threads, and whether invocations trace their payloads."""

    workers: int = 4
    trace_payloads: bool = True


class RetryWorkers(Generic[T]):
    """Worker threads over a ready queue and a heap of delayed items. Subclasses say how an item becomes
    ready (``_make_ready``), which ready item comes next (``_pop_ready``) and what running one does
    (``_run``); the first two are called with ``_cv`` held."""

    def __init__(self, name: str, workers: int) -> None:
        self._name = name
        self._worker_count = max(1, workers)
        self._cv = threading.Condition()
        self._delayed: list[tuple[float, int, T]] = []
        self._seq = itertools.count()
        self._workers: list[threading.Thread] = []
        self._stopping = False
        self._outstanding: set[T] = set()   # accepted and not finished (queued, running or delayed)

    def _make_ready(self, item: T) -> None:
        raise NotImplementedError

    def _pop_ready(self) -> T | None:
        raise NotImplementedError

    def _run(self, item: T) -> None:
        raise NotImplementedError

    def _describe(self, item: T) -> str:
        raise NotImplementedError

    def describe_outstanding(self, prefix: str, noun: str) -> list[str]:
        """One line per outstanding item, for drain (at most 10, then a count of the rest)."""
        with self._cv:
            items = list(self._outstanding)
        lines = [self._describe(item) for item in items[:10]]
        if len(items) > 10:
            lines.append(f"{prefix}: ... and {len(items) - 10} more {noun}")
        return lines

    def _later(self, item: T, delay: float) -> None:
        """Make ``item`` ready again after ``delay`` seconds (the caller holds ``_cv``)."""
        heapq.heappush(self._delayed, (time.monotonic() + delay, next(self._seq), item))
        self._cv.notify()

    def _start_workers(self) -> None:
        """Start the missing workers (the caller holds ``_cv``)."""
        while len(self._workers) < self._worker_count:
            t = threading.Thread(target=self._work, name=f"{self._name}-{len(self._workers)}", daemon=True)
            self._workers.append(t)
            t.start()

    def dead_workers(self) -> list[str]:
        """The names of worker threads that died (the caller holds ``_cv``)."""
        return [t.name for t in self._workers if not t.is_alive()]

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; items still waiting are abandoned."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
            workers, self._workers = self._workers, []
        for w in workers:
            w.join(timeout)

    def _work(self) -> None:
        while True:
            with self._cv:
                while True:
                    if self._stopping:
                        return
                    now = time.monotonic()
                    while self._delayed and self._delayed[0][0] <= now:
                        self._make_ready(heapq.heappop(self._delayed)[2])
                    item = self._pop_ready()
                    if item is not None:
                        break
                    self._cv.wait(self._delayed[0][0] - now if self._delayed else None)
            self._run(item)


__all__ = ["Backoff", "RetryWorkers", "WorkerOptions"]
