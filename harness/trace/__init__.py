"""Layer 5: every record, batch, invocation, result and error, as JSON-serialisable events.

Events are plain dicts (``kind``, ``t`` epoch seconds, ``n`` a global order, then kind-specific
fields) so a trace written as JSON lines reads back into exactly what the oracles saw live.
Each kind's fields are declared once, in :mod:`harness.trace.kinds`, as a read-only view class
(``RecordEvent``, ``InvokeEvent``, ...): ``Trace.emit`` checks them, oracles read through them
(``trace.views(RecordEvent, mapping="m")``). :class:`Retention` bounds what sits in memory; the
rest streams to a spool file, and reads see every event.
"""
from __future__ import annotations

from harness.trace.kinds import (
    KINDS,
    ApiCallEvent,
    AsyncDestinationEvent,
    AsyncInvokeEvent,
    AsyncRetryEvent,
    BackendEvent,
    BatchEvent,
    BusEvent,
    CheckpointEvent,
    DeadLetterEvent,
    DeliveryEvent,
    DestinationEvent,
    DivergenceEvent,
    ErrorEvent,
    FaultEvent,
    FilteredEvent,
    GiveUpEvent,
    InvokeEvent,
    LogEvent,
    MappingEvent,
    ObservationEvent,
    PartialFailureEvent,
    RecordEvent,
    ResultEvent,
    RetryEvent,
    ScenarioEvent,
    SplitEvent,
    TraceEvent,
    TraceView,
    WindowEvent,
    WorkerEvent,
    field,
    view,
)
from harness.trace.retention import DEFAULT_IN_MEMORY, Retention
from harness.trace.trace import Listener, Trace, TraceSchemaError

__all__ = [
    "DEFAULT_IN_MEMORY", "KINDS", "ApiCallEvent", "AsyncDestinationEvent", "AsyncInvokeEvent", "AsyncRetryEvent", "BackendEvent", "BatchEvent", "BusEvent", "CheckpointEvent",
    "DeadLetterEvent", "DeliveryEvent", "DestinationEvent", "DivergenceEvent", "ErrorEvent", "FaultEvent", "FilteredEvent",
    "GiveUpEvent", "InvokeEvent", "Listener", "LogEvent", "MappingEvent", "PartialFailureEvent", "RecordEvent",
    "ObservationEvent", "ResultEvent", "Retention", "RetryEvent", "ScenarioEvent", "SplitEvent", "Trace", "TraceEvent", "TraceSchemaError", "TraceView",
    "WindowEvent", "WorkerEvent", "field", "view",
]
