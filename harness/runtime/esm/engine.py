"""The event source mapping engine: per shard, a reader thread and ParallelizationFactor lanes.

The reader polls the shard, drops what the filters reject and routes the rest to a lane by
partition key, so one key always goes to the same lane. Each lane batches its records and runs
one batch at a time to resolution (retries, bisect, partial failures: see retry.py), so records of
a key are handled in order and never in two batches at once, while up to N lanes of a shard run
concurrently. Polling adapts: right after records it polls again at once; when idle it backs off to
``poll_interval_max_s`` and is woken early by a nudge (a write the harness saw); either way two reads
of a shard start at least ``poll_gap_s`` apart, unless the first returned a full page.

The parts: ``shared`` (options, accounting), ``context`` (what the parts are given: config, ports,
states), ``shard`` (the reader), ``lane`` (batching and invocation), ``mapping`` (one event source
mapping); this module is their public face. Imports run one way: mapping -> shard -> lane -> context.
"""
from __future__ import annotations

from harness.runtime.esm.context import (
    Invoke,
    LaneContext,
    LaneState,
    MappingConfig,
    MappingContext,
    MappingPorts,
    ShardState,
)
from harness.runtime.esm.lane import Lane
from harness.runtime.esm.mapping import MappingRuntime
from harness.runtime.esm.shard import ShardWorker
from harness.runtime.esm.shared import Deliver, EngineOptions, MappingStats, Pending, lane_of

__all__ = ["Deliver", "EngineOptions", "Invoke", "Lane", "LaneContext", "LaneState", "MappingConfig", "MappingContext",
           "MappingPorts", "MappingRuntime", "MappingStats", "Pending", "ShardState", "ShardWorker", "lane_of"]
