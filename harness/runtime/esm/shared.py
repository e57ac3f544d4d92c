"""What the engine's parts share: its own options, the per-mapping accounting, a pending record."""
from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from harness.runtime.esm.events import StreamRecord


@dataclass(frozen=True)
class EngineOptions:
    """Timings of the engine itself (not AWS parameters); defaults keep tests fast and latency low."""

    poll_interval_min_s: float = 0.001
    poll_interval_max_s: float = 0.02
    #: least time between the starts of two GetRecords on a shard, unless the last one returned a full
    #: page: records gather into one call instead of one call each (or an empty one), calls that would
    #: compete with the writers for the backend and with the lanes for the interpreter
    poll_gap_s: float = 0.01
    retry_backoff_base_s: float = 0.01
    retry_backoff_max_s: float = 1.0
    shard_discovery_interval_s: float = 1.0
    max_buffered_records: int = 10_000
    trace_payloads: bool = True
    #: wall clock for record arrival and age (MaximumRecordAgeInSeconds); tests may move it forward.
    #: ``Harness(clock=...)`` replaces both clocks; this one, when not ``time.time``, replaces the wall clock.
    clock: Callable[[], float] = time.time


@dataclass
class MappingStats:
    """Accounting that always holds once drained: seen == succeeded + filtered + given_up + dropped."""

    seen: int = 0
    filtered: int = 0
    succeeded: int = 0
    given_up: int = 0   # sent to the OnFailure destination
    dropped: int = 0    # given up with no OnFailure destination configured
    batches: int = 0
    invocations: int = 0
    errors: int = 0
    retries: int = 0
    splits: int = 0
    partial_failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    @property
    def in_flight(self) -> int:
        return self.seen - self.succeeded - self.filtered - self.given_up - self.dropped

    @property
    def balanced(self) -> bool:
        return self.in_flight == 0

    def imbalance(self) -> str | None:
        """What is wrong with the accounting identity, or None when it holds."""
        if self.in_flight == 0:
            return None
        return (f"seen {self.seen} != succeeded {self.succeeded} + filtered {self.filtered} + given_up "
                f"{self.given_up} + dropped {self.dropped} ({self.in_flight} in flight)")

    def as_dict(self) -> dict[str, int]:
        d = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        d["in_flight"] = self.in_flight
        return d


Deliver = Callable[[str, dict[str, Any]], None]


@dataclass
class Pending:
    """A filtered-in record waiting in a lane, with what the payload and the retry rules need."""

    record: StreamRecord
    arrival: float  # epoch seconds when the reader got it (AWS: approximate arrival)
    json: str       # the record as it goes into the payload, serialised once

    @property
    def seq(self) -> str:
        return str(self.record["dynamodb"]["SequenceNumber"])


def lane_of(record: StreamRecord, partition_key: str | None, lanes: int) -> int:
    """Stable lane for a record's partition key (crc32: the same on every run and platform)."""
    if lanes == 1:
        return 0
    keys = record["dynamodb"].get("Keys", {})
    value = keys.get(partition_key) if partition_key else keys
    return zlib.crc32(json.dumps(value, sort_keys=True).encode()) % lanes
