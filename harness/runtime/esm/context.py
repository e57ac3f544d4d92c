"""What a mapping's parts are given instead of reaching back through each other.

A mapping is built from a :class:`MappingConfig` (what AWS configures, plus the engine's timings)
and :class:`MappingPorts` (what it talks to). Its shard readers and lanes get one
:class:`MappingContext` (the mapping's shared state: enabled, stopping, accounting) and, per lane, a
:class:`LaneContext` naming its shard and the two things a lane asks of it (resolve records, wake
the reader). No part holds its parent object, so lane, shard and mapping import each other one way.

States are enums; ``detail`` next to them is only for people (drain's "still pending" lines).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.runtime.clock import SYSTEM_CLOCK, Clock
from harness.runtime.esm.filtering import RecordFilter
from harness.runtime.esm.retry import RetryPolicy
from harness.runtime.esm.shared import Deliver, EngineOptions, MappingStats
from harness.runtime.functions import InvocationRequest
from harness.runtime.ids import IdSource
from harness.runtime.invoker import InvocationResult
from harness.topology.specs import EventSourceMapping
from harness.trace import Trace

Invoke = Callable[[InvocationRequest], InvocationResult]


def _nothing() -> None:
    return None


class ShardState(StrEnum):
    STARTING = "starting"
    WAITING_FOR_PARENT = "waiting for parent"
    PAUSED = "paused"
    BACKPRESSURE = "waiting for the lanes"
    READING = "reading"
    CAUGHT_UP = "caught up"
    READ_ERROR = "read error"
    CLOSED = "closed"


class LaneState(StrEnum):
    IDLE = "idle"
    PAUSED = "paused"
    INVOKING = "invoking"
    RETRYING = "retrying"


@dataclass(frozen=True)
class MappingConfig:
    """One event source mapping as the engine runs it."""

    spec: EventSourceMapping
    stream_arn: str
    function_arn: str
    region: str
    partition_key: str | None = None  # the table's hash key: records of one key stay in one lane
    options: EngineOptions = field(default_factory=EngineOptions)


@dataclass(frozen=True)
class MappingPorts:
    """What a mapping talks to. ``on_activity``: something happened that may write more (drain restarts
    its quiet period); ``on_change``: a shard or lane changed state (drain re-checks)."""

    streams: Any                      # the dynamodbstreams client (or InMemoryStreams)
    invoke: Invoke                    # FunctionService.invoke
    trace: Trace
    deliver: Deliver | None = None    # OnFailure destinations
    clock: Clock = SYSTEM_CLOCK
    ids: IdSource = field(default_factory=IdSource)
    on_activity: Callable[[], None] = _nothing
    on_change: Callable[[], None] = _nothing


class MappingContext:
    """The state a mapping shares with its shards and lanes.

    ``cond`` is the mapping's own: a disable (set_enabled(False)) waits on it for the reads and
    batches of this mapping's shards and lanes in flight, so all of them notify it.
    """

    def __init__(self, config: MappingConfig, ports: MappingPorts) -> None:
        spec = config.spec
        self.config = config
        self.ports = ports
        self.name = spec.name
        self.function = spec.function
        self.trace = ports.trace
        self.clock = ports.clock
        self.ids = ports.ids
        self.options = config.options
        self.filter = RecordFilter(spec.filter_criteria)
        opts = config.options
        self.policy = RetryPolicy(
            maximum_retry_attempts=spec.maximum_retry_attempts,
            maximum_record_age_in_seconds=spec.maximum_record_age_in_seconds,
            bisect_batch_on_function_error=spec.bisect_batch_on_function_error,
            report_batch_item_failures=spec.report_batch_item_failures,
            backoff_base_s=opts.retry_backoff_base_s, backoff_max_s=opts.retry_backoff_max_s)
        self.stats = MappingStats()
        self.cond = threading.Condition()
        self.enabled = threading.Event()
        self.stopping = threading.Event()
        if spec.enabled:
            self.enabled.set()

    def activity(self) -> None:
        self.ports.on_activity()

    def changed(self) -> None:
        """A shard or lane of this mapping changed state: wake whoever waits on it."""
        with self.cond:
            self.cond.notify_all()
        self.ports.on_change()


@dataclass(frozen=True)
class LaneContext:
    """What a lane knows of its shard."""

    mapping: MappingContext
    shard_id: str
    index: int
    resolve: Callable[[Sequence[str]], None]  # records handled, filtered or given up: move the checkpoint
    wake_reader: Callable[[], None]           # room in the lanes again: the reader may read on
