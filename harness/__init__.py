"""streamharness: run DynamoDB Streams -> Lambda -> EventBridge pipelines locally, with AWS's semantics."""
from __future__ import annotations

from harness.harness import Harness
from harness.runtime import DrainReport, DrainTimeout, EngineOptions, MappingStats
from harness.topology import (
    EventSourceMapping,
    FilterCriteria,
    Function,
    GlobalSecondaryIndex,
    KeyAttribute,
    Queue,
    RedrivePolicy,
    StartingPosition,
    StreamViewType,
    Table,
    Topology,
    ValidationException,
)
from harness.trace import Trace

__version__ = "0.1.0"
__all__ = [
    "DrainReport", "DrainTimeout", "EngineOptions", "EventSourceMapping", "FilterCriteria", "Function",
    "GlobalSecondaryIndex", "Harness", "KeyAttribute", "MappingStats", "Queue", "RedrivePolicy",
    "StartingPosition", "StreamViewType", "Table", "Topology", "Trace", "ValidationException",
]
