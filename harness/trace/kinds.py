"""The trace's schema: one read-only view class per event kind, its fields declared once.

A view wraps an event (the plain dict the runtime emitted, or one read back from JSON lines) and
gives its fields as documented properties, so an oracle reads ``v.sequence_number`` instead of
``e["sequence_number"]`` and ``v.keys["ip"]`` instead of ``e["keys"]["ip"]["S"]``. The same
declarations are the schema :meth:`Trace.emit` checks: a field declared without ``required=False``
must be passed by every emit of its kind. Fields nobody declared are allowed (read them with
``view["name"]`` or ``view.get("name")``), so the runtime can add detail before the schema
documents it; ``tests/unit/trace`` checks that every emit site's field names are declared here.

    for v in trace.views(RecordEvent, mapping="detector"):
        print(v.sequence_number, v.event_name, v.keys["ip"])
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

TraceEvent = dict[str, Any]


class Field:
    """A declared event field: a read-only property over the event dict."""

    __slots__ = ("doc", "required", "wire", "name")

    def __init__(self, doc: str, required: bool, wire: str | None) -> None:
        self.doc, self.required, self.wire, self.name = doc, required, wire or "", ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.wire = self.wire or name

    def __get__(self, view: TraceView | None, owner: type | None = None) -> Any:
        if view is None:
            return self
        return view._event[self.wire] if self.required else view._event.get(self.wire)


def field(doc: str, *, required: bool = True, wire: str | None = None) -> Any:
    """Declare a field of a kind. ``wire`` names it in the event when the property's name differs
    (``raw_keys`` reads ``keys``). Typed ``Any`` so ``x: str = field(...)`` reads as a ``str``."""
    return Field(doc, required, wire)


class TraceView:
    """A read-only view of one trace event of the subclass's kind."""

    __slots__ = ("_event",)
    kind: ClassVar[str] = ""
    #: wire names of the fields every emit of this kind must pass / may pass
    required: ClassVar[frozenset[str]] = frozenset()
    optional: ClassVar[frozenset[str]] = frozenset()
    fields: ClassVar[Mapping[str, Field]] = MappingProxyType({})

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Field] = {}
        for klass in reversed(cls.__mro__):
            declared.update({f.wire: f for f in vars(klass).values() if isinstance(f, Field)})
        cls.fields = MappingProxyType(declared)
        cls.required = frozenset(w for w, f in declared.items() if f.required)
        cls.optional = frozenset(w for w, f in declared.items() if not f.required)
        if kind:
            if kind in _VIEWS:
                raise ValueError(f"trace kind {kind!r} is declared twice ({_VIEWS[kind].__name__}, {cls.__name__})")
            cls.kind = kind
            _VIEWS[kind] = cls
            REQUIRED[kind] = cls.required

    def __init__(self, event: Mapping[str, Any]) -> None:
        if event.get("kind") != self.kind:
            raise ValueError(f"{type(self).__name__} views {self.kind!r} events, not {event.get('kind')!r} "
                             f"(event n={event.get('n')})")
        object.__setattr__(self, "_event", event)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    @property
    def t(self) -> float:
        """Epoch seconds when the event was emitted."""
        return float(self._event["t"])

    @property
    def n(self) -> int:
        """The event's place in the trace's total order."""
        return int(self._event["n"])

    @property
    def raw(self) -> Mapping[str, Any]:
        """The event itself, read-only: every field, declared or not."""
        return MappingProxyType(self._event)

    def __getitem__(self, name: str) -> Any:
        return self._event[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._event.get(name, default)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._event == self._event  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.kind, self._event.get("n")))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={self._event[k]!r}" for k in self.fields if k in self._event)
        return f"{type(self).__name__}(n={self._event.get('n')}, {shown})"


_VIEWS: dict[str, type[TraceView]] = {}
#: kind -> the fields every emit of it must pass (what ``Trace.emit`` checks, one lookup per event)
REQUIRED: dict[str, frozenset[str]] = {}
#: kind -> its view class; ``"give_up" in KINDS`` tells a known kind.
KINDS: Mapping[str, type[TraceView]] = MappingProxyType(_VIEWS)


def view(event: Mapping[str, Any]) -> TraceView:
    """The view of ``event``'s kind."""
    try:
        cls = _VIEWS[event["kind"]]
    except KeyError:
        raise ValueError(f"unknown trace event kind {event.get('kind')!r} (event n={event.get('n')})") from None
    return cls(event)


def _key_value(attribute: Mapping[str, Any]) -> Any:
    """A key attribute in DynamoDB's JSON (S, N or B) as a Python value; N is int when integral."""
    (type_, value), = attribute.items()
    if type_ == "S":
        return value
    if type_ == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else number
    if type_ == "B":
        return value if isinstance(value, (bytes, bytearray)) else base64.b64decode(value)
    raise ValueError(f"a key attribute is S, N or B, not {type_!r}")


# -- the ESM engine --------------------------------------------------------------------------------
class _Mapped(TraceView):
    mapping: str = field("the event source mapping's name")
    function: str = field("the mapping's function", required=False)
    shard: str = field("the stream shard id")


class RecordEvent(_Mapped, kind="record"):
    """A stream record a mapping read, before filtering (every record, filtered or not)."""

    sequence_number: str = field("the record's SequenceNumber")
    event_name: str = field("INSERT, MODIFY or REMOVE")
    raw_keys: dict[str, Any] = field("the item's key in DynamoDB JSON, e.g. {'ip': {'S': '1.2.3.4'}}", wire="keys")
    size_bytes: int | None = field("the record's SizeBytes", required=False)

    @property
    def keys(self) -> dict[str, Any]:
        """The item's key as Python values, e.g. ``{"ip": "1.2.3.4"}`` (N as int when integral, B as bytes)."""
        return {name: _key_value(attr) for name, attr in (self.raw_keys or {}).items()}


class FilteredEvent(_Mapped, kind="filtered"):
    """A record that matched none of the mapping's filters: never delivered, the checkpoint moves past it."""

    sequence_number: str = field("the record's SequenceNumber")
    event_name: str = field("INSERT, MODIFY or REMOVE")


class _Laned(_Mapped):
    lane: int = field("the lane (0 .. ParallelizationFactor-1) that ran the batch", required=False)
    batch_id: str = field("the batch, as in its batch event")


class BatchEvent(_Laned, kind="batch"):
    """A batch assembled for a mapping."""

    reason: str = field("why it was flushed: batch_size, window, payload, no_window, ...")
    size: int = field("records in the batch")
    payload_bytes: int = field("the invocation payload's size")
    first_sequence_number: str = field("the batch's first record")
    last_sequence_number: str = field("the batch's last record")


class InvokeEvent(TraceView, kind="invoke"):
    """An invocation starts (ESM batch or EventBridge target)."""

    function: str = field("the function invoked")
    request_id: str = field("the invocation's aws_request_id; its log, api_call, result or error carry it")
    attempt: int = field("1 for the first invocation of this batch or event, then 2, 3, ...")
    mapping: str | None = field("the mapping (ESM invocations)", required=False)
    shard: str | None = field("the shard (ESM)", required=False)
    lane: int | None = field("the lane (ESM)", required=False)
    batch_id: str | None = field("the batch (ESM)", required=False)
    size: int | None = field("records in the payload (ESM)", required=False)
    sequence_numbers: list[str] | None = field("the payload's records (ESM)", required=False)
    event_names: list[str] | None = field("each record's eventName (ESM)", required=False)
    event: dict[str, Any] | None = field("the payload, when payloads are traced", required=False)
    source: str | None = field("'eventbridge' for a rule target's invocation", required=False)
    rule: str | None = field("the rule (EventBridge)", required=False)
    target: str | None = field("the target id (EventBridge)", required=False)
    event_id: str | None = field("the bus event's id (EventBridge)", required=False)

    @property
    def has_payload(self) -> bool:
        """Whether the payload was traced (``trace_payloads``)."""
        return "event" in self._event

    @property
    def records(self) -> list[dict[str, Any]]:
        """The payload's ``Records`` (none for an EventBridge event or a window's final invocation).
        Raises LookupError when the payload was not traced, rather than pretend it was empty."""
        if not self.has_payload:
            raise LookupError(f"invoke event n={self.n} of {self.function} carries no payload "
                              f"(payloads were not traced)")
        return list((self.event or {}).get("Records", []))

    @property
    def event_ids(self) -> list[str]:
        """Each delivered record's ``eventID``."""
        return [r["eventID"] for r in self.records]


class _Outcome(TraceView):
    function: str = field("the function invoked")
    request_id: str = field("the invocation, as in its invoke event")
    duration_ms: float = field("how long the handler ran")
    mapping: str | None = field("the mapping (ESM)", required=False)
    batch_id: str | None = field("the batch (ESM)", required=False)
    source: str | None = field("'eventbridge' for a rule target's invocation", required=False)
    rule: str | None = field("the rule (EventBridge)", required=False)
    cold_start: bool | None = field("a worker process was started for it", required=False)
    init_duration_ms: float | None = field("the cold start's init time", required=False)


class ResultEvent(_Outcome, kind="result"):
    """An invocation returned."""

    response: Any = field("what the handler returned, JSON-able")


class ErrorEvent(_Outcome, kind="error"):
    """An invocation raised, timed out, or its worker died."""

    error_type: str = field("e.g. ValueError, Sandbox.Timedout, Runtime.ExitError")
    error_message: str = field("the error's message")
    traceback: list[str] | str | None = field("the handler's traceback", required=False)
    attempt: int | None = field("as in the invoke event", required=False)


class LogEvent(TraceView, kind="log"):
    """A line a handler printed or logged during an invocation."""

    function: str = field("the function")
    request_id: str = field("the invocation")
    stream: str = field("stdout, stderr or logging")
    message: str = field("the line")

    @property
    def json(self) -> dict[str, Any] | None:
        """The line parsed as a JSON object (a structured log), or None when it is not one."""
        try:
            parsed = json.loads(self.message)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None


class CheckpointEvent(_Mapped, kind="checkpoint"):
    """A shard's checkpoint moved: every record up to ``sequence_number`` is resolved."""

    sequence_number: str = field("the new checkpoint")


class RetryEvent(_Laned, kind="retry"):
    """A failed batch will be retried."""

    retry: int = field("1 for the first retry")
    size: int = field("records retried")
    backoff_s: float = field("the wait before the retry")
    reason: str = field("the failure")
    first_sequence_number: str | None = field("the retried records' first", required=False)


class SplitEvent(_Laned, kind="split"):
    """A failed batch was bisected (BisectBatchOnFunctionError)."""

    size: int = field("records split")
    halves: list[int] = field("the two halves' sizes")
    first_sequence_number: str | None = field("the split records' first", required=False)
    last_sequence_number: str | None = field("the split records' last", required=False)


class PartialFailureEvent(_Laned, kind="partial_failure"):
    """A handler reported batchItemFailures."""

    size: int = field("records in the invocation")
    failed: list[str] = field("the reported itemIdentifiers")


class GiveUpEvent(_Laned, kind="give_up"):
    """A batch was given up on."""

    condition: str = field("RetryAttemptsExhausted or RecordAgeExceeded")
    invocations: int = field("how often it was invoked")
    size: int = field("records given up")
    destination: str | None = field("the OnFailure destination, None without one")
    sequence_numbers: list[str] = field("the records given up")


class DestinationEvent(_Laned, kind="destination"):
    """An OnFailure record was sent (or could not be)."""

    destination: str = field("queue:NAME or topic:NAME")
    ok: bool = field("whether it was sent")
    message: dict[str, Any] = field("the OnFailure record")
    error: str | None = field("why it could not be sent", required=False)


class WindowEvent(TraceView, kind="window"):
    """A tumbling window's final invocation is due."""

    mapping: str = field("the mapping")
    function: str | None = field("the mapping's function", required=False)
    shard: str = field("the shard")
    lane: int | None = field("the lane", required=False)
    start: str = field("the window's start, ISO 8601")
    end: str = field("the window's end, ISO 8601")
    state: dict[str, Any] = field("the state carried into the final invocation")
    final: bool | None = field("True for the final invocation", required=False)


class MappingEvent(TraceView, kind="mapping"):
    """A mapping changed state: enabled, disabled, shard_closed, read_error, describe_error."""

    mapping: str = field("the mapping")
    state: str = field("the new state")
    shard: str | None = field("the shard concerned", required=False)
    stream_arn: str | None = field("the stream (when the mapping starts)", required=False)
    shards: list[str] | None = field("the shards found (when the mapping starts)", required=False)
    error: str | None = field("what failed", required=False)


class BackendEvent(TraceView, kind="backend"):
    """The backend started or stopped."""

    state: str = field("started or stopped")
    backend: str = field("the backend's name")
    endpoints: dict[str, str] | None = field("service -> URL (when started)", required=False)
    startup_s: float | None = field("time to ready (when started)", required=False)
    warnings: list[str] | None = field("the backend's warnings (when started)", required=False)


class WorkerEvent(TraceView, kind="worker"):
    """A worker process started (cold start), was reused, or died."""

    function: str = field("the function")
    state: str = field("cold_start, ...")
    request_id: str | None = field("the invocation that caused it", required=False)
    init_duration_ms: float | None = field("the cold start's init time", required=False)
    pid: int | None = field("the worker's process id", required=False)


class ApiCallEvent(TraceView, kind="api_call"):
    """An AWS API call a handler made during an invocation."""

    function: str = field("the calling function")
    request_id: str = field("the invocation")
    service: str = field("botocore's service name, e.g. dynamodb")
    operation: str = field("e.g. Query, Scan, PutEvents")
    resource: str | None = field("the table, queue URL, topic ARN or buses addressed")
    duration_ms: float = field("the call's wall time")
    items_read: int | None = field("items returned (DynamoDB)", required=False)
    items_scanned: int | None = field("items evaluated (DynamoDB ScannedCount)", required=False)
    items_written: int | None = field("items written (DynamoDB)", required=False)
    error: str | None = field("the error code when the call failed", required=False)
    failed_entry_count: int | None = field("PutEvents' FailedEntryCount", required=False)
    entries: list[dict[str, Any]] | None = field("PutEvents' entries with each verdict", required=False)
    retries: int | None = field("the SDK's own retries of the call", required=False)
    read_items: list[dict[str, Any]] | None = field("the items a read returned (at most 50), for replay",
                                                   required=False)


# -- EventBridge -------------------------------------------------------------------------------------
class _Targeted(TraceView):
    rule: str = field("the rule's name")
    rule_arn: str = field("the rule's ARN")
    target: str = field("the target's Id")
    target_arn: str = field("the target's ARN")
    event_id: str = field("the bus event's id")


class BusEvent(TraceView, kind="bus_event"):
    """An event accepted on an event bus, with the rules it matched."""

    bus: str = field("the bus's logical name")
    bus_name: str = field("the bus's deployed name")
    event_id: str = field("the event's id")
    source: str = field("the event's source")
    detail_type: str = field("the event's detail-type")
    detail: Any = field("the event's detail (a JSON object)")
    resources: list[str] = field("the event's resources")
    time: str | None = field("the event's time")
    matched_rules: list[str] = field("the rules it matched (our matcher's verdict)")
    deliveries: int | None = field("deliveries queued by this harness", required=False)
    captured_by: str | None = field("the capture rule that recorded it (external mode)", required=False)


class DeliveryEvent(_Targeted, kind="delivery"):
    """An attempt to deliver an event to a rule's target."""

    attempt: int = field("1, 2, ...")
    ok: bool = field("whether the target took it")
    duration_ms: float = field("the attempt's wall time")
    error_code: str | None = field("e.g. ERROR_FROM_TARGET, NO_RESOURCE", required=False)
    error_message: str | None = field("the failure", required=False)
    will_retry: bool | None = field("whether another attempt follows", required=False)
    backoff_s: float | None = field("the wait before it", required=False)


class DeadLetterEvent(_Targeted, kind="dead_letter"):
    """Retries are over: the event went to the target's DLQ, or was dropped."""

    error_code: str = field("the last attempt's error code")
    error_message: str = field("the last attempt's error")
    retry_attempts: int = field("retries made")
    condition: str | None = field("MaximumRetryAttempts / MaximumEventAgeInSeconds, None when not retryable")
    dlq: str | None = field("the dead-letter queue's ARN, None without one")
    ok: bool = field("whether it reached the DLQ")
    dropped: bool | None = field("True when the event is lost", required=False)
    reason: str | None = field("why it was dropped", required=False)
    attributes: dict[str, str] | None = field("the message attributes sent with it", required=False)


class DivergenceEvent(TraceView, kind="divergence"):
    """The backend routed an event differently from our matcher (external mode)."""

    event_id: str = field("the event")
    ours: list[str] = field("rules our matcher matched")
    backend: list[str] = field("rules the backend delivered it through")
    only_ours: list[str] = field("ours minus backend")
    only_backend: list[str] = field("backend minus ours")
    captured: bool | None = field("whether the capture rule saw it", required=False)
    bus: str | None = field("the bus", required=False)
    source: str | None = field("the event's source", required=False)
    detail_type: str | None = field("the event's detail-type", required=False)
    message: str | None = field("an explanation", required=False)


# -- Lambda's asynchronous invocation ---------------------------------------------------------------
class AsyncInvokeEvent(TraceView, kind="async_invoke"):
    """Lambda accepted an event for asynchronous invocation (its 202)."""

    function: str = field("the function")
    request_id: str = field("the request id every attempt keeps")
    source: str | None = field("the caller: eventbridge, a destination, ...", required=False)
    rule: str | None = field("the rule (EventBridge callers)", required=False)
    target: str | None = field("the target's Id (EventBridge callers)", required=False)
    event_id: str | None = field("the bus event (EventBridge callers)", required=False)


class AsyncRetryEvent(TraceView, kind="async_retry"):
    """An asynchronous invocation failed and will be tried again."""

    function: str = field("the function")
    request_id: str = field("the request")
    attempt: int = field("the attempt that failed")
    error_type: str | None = field("its error type", required=False)
    error_message: str | None = field("its error", required=False)
    backoff_s: float | None = field("the wait before the next attempt", required=False)


class AsyncDestinationEvent(TraceView, kind="async_destination"):
    """An asynchronous invocation ended: its record sent to OnSuccess/OnFailure, its event to the DLQ, or dropped."""

    function: str = field("the function")
    request_id: str = field("the request")
    type: str | None = field("OnSuccess, OnFailure, DeadLetterQueue, or None when dropped")
    destination: str | None = field("where it went", required=False)
    condition: str | None = field("Success, RetriesExhausted, EventAgeExceeded", required=False)
    attempts: int | None = field("attempts made", required=False)
    ok: bool | None = field("whether the send succeeded", required=False)
    dropped: bool | None = field("True when the event is lost", required=False)
    reason: str | None = field("why it was dropped", required=False)
    attributes: dict[str, str] | None = field("DLQ message attributes", required=False)


# -- fault injection ----------------------------------------------------------------------------------
class FaultEvent(TraceView, kind="fault"):
    """A fault a fault plan injected (or, with fault="plan", the plan itself, first)."""

    fault: str = field("the fault's kind (error, poison, timeout, latency, throttle, ...) or 'plan'")
    plan: dict[str, Any] | None = field("the whole plan (fault='plan')", required=False)
    index: int | None = field("the fault's place in the plan", required=False)
    function: str | None = field("the function concerned", required=False)
    request_id: str | None = field("the invocation concerned", required=False)


# -- scenarios ----------------------------------------------------------------------------------------
class ScenarioEvent(TraceView, kind="scenario"):
    """The header of a scenario run: enough to generate its plan again (``harness judge``)."""

    name: str = field("the scenario's registered name")
    variant: str = field("the variant run")
    seed: int = field("the generator's seed")
    config: dict[str, Any] = field("the scenario's whole config")
    format: int = field("the header's layout version")


class ObservationEvent(TraceView, kind="observation"):
    """Something a scenario's oracles need that the runtime does not trace (e.g. alerts received on a queue)."""

    name: str = field("what was observed")
    value: Any = field("its value (JSON)")


def describe() -> Iterator[tuple[str, str, str, str]]:
    """(kind, view class, required fields, optional fields) per kind, for documentation."""
    for kind, cls in _VIEWS.items():
        yield kind, cls.__name__, ", ".join(sorted(cls.required)), ", ".join(sorted(cls.optional))
