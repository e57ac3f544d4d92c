"""Layer 1: typed, immutable specs of a pipeline, validated with AWS's ranges."""
from __future__ import annotations

from harness.topology.errors import ValidationException
from harness.topology.events import EventBus, InputTransformer, RetryPolicy, Rule, Subscription, Target, Topic
from harness.topology.specs import (
    EventInvokeConfig,
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
)
from harness.topology.thresholds import Thresholds
from harness.topology.topology import Topology
from harness.topology.template import TemplateWarning, load_template  # noqa: E402 - needs Topology first

__all__ = [
    "EventBus", "InputTransformer", "RetryPolicy", "Rule", "Subscription", "Target", "Topic",
    "EventInvokeConfig", "EventSourceMapping", "FilterCriteria", "Function", "GlobalSecondaryIndex", "KeyAttribute", "Queue",
    "RedrivePolicy", "StartingPosition", "StreamViewType", "Table", "TemplateWarning", "Thresholds", "Topology",
    "ValidationException", "load_template",
]
