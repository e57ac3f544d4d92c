"""Layer 5: every record, batch, invocation, result and error, as JSON-serialisable events.

Events are plain dicts (``kind``, ``t`` epoch seconds, ``n`` a global order, then kind-specific
fields) so a trace written as JSON lines reads back into exactly what the oracles saw live.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

TraceEvent = dict[str, Any]
Listener = Callable[[TraceEvent], None]

#: The kinds the runtime emits; listed so a typo in an oracle fails loudly.
KINDS = frozenset({
    "record",       # a stream record read by a mapping (before filtering)
    "filtered",     # a record that matched no filter: never delivered, checkpoint moves past it
    "batch",        # a batch assembled for a mapping (reason: size / window / payload / ...)
    "invoke",       # an invocation starts: request_id, attempt, the event payload
    "result",       # an invocation returned: response, duration
    "error",        # an invocation raised (or timed out): error type, message, traceback
    "log",          # a line the handler printed or logged during an invocation
    "checkpoint",   # a shard's checkpoint moved
    "retry",        # a failed batch will be retried
    "give_up",      # a batch was given up on (retries or record age exhausted)
    "split",        # a failed batch was bisected (BisectBatchOnFunctionError)
    "partial_failure",  # a handler reported batchItemFailures
    "destination",  # an OnFailure record was sent to its destination
    "window",       # tumbling window state carried between invocations
    "mapping",      # a mapping changed state (enabled, disabled, shard found or closed)
    "backend",      # the backend started or stopped
    "api_call",     # an AWS API call a handler made (service, operation, resource, items)
    "bus_event",    # an event accepted on an event bus, with the rules it matched
    "delivery",     # an event delivered (or not) to a rule's target
    "dead_letter",  # an event sent to a target's dead-letter queue
    "async_invoke",       # Lambda accepted an event for asynchronous invocation (EventBridge target, SNS, ...)
    "async_retry",        # an asynchronous invocation failed and will be retried (event invoke config)
    "async_destination",  # an async invocation's record sent to OnSuccess/OnFailure, its event to the DLQ, or dropped
    "divergence",   # the backend routed an event differently from our matcher
    "worker",       # a worker process started (cold start), was reused, or died
    "scenario",     # a scenario run's header: name, variant, seed, config (so the trace can be judged again)
    "observation",  # an oracle input the runtime does not trace itself (alerts received, items left, ...)
})


class Trace:
    """An append-only, thread-safe event log with optional live listeners."""

    def __init__(self) -> None:
        self._events: list[TraceEvent] = []
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def emit(self, kind: str, **fields: Any) -> TraceEvent:
        if kind not in KINDS:
            raise ValueError(f"unknown trace event kind {kind!r}")
        event: TraceEvent = {"kind": kind, "t": time.time()}
        event.update(fields)
        with self._lock:
            event["n"] = next(self._counter)
            self._events.append(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break the pipeline
                pass
        return event

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @property
    def events(self) -> list[TraceEvent]:
        with self._lock:
            return list(self._events)

    def of(self, *kinds: str, **where: Any) -> list[TraceEvent]:
        """Events of the given kinds whose fields equal ``where`` (e.g. ``of("invoke", function="f")``)."""
        return [e for e in self.events
                if (not kinds or e["kind"] in kinds) and all(e.get(k) == v for k, v in where.items())]

    def json_logs(self, function: str, event: str | None = None) -> list[tuple[dict[str, Any], TraceEvent]]:
        """(parsed line, log event) for each JSON-object log line a function printed, optionally only
        those whose ``"event"`` field is ``event`` -- structured logs, as a metric filter reads them."""
        out = []
        for e in self.of("log", function=function):
            try:
                line = json.loads(e["message"])
            except ValueError:
                continue
            if isinstance(line, dict) and (event is None or line.get("event") == event):
                out.append((line, e))
        return out

    def counts(self) -> Counter[str]:
        return Counter(e["kind"] for e in self.events)

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def write_jsonl(self, path: str | Path) -> int:
        events = self.events
        with open(path, "w") as f:
            for e in events:
                f.write(json.dumps(e, default=_jsonable, separators=(",", ":")))
                f.write("\n")
        return len(events)

    @classmethod
    def read_jsonl(cls, path: str | Path) -> Trace:
        trace = cls()
        with open(path) as f:
            trace._events = [json.loads(line) for line in f if line.strip()]
        trace._counter = itertools.count(len(trace._events))
        return trace

    @classmethod
    def from_events(cls, events: Iterable[TraceEvent]) -> Trace:
        trace = cls()
        trace._events = list(events)
        trace._counter = itertools.count(len(trace._events))
        return trace


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(value).decode()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


__all__ = ["KINDS", "Trace", "TraceEvent"]
