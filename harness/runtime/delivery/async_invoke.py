"""Lambda's asynchronous invocation (InvocationType ``Event``), for every asynchronous caller: EventBridge
targets, SNS subscriptions, functions that are destinations.

``invoke_async(function, event, source=...)`` is Lambda accepting the event (HTTP 202): the caller's
delivery has succeeded there, and whatever the function does next is Lambda's business, not the
caller's. Each function has its own internal queue, served by a few workers. A function error
(anything the function or its runtime raises, timeouts and exits included) is retried under the
function's event invoke config: ``MaximumRetryAttempts`` (0-2, default 2) more attempts with backoff
(AWS waits about 1 then 2 minutes; here fast by default, see :class:`AsyncInvokeOptions`), as long as
the event is younger than ``MaximumEventAgeInSeconds`` (60-21600, default 6 hours). Then the event is
discarded: AWS's invocation record (condition ``RetriesExhausted`` or ``EventAgeExceeded``) goes to the
OnFailure destination and the event itself to the function's dead-letter queue (message attributes
RequestID, ErrorCode, ErrorMessage), to both when both are configured; with neither it is dropped
(traced). A success sends the record (condition ``Success``, the response as ``responsePayload``) to
the OnSuccess destination. Destinations are ``queue:``, ``topic:``, ``function:`` (invoked
asynchronously in turn) or ``bus:`` (PutEvents, detail-type "Lambda Function Invocation Result -
Success/Failure", source ``lambda``).

Accounting, checked by drain once nothing is outstanding, per function: accepted == succeeded +
failed (a record or the event went to an OnFailure destination or DLQ) + dropped. Trace kinds:
``async_invoke`` (accepted), ``invoke``/``result``/``error`` per attempt (from the function service),
``async_retry``, ``async_destination`` (each record or dead letter sent, failed, or the event dropped).
"""
from __future__ import annotations

import contextlib
import json
import random
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.runtime.delivery.messaging import DeliveryError, Messaging
from harness.runtime.delivery.retrying import RetryWorkers, WorkerOptions
from harness.runtime.functions import FunctionService, InvocationRequest, jsonable
from harness.runtime.invoker import InvocationResult
from harness.topology.specs import EventInvokeConfig, Function
from harness.trace import Trace

#: the ``source`` of the events Lambda puts on a bus destination
DESTINATION_SOURCE = "lambda"
#: ErrorMessage in a dead-letter message: the first kilobyte of the error message
DLQ_ERROR_MESSAGE_BYTES = 1024


@dataclass(frozen=True)
class AsyncInvokeOptions(WorkerOptions):
    """Timings of the asynchronous invocation queue (not AWS parameters): fast by default. AWS waits
    about a minute before the first retry and two before the second: ``retry_backoff_base_s=60,
    jitter=False`` shows that pace."""


@dataclass(eq=False, slots=True)
class AsyncEvent:
    """One event accepted for a function, with its attempts so far."""

    function: str
    event: Any
    request_id: str
    source: str
    accepted_at: float                       # epoch seconds (the harness clock): the event's age starts here
    tags: Mapping[str, Any] = field(default_factory=dict)
    invoke_fields: Mapping[str, Any] = field(default_factory=dict)
    attempt: int = 0
    state: str = "queued"
    last: InvocationResult | None = None


class AsyncInvoker(RetryWorkers[AsyncEvent]):
    """Lambda's asynchronous invocation queue for the functions of one runtime; see the module docstring."""

    #: at most this many consecutive events of one function share one application of its environment
    RUN_LENGTH = 32

    def __init__(self, functions: FunctionService, trace: Trace, *, specs: Mapping[str, Function] | None = None,
                 messaging: Messaging | None = None, resolve: Callable[[str], str] | None = None,
                 function_arn: Callable[[str], str] | None = None, options: AsyncInvokeOptions | None = None,
                 now: Callable[[], float] = time.time, on_activity: Callable[[], None] | None = None,
                 seed: int | None = None, put_events: Callable[[list[dict[str, Any]]], None] | None = None) -> None:
        """``specs``: function name -> spec (its event invoke config and DLQ; a function without one gets
        Lambda's defaults); ``resolve``: a destination (``queue:NAME``, ``topic:NAME``: the ARN; ``bus:NAME``:
        the deployed bus name); ``put_events``: PutEvents entries (bus destinations)."""
        self.functions = functions
        self.trace = trace
        self.specs = dict(specs or {})
        self.messaging = messaging
        self.resolve = resolve or (lambda ref: ref)
        self.function_arn = function_arn or (lambda name: name)
        self.options = options or AsyncInvokeOptions()
        super().__init__("lambda-async", self.options.workers)
        self.now = now
        self.put_events = put_events
        self._on_activity = on_activity or (lambda: None)
        self._rng = random.Random(seed)
        self._queues: dict[str, deque[AsyncEvent]] = {}
        self._turns: deque[str] = deque()     # functions whose queue has events, in serving order
        #: per function: accepted, succeeded, failed (to OnFailure / DLQ), dropped
        self._ledgers: dict[str, dict[str, int]] = {}

    def config(self, function: str) -> EventInvokeConfig:
        spec = self.specs.get(function)
        return spec.async_config if spec is not None else EventInvokeConfig()

    # -- accepting --------------------------------------------------------------------------
    def invoke_async(self, function: str, event: Any, *, source: str, tags: Mapping[str, Any] | None = None,
                     invoke_fields: Mapping[str, Any] | None = None) -> str:
        """Accept ``event`` for ``function`` (Lambda's 202) and return the request id. Raises
        :class:`UnknownFunction` when there is no such function (the caller's delivery fails) and
        RuntimeError when the runtime is stopping."""
        self.functions.invoker(function)  # UnknownFunction: nothing accepted
        ev = AsyncEvent(function, event, self.functions.ids.request_id(), source, self.now(), dict(tags or {}),
                        dict(invoke_fields or {}))
        with self._cv:
            if self._stopping:
                raise RuntimeError(f"function {function}: the runtime is stopping; asynchronous invocation refused")
            self._outstanding.add(ev)
            self._ledger(function)["accepted"] += 1
            self._make_ready(ev)
            self._start_workers()
        self.trace.emit("async_invoke", function=function, request_id=ev.request_id, source=source, **ev.tags,
                        **ev.invoke_fields)
        self._on_activity()
        return ev.request_id

    def _make_ready(self, ev: AsyncEvent) -> None:
        """Put ``ev`` on its function's queue (the caller holds ``_cv``)."""
        queue = self._queues.setdefault(ev.function, deque())
        if not queue:
            self._turns.append(ev.function)
        queue.append(ev)
        ev.state = "queued"
        self._cv.notify()

    def _pop_ready(self, function: str | None = None) -> AsyncEvent | None:
        """The next ready event: of ``function`` when given (None when it has none), else of the function
        whose turn it is (the caller holds ``_cv``)."""
        if function is None:
            if not self._turns:
                return None
            function = self._turns[0]
            self._turns.rotate(-1)
        queue = self._queues.get(function)
        if not queue:
            return None
        ev = queue.popleft()
        if not queue:
            self._turns.remove(function)
        ev.state = "invoking"
        return ev

    # -- drain and health -------------------------------------------------------------------
    def pending(self) -> list[str]:
        """A drain check: events queued, being invoked, or waiting to retry."""
        return self.describe_outstanding("lambda async", "events")

    def _describe(self, ev: AsyncEvent) -> str:
        what = f"lambda async: function {ev.function} (request {ev.request_id}, from {ev.source})"
        if ev.state == "retrying" and ev.last is not None:
            return f"{what}: retrying after attempt {ev.attempt}: {ev.last.error_type}: {ev.last.error_message}"
        return f"{what}: {ev.state}" + (f" (attempt {ev.attempt})" if ev.attempt else "")

    def _ledger(self, function: str) -> dict[str, int]:
        ledger = self._ledgers.get(function)
        if ledger is None:
            ledger = self._ledgers[function] = {"accepted": 0, "succeeded": 0, "failed": 0, "dropped": 0}
        return ledger

    def function_stats(self) -> dict[str, dict[str, int]]:
        """Per function: events accepted, succeeded, failed (sent to OnFailure / DLQ), dropped."""
        with self._cv:
            return {k: dict(v) for k, v in self._ledgers.items()}

    def problems(self) -> list[str]:
        """A drain health check: dead workers, and once nothing is outstanding, functions whose accounting
        does not hold (accepted == succeeded + failed + dropped)."""
        with self._cv:
            out = [f"lambda async: worker thread {name} has died" for name in self.dead_workers()]
            if self._outstanding:
                return out
            for function, c in self._ledgers.items():
                if c["accepted"] != c["succeeded"] + c["failed"] + c["dropped"]:
                    out.append(f"lambda async: function {function}: accepted {c['accepted']} != succeeded "
                               f"{c['succeeded']} + sent to OnFailure/DLQ {c['failed']} + dropped {c['dropped']}")
        return out

    # -- the workers (RetryWorkers) ------------------------------------------------------------
    def _run(self, ev: AsyncEvent) -> None:
        with self._hold(ev.function):  # a run of one function's events applies its environment once
            self._attempt(ev)
            for _ in range(self.RUN_LENGTH - 1):
                with self._cv:
                    nxt = None if self._stopping else self._pop_ready(ev.function)
                if nxt is None:
                    break
                self._attempt(nxt)

    def _hold(self, function: str) -> Any:
        try:
            return self.functions.hold_environment(function)
        except Exception:  # noqa: BLE001 - an invoker that cannot hold: each invocation applies it instead
            return contextlib.nullcontext()

    def _attempt(self, ev: AsyncEvent) -> None:
        try:
            self._try(ev)
        except BaseException as e:  # noqa: BLE001 - a bug here must not kill the worker or lose the event
            self._done(ev, "dropped")
            self.trace.emit("async_destination", function=ev.function, request_id=ev.request_id, type=None,
                            ok=False, dropped=True, reason=f"internal error: {type(e).__name__}: {e}")

    def _try(self, ev: AsyncEvent) -> None:
        config = self.config(ev.function)
        if self.now() - ev.accepted_at > config.maximum_event_age_in_seconds:  # waited too long in the queue
            self._discard(ev, "EventAgeExceeded")
            return
        ev.attempt += 1
        ev.last = result = self.functions.invoke(InvocationRequest(
            ev.function, ev.event, attempt=ev.attempt, tags={"source": ev.source, **ev.tags},
            invoke_fields=ev.invoke_fields, request_id=ev.request_id, trace_payload=self.options.trace_payloads))
        if result.ok:
            self._succeeded(ev, config)
            return
        if ev.attempt > config.maximum_retry_attempts:
            self._discard(ev, "RetriesExhausted")
            return
        delay = self.options.backoff(ev.attempt, self._rng)
        if self.now() + delay - ev.accepted_at > config.maximum_event_age_in_seconds:
            self._discard(ev, "EventAgeExceeded")
            return
        self.trace.emit("async_retry", function=ev.function, request_id=ev.request_id, attempt=ev.attempt,
                        error_type=result.error_type, error_message=result.error_message, backoff_s=round(delay, 4))
        with self._cv:
            ev.state = "retrying"
            self._later(ev, delay)
        self._on_activity()

    # -- outcomes ---------------------------------------------------------------------------
    def record(self, ev: AsyncEvent, condition: str) -> dict[str, Any]:
        """AWS's invocation record for ``ev``'s outcome (``Success``, ``RetriesExhausted``, ``EventAgeExceeded``)."""
        result = ev.last
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": datetime.fromtimestamp(self.now(), UTC).isoformat(timespec="milliseconds")
                                                                   .replace("+00:00", "Z"),
            "requestContext": {"requestId": ev.request_id, "functionArn": f"{self.function_arn(ev.function)}:$LATEST",
                               "condition": condition, "approximateInvokeCount": ev.attempt},
            "requestPayload": ev.event,
        }
        if result is not None:
            response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
            if not result.ok:
                response["functionError"] = "Unhandled"
            record["responseContext"] = response
            record["responsePayload"] = jsonable(result.response) if result.ok else {
                "errorMessage": result.error_message, "errorType": result.error_type,
                "stackTrace": (result.traceback or "").splitlines()}
        return record

    def _succeeded(self, ev: AsyncEvent, config: EventInvokeConfig) -> None:
        if config.on_success is not None:
            self._send(ev, "OnSuccess", config.on_success, self.record(ev, "Success"))
        self._done(ev, "succeeded")

    def _discard(self, ev: AsyncEvent, condition: str) -> None:
        """Attempts or age are used up: the record to OnFailure, the event to the DLQ, or dropped."""
        config = self.config(ev.function)
        spec = self.specs.get(ev.function)
        dlq = spec.dead_letter_queue if spec is not None else None
        sent = False
        if config.on_failure is not None:
            sent |= self._send(ev, "OnFailure", config.on_failure, self.record(ev, condition), condition=condition)
        if dlq is not None:
            sent |= self._dead_letter(ev, dlq, condition)
        if config.on_failure is None and dlq is None:
            self.trace.emit("async_destination", function=ev.function, request_id=ev.request_id, type=None,
                            condition=condition, attempts=ev.attempt, ok=False, dropped=True,
                            reason="no OnFailure destination and no dead-letter queue: the event is discarded, "
                                   "as on AWS")
        self._done(ev, "failed" if sent else "dropped")

    def _dead_letter(self, ev: AsyncEvent, dlq: str, condition: str) -> bool:
        result = ev.last
        message = (f"{result.error_type}: {result.error_message}" if result is not None
                   else "the event is older than MaximumEventAgeInSeconds")
        attributes = {"RequestID": ev.request_id, "ErrorCode": "200",
                      "ErrorMessage": message.encode()[:DLQ_ERROR_MESSAGE_BYTES].decode(errors="ignore")}
        return self._send(ev, "DeadLetterQueue", dlq, ev.event, condition=condition, attributes=attributes)

    def _send(self, ev: AsyncEvent, kind: str, ref: str, body: Any, *, condition: str = "Success",
              attributes: Mapping[str, str] | None = None) -> bool:
        """Send ``body`` to the destination ``ref``; traced, never raises (a failed send is the outcome)."""
        fields: dict[str, Any] = dict(function=ev.function, request_id=ev.request_id, type=kind, destination=ref,
                                      condition=condition, attempts=ev.attempt)
        try:
            self._deliver(ref, body, kind, attributes)
        except Exception as e:  # noqa: BLE001 - whatever stops the send (a missing queue, a refusing bus) is the outcome
            self.trace.emit("async_destination", **fields, ok=False, reason=f"{type(e).__name__}: {e}")
            return False
        self.trace.emit("async_destination", **fields, ok=True, **({"attributes": dict(attributes)} if attributes
                                                                      else {}))
        return True

    def _deliver(self, ref: str, body: Any, kind: str, attributes: Mapping[str, str] | None) -> None:
        service, _, name = ref.partition(":")
        if service == "function":
            self.invoke_async(name, body, source="lambda-destination")
            return
        text = body if isinstance(body, str) else json.dumps(body, default=repr)
        if service == "bus":
            if self.put_events is None:
                raise DeliveryError("INVALID_PARAMETER", f"no EventBridge here to send {ref} to", retryable=False)
            outcome = "Success" if kind == "OnSuccess" else "Failure"
            self.put_events([{"Source": DESTINATION_SOURCE, "DetailType": f"Lambda Function Invocation Result - "
                              f"{outcome}", "Detail": text, "EventBusName": self.resolve(ref)}])
            return
        if self.messaging is None:
            raise DeliveryError("INVALID_PARAMETER", f"no messaging here to send {ref} to", retryable=False)
        arn = self.resolve(ref)
        if service == "queue" or arn.split(":")[2:3] == ["sqs"]:
            self.messaging.send_message(arn, text, attributes=attributes)
        else:
            self.messaging.publish(arn, text)

    def _done(self, ev: AsyncEvent, outcome: str) -> None:
        with self._cv:
            ev.state = "done"
            self._outstanding.discard(ev)
            self._ledger(ev.function)[outcome] += 1
        self._on_activity()


__all__ = ["AsyncEvent", "AsyncInvokeOptions", "AsyncInvoker", "DESTINATION_SOURCE"]
