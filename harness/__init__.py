"""streamharness: run DynamoDB Streams -> Lambda -> EventBridge pipelines locally, with AWS's semantics."""
from __future__ import annotations

from harness.backends import EmbeddedBackend
from harness.harness import Harness
from harness.runtime import DrainError, DrainReport, DrainTimeout, EngineOptions, MappingStats, PipelineBroken
from harness.runtime.delivery import AsyncInvokeOptions, DeliveryOptions
from harness.topology import (
    EventBus,
    EventSourceMapping,
    EventInvokeConfig,
    FilterCriteria,
    Function,
    GlobalSecondaryIndex,
    InputTransformer,
    KeyAttribute,
    Queue,
    RedrivePolicy,
    RetryPolicy,
    Rule,
    StartingPosition,
    StreamViewType,
    Subscription,
    Table,
    Target,
    Topic,
    Topology,
    ValidationException,
)
from harness.trace import Trace

__version__ = "0.1.0"
__all__ = [
    "AsyncInvokeOptions", "DeliveryOptions", "EventBus", "InputTransformer", "RetryPolicy", "Rule", "Subscription",
    "Target", "Topic", "DrainError", "DrainReport", "DrainTimeout", "EmbeddedBackend", "EngineOptions",
    "EventInvokeConfig", "EventSourceMapping", "FilterCriteria", "Function", "PipelineBroken",
    "GlobalSecondaryIndex", "Harness", "KeyAttribute", "MappingStats", "Queue", "RedrivePolicy",
    "StartingPosition", "StreamViewType", "Table", "Topology", "Trace", "ValidationException",
]
