"""Target delivery: one dispatcher per running harness, shared by every backend.

Each (event, rule, target) becomes a :class:`Delivery`, run on the dispatcher's worker threads by
the deliverer registered for the target ARN's service (:data:`DELIVERERS`: ``lambda`` -> Lambda's
asynchronous invocation, ``sqs`` -> SendMessage, ``sns`` -> Publish). A failed attempt is retried
with exponential backoff and jitter until it succeeds, the target's RetryPolicy.MaximumRetryAttempts
is used up, or the next attempt would come after MaximumEventAgeInSeconds (measured from ingestion);
then the event goes to the target's dead-letter queue in AWS's shape: the original event as the body,
and the message attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS and, when
a retry condition ended it, EXHAUSTED_RETRY_CONDITION (MaximumRetryAttempts | MaximumEventAgeInSeconds).
A target that does not exist (no such function, queue or topic) is not retried: NO_RESOURCE goes
to the DLQ at once, as AWS does for missing resources. Without a DLQ the event is dropped (traced).

A Lambda target is delivered once Lambda accepts the event (an asynchronous invoke, as on AWS): the
function's errors are retried by Lambda under the function's event invoke config and end at the
function's OnFailure destination or dead-letter queue (async_invoke.py), never at the rule target's
DLQ, which receives only what EventBridge could not deliver (a missing function, ...).

``pending()`` (a drain check) lists deliveries queued, running or waiting to retry; every
event, attempt and dead letter is in the trace (kinds ``bus_event``, ``delivery``, ``dead_letter``;
``async_invoke`` and the function's ``invoke``/``result``/``error``/``log`` for Lambda targets).
"""
from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.emulators.eventbridge.models import BusEvent, Match, TargetModel
from harness.patterns.transform import TargetInput, transform_input
from harness.runtime.delivery.async_invoke import AsyncInvokeOptions, AsyncInvoker
from harness.runtime.delivery.messaging import DeliveryError, Messaging, client_error
from harness.runtime.delivery.retrying import RetryWorkers, WorkerOptions
from harness.runtime.functions import FunctionService, UnknownFunction
from harness.runtime.invoker import Invoker
from harness.trace import Trace


@dataclass(frozen=True)
class DeliveryOptions(WorkerOptions):
    """Timings of the dispatcher itself (not AWS parameters): fast by default, like EngineOptions.
    AWS backs off from about a second up to minutes over 24 hours; set ``retry_backoff_base_s=1``
    and ``retry_backoff_max_s=300`` to see that pace."""


@dataclass(eq=False, slots=True)
class Delivery:
    """One event to one target of one rule, with its attempts so far."""

    event: BusEvent
    match: Match
    target: TargetModel
    attempt: int = 0
    state: str = "queued"
    last_error: DeliveryError | None = None
    input: TargetInput | None = None


Deliverer = Callable[["Dispatcher", Delivery], None]
#: Target ARN service ("lambda", "sqs", "sns", ...) -> how to deliver to it. Add a service by registering here.
DELIVERERS: dict[str, Deliverer] = {}


def deliverer(service: str) -> Callable[[Deliverer], Deliverer]:
    def register(fn: Deliverer) -> Deliverer:
        DELIVERERS[service] = fn
        return fn
    return register


class Dispatcher(RetryWorkers[Delivery]):
    """Delivers matched events to their targets; see the module docstring for the rules."""

    def __init__(self, backend: Any, trace: Trace,
                 functions: FunctionService | Mapping[str, Invoker] | None = None, *,
                 options: DeliveryOptions | None = None, on_activity: Callable[[], None] | None = None,
                 rules: Mapping[str, str] | None = None, buses: Mapping[str, str] | None = None,
                 prefix: str = "", now: Callable[[], float] = time.time, seed: int | None = None,
                 messaging: Messaging | None = None, async_invoker: AsyncInvoker | None = None) -> None:
        """``rules``: ARN -> logical name of the rules this dispatcher owns; ``buses``: physical ->
        logical name of its buses (it also watches ``default``); ``functions``: the runtime's function
        service (or, standing alone, function name -> invoker); ``async_invoker``: Lambda's asynchronous
        invocation, which Lambda targets are handed to (standing alone: one of its own, which it drains and stops)."""
        self.backend = backend
        self.trace = trace
        self.options = options or DeliveryOptions()
        super().__init__("eventbridge-delivery", self.options.workers)
        if not isinstance(functions, FunctionService):
            functions = FunctionService(functions or {}, trace, trace_payloads=self.options.trace_payloads)
        self.functions = functions
        self.messaging = messaging or Messaging(backend)
        self._owns_async = async_invoker is None
        self.async_invoker = async_invoker or AsyncInvoker(
            functions, trace, messaging=self.messaging, now=now, on_activity=on_activity, seed=seed,
            options=AsyncInvokeOptions(trace_payloads=self.options.trace_payloads))
        self.rules = dict(rules or {})
        self.buses = dict(buses or {})
        self.prefix = prefix
        self.now = now
        self.stats = {"events": 0, "deliveries": 0, "attempts": 0, "succeeded": 0, "failed_attempts": 0,
                      "dead_lettered": 0, "dropped": 0}
        self._on_activity = on_activity or (lambda: None)
        self._rng = random.Random(seed)
        self._ready: deque[Delivery] = deque()
        #: per (rule ARN, target id): accepted, succeeded, dead_lettered, dropped (see problems())
        self._targets: dict[tuple[str, str], dict[str, int]] = {}

    # -- the sink protocol (see server.py) --------------------------------------------------
    def owns(self, rule_arn: str) -> bool:
        return rule_arn in self.rules

    def watches(self, bus: str) -> bool:
        return bus == "default" or bus in self.buses

    def rule_name(self, match: Match) -> str:
        return self.rules.get(match.rule_arn, match.rule)

    def accept(self, routed: Sequence[tuple[BusEvent, Sequence[Match]]]) -> None:
        """Record each event and queue one delivery per target of each of its ``matches`` (the
        rules this dispatcher delivers for; ``event.matches`` has every rule the event matched)."""
        deliveries: list[Delivery] = []
        for event, matches in routed:
            mine = [Delivery(event, m, t) for m in matches for t in m.targets]
            deliveries += mine
            e = event.event
            self.trace.emit("bus_event", bus=self.buses.get(event.bus, event.bus), bus_name=event.bus,
                            event_id=e["id"], source=e["source"], detail_type=e["detail-type"], detail=e["detail"],
                            resources=e["resources"], time=e["time"],
                            matched_rules=[self.rules.get(m.rule_arn, m.rule) for m in event.matches],
                            deliveries=len(mine))
        with self._cv:
            self.stats["events"] += len(routed)
        self.submit(deliveries)

    def submit(self, deliveries: Sequence[Delivery]) -> bool:
        """Queue deliveries (no ``bus_event``: whoever routed the events records them); False when the
        dispatcher is stopping (nothing queued). A delivery whose ``input`` is set is sent as it is
        (external mode: the backend already applied the target's input settings); otherwise the target's
        Input / InputPath / InputTransformer are applied first."""
        with self._cv:
            if self._stopping:
                return False
            if not deliveries:
                return True
            self.stats["deliveries"] += len(deliveries)
            for d in deliveries:
                self._ledger(d)["accepted"] += 1
            self._outstanding.update(deliveries)
            self._ready.extend(deliveries)
            self._start_workers()
            self._cv.notify(len(deliveries))
        self._on_activity()
        return True

    # -- drain and stop ---------------------------------------------------------------------
    def pending(self) -> list[str]:
        """A drain check: one line per delivery not finished yet (at most 10, then a count), and the
        asynchronous invocations of Lambda targets when this dispatcher has its own."""
        own = self.async_invoker.pending() if self._owns_async else []
        return self.describe_outstanding("eventbridge", "target deliveries") + own

    def _ledger(self, d: Delivery) -> dict[str, int]:
        """The counts of ``d``'s target (the caller holds ``_cv``)."""
        key = (d.match.rule_arn, d.target.id)
        ledger = self._targets.get(key)
        if ledger is None:
            ledger = self._targets[key] = {"accepted": 0, "succeeded": 0, "dead_lettered": 0, "dropped": 0}
        return ledger

    def target_stats(self) -> dict[tuple[str, str], dict[str, int]]:
        """Per (rule ARN, target id): deliveries accepted, delivered (succeeded), dead-lettered, dropped."""
        with self._cv:
            return {k: dict(v) for k, v in self._targets.items()}

    def problems(self) -> list[str]:
        """A drain health check: worker threads that died, and, once nothing is outstanding, targets whose
        accounting does not hold (accepted == delivered + dead-lettered + dropped for lack of a DLQ)."""
        out = self.async_invoker.problems() if self._owns_async else []
        with self._cv:
            out += [f"eventbridge: delivery thread {name} has died" for name in self.dead_workers()]
            if self._outstanding:
                return out
            for (rule_arn, target), c in self._targets.items():
                if c["accepted"] != c["succeeded"] + c["dead_lettered"] + c["dropped"]:
                    out.append(f"eventbridge: rule {self.rules.get(rule_arn, rule_arn)} -> target {target}: accepted "
                               f"{c['accepted']} != delivered {c['succeeded']} + dead-lettered {c['dead_lettered']} "
                               f"+ dropped {c['dropped']}")
        return out

    def _describe(self, d: Delivery) -> str:
        what = f"eventbridge: rule {self.rule_name(d.match)} -> target {d.target.id} ({d.target.arn})"
        if d.state == "retrying" and d.last_error is not None:
            return f"{what}: retrying after attempt {d.attempt}: {d.last_error.code}: {d.last_error.message}"
        return f"{what}: {d.state}" + (f" (attempt {d.attempt})" if d.attempt else "")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; deliveries still pending are abandoned (counted, not delivered)."""
        super().stop(timeout)
        if self._owns_async:
            self.async_invoker.stop(timeout)

    # -- the workers (RetryWorkers) ------------------------------------------------------------
    def _make_ready(self, d: Delivery) -> None:
        self._ready.append(d)

    def _pop_ready(self) -> Delivery | None:
        if not self._ready:
            return None
        d = self._ready.popleft()
        d.state = "delivering"
        return d

    def _run(self, d: Delivery) -> None:
        self._attempt(d)

    def _attempt(self, d: Delivery) -> None:
        d.attempt += 1
        rule = self.rule_name(d.match)
        started = time.perf_counter()
        try:
            if self.now() - d.event.ingestion_time > d.target.max_event_age_s:  # waited too long in the queue
                error = d.last_error or DeliveryError("TIMEOUT", "the event is older than MaximumEventAgeInSeconds")
                self._finish(d, error, condition="MaximumEventAgeInSeconds", attempted=False)
                return
            if d.input is None:
                d.input = self._target_input(d, rule)
            handler = DELIVERERS.get(d.target.service)
            if handler is None:
                raise DeliveryError("INVALID_PARAMETER", f"targets of service {d.target.service!r} are not supported "
                                                         f"(supported: {', '.join(sorted(DELIVERERS))})",
                                    retryable=False)
            handler(self, d)
        except DeliveryError as e:
            self._failed(d, rule, e, started)
        except BaseException as e:  # noqa: BLE001 - a bug in a deliverer must not kill the worker: report it
            self._failed(d, rule, DeliveryError("INTERNAL_ERROR", f"{type(e).__name__}: {e}"), started)
        else:
            self.trace.emit("delivery", rule=rule, rule_arn=d.match.rule_arn, target=d.target.id,
                            target_arn=d.target.arn, event_id=d.event.id, attempt=d.attempt, ok=True,
                            duration_ms=round((time.perf_counter() - started) * 1000, 3))
            self._done(d, attempts=1, succeeded=1)

    def _target_input(self, d: Delivery, rule: str) -> TargetInput:
        t = d.target
        return transform_input(d.event.event, input=t.input, input_path=t.input_path,
                               input_paths_map=t.input_paths_map, input_template=t.input_template,
                               rule_arn=d.match.rule_arn,
                               rule_name=d.match.rule, ingestion_time=d.event.ingestion_time,
                               event_text=d.event.text)

    def _failed(self, d: Delivery, rule: str, error: DeliveryError, started: float) -> None:
        d.last_error = error
        retries_left = d.attempt <= d.target.max_retry_attempts
        delay = self.options.backoff(d.attempt, self._rng) if error.retryable and retries_left else 0.0
        age_after = self.now() + delay - d.event.ingestion_time
        will_retry = error.retryable and retries_left and age_after <= d.target.max_event_age_s
        with self._cv:
            self.stats["attempts"] += 1
            self.stats["failed_attempts"] += 1
            d.state = "retrying" if will_retry else "giving up"
        self.trace.emit("delivery", rule=rule, rule_arn=d.match.rule_arn, target=d.target.id, target_arn=d.target.arn,
                        event_id=d.event.id, attempt=d.attempt, ok=False, error_code=error.code,
                        error_message=error.message, will_retry=will_retry,
                        duration_ms=round((time.perf_counter() - started) * 1000, 3),
                        **({"backoff_s": round(delay, 4)} if will_retry else {}))
        if will_retry:
            with self._cv:
                d.state = "retrying"
                self._later(d, delay)
            self._on_activity()
            return
        condition = None
        if error.retryable:
            condition = "MaximumRetryAttempts" if not retries_left else "MaximumEventAgeInSeconds"
        self._finish(d, error, condition=condition)

    def _finish(self, d: Delivery, error: DeliveryError, *, condition: str | None, attempted: bool = True) -> None:
        """Retries are over: to the DLQ, or dropped when the target has none."""
        d.last_error = error
        if not attempted:
            d.attempt -= 1
        retry_attempts = max(d.attempt - 1, 0)
        rule = self.rule_name(d.match)
        dlq = d.target.dead_letter_arn
        fields: dict[str, Any] = dict(rule=rule, rule_arn=d.match.rule_arn, target=d.target.id,
                                      target_arn=d.target.arn, event_id=d.event.id, error_code=error.code,
                                      error_message=error.message, retry_attempts=retry_attempts,
                                      condition=condition, dlq=dlq)
        if dlq is None:
            self.trace.emit("dead_letter", **fields, ok=False, dropped=True,
                            reason="no DeadLetterConfig: the event is dropped, as on AWS")
            self._done(d, dropped=1)
            return
        attributes = {"RULE_ARN": d.match.rule_arn, "TARGET_ARN": d.target.arn, "ERROR_CODE": error.code,
                      "ERROR_MESSAGE": error.message[:4096] or error.code, "RETRY_ATTEMPTS": str(retry_attempts)}
        if condition is not None:
            attributes["EXHAUSTED_RETRY_CONDITION"] = condition
        try:
            self.messaging.send_message(dlq, d.event.text, attributes=attributes)
        except DeliveryError as e:
            self.trace.emit("dead_letter", **fields, ok=False, dropped=True,
                            reason=f"the dead-letter queue could not be sent to: {e}")
            self._done(d, dropped=1)
        else:
            self.trace.emit("dead_letter", **fields, ok=True, attributes=attributes)
            self._done(d, dead_lettered=1)

    def _done(self, d: Delivery, **counts: int) -> None:
        with self._cv:
            d.state = "done"
            self._outstanding.discard(d)
            ledger = self._ledger(d)
            for k, n in counts.items():
                self.stats[k] += n
                if k in ledger:
                    ledger[k] += n
            quiet = not self._outstanding
        if quiet or not counts.get("succeeded"):
            self._on_activity()  # drain re-checks when the last delivery ends (and after every failure)

    # -- helpers --------------------------------------------------------------------------
    def function_for(self, function_name: str) -> str | None:
        """The logical name of the function a target names (deployed with the prefix, or not)."""
        if function_name in self.functions:
            return function_name
        if self.prefix and function_name.startswith(self.prefix) and function_name[len(self.prefix):] in self.functions:
            return function_name[len(self.prefix):]
        return None


# -- the deliverers ---------------------------------------------------------------------------
def _input(d: Delivery) -> TargetInput:
    if d.input is None:  # _attempt sets it before any deliverer runs
        raise DeliveryError("INTERNAL_ERROR", f"delivery of event {d.event.id} has no target input", retryable=False)
    return d.input


@deliverer("lambda")
def deliver_to_lambda(dispatcher: Dispatcher, d: Delivery) -> None:
    """An asynchronous invocation: delivered once Lambda accepts the event. What the function then does
    (errors, retries, its destinations and DLQ) is Lambda's, never this target's (see async_invoke.py)."""
    function = dispatcher.function_for(d.target.function)
    if function is None:
        raise DeliveryError("NO_RESOURCE", f"Function not found: {d.target.arn}", retryable=False)
    try:
        dispatcher.async_invoker.invoke_async(
            function, _input(d).as_lambda_payload(), source="eventbridge",
            tags={"rule": dispatcher.rule_name(d.match)}, invoke_fields={"target": d.target.id, "event_id": d.event.id})
    except UnknownFunction:
        raise DeliveryError("NO_RESOURCE", f"Function not found: {d.target.arn}", retryable=False) from None
    except RuntimeError as e:  # the runtime is stopping: Lambda did not accept it
        raise DeliveryError("SDK_CLIENT_ERROR", str(e)) from None


@deliverer("sqs")
def deliver_to_sqs(dispatcher: Dispatcher, d: Delivery) -> None:
    """SendMessage with the target input as the body; FIFO queues take the target's
    SqsParameters.MessageGroupId and the event id as the deduplication id."""
    fifo = d.target.arn.endswith(".fifo")
    if fifo and not d.target.message_group_id:
        raise DeliveryError("INVALID_PARAMETER", "a FIFO queue target needs SqsParameters.MessageGroupId",
                            retryable=False)
    dispatcher.messaging.send_message(d.target.arn, _input(d).text,
                                      group_id=d.target.message_group_id if fifo else None,
                                      deduplication_id=d.event.id if fifo else None)


@deliverer("sns")
def deliver_to_sns(dispatcher: Dispatcher, d: Delivery) -> None:
    """Publish with the target input as the message."""
    dispatcher.messaging.publish(d.target.arn, _input(d).text)


__all__ = ["DELIVERERS", "Delivery", "DeliveryError", "DeliveryOptions", "Dispatcher", "client_error", "deliverer"]
