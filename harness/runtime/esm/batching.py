"""Batching decisions for one shard, pure: when does a batch go, and with which records.

AWS invokes when BatchSize records are gathered, when the batching window (counted from the first
buffered record) expires, or when the next record would push the payload over 6 MB.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
#: Room for the ``{"Records": [...]}`` envelope around the records.
ENVELOPE_BYTES = 16


class FlushReason(StrEnum):
    SIZE = "batch_size"
    WINDOW = "window"
    PAYLOAD = "payload"
    IMMEDIATE = "no_window"


@dataclass
class Batch(Generic[T]):
    items: list[T]
    reason: FlushReason
    payload_bytes: int


@dataclass
class BatchAssembler(Generic[T]):
    """Buffers filtered records of one shard and decides when a batch is due.

    ``now`` is always passed in (seconds, monotonic), so the decisions are testable without a clock.
    """

    batch_size: int
    window_s: float = 0.0
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    _buffer: deque[tuple[T, int]] = field(default_factory=deque)
    _bytes: int = ENVELOPE_BYTES
    _first_at: float | None = None

    def add(self, item: T, size: int, now: float) -> None:
        if not self._buffer:
            self._first_at = now
        self._buffer.append((item, size))
        self._bytes += size

    def extend(self, items: Iterable[tuple[T, int]], now: float) -> None:
        for item, size in items:
            self.add(item, size, now)

    def __len__(self) -> int:
        return len(self._buffer)

    @property
    def buffered_bytes(self) -> int:
        return self._bytes - ENVELOPE_BYTES if self._buffer else 0

    def deadline(self) -> float | None:
        """When the window expires for what is buffered (None when empty)."""
        if self._first_at is None:
            return None
        return self._first_at + self.window_s

    def due(self, now: float) -> FlushReason | None:
        if not self._buffer:
            return None
        if len(self._buffer) >= self.batch_size:
            return FlushReason.SIZE
        if self._bytes > self.max_payload_bytes:
            return FlushReason.PAYLOAD
        if self.window_s <= 0:
            return FlushReason.IMMEDIATE
        deadline = self.deadline()
        if deadline is not None and now >= deadline:
            return FlushReason.WINDOW
        return None

    def take(self, reason: FlushReason, now: float) -> Batch[T]:
        """Remove the next batch: at most batch_size records and at most max_payload_bytes.

        A single record larger than the cap still goes alone (the caller decides what AWS does
        with it); it is never split or silently dropped here.
        """
        items: list[T] = []
        total = ENVELOPE_BYTES
        while self._buffer and len(items) < self.batch_size:
            item, size = self._buffer[0]
            if items and total + size > self.max_payload_bytes:
                reason = FlushReason.PAYLOAD
                break
            self._buffer.popleft()
            items.append(item)
            total += size
        self._bytes -= total - ENVELOPE_BYTES
        self._first_at = now if self._buffer else None
        return Batch(items=items, reason=reason, payload_bytes=total)
