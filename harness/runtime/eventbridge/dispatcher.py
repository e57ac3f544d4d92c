"""Target delivery: one dispatcher per running harness, shared by every backend.

Each (event, rule, target) becomes a :class:`Delivery`, run on the dispatcher's worker threads
(asynchronously, as EventBridge invokes Lambda targets) by the deliverer registered for the
target ARN's service (:data:`DELIVERERS`: ``lambda`` -> the runtime's invoker, ``sqs`` ->
SendMessage, ``sns`` -> Publish). A failed attempt is retried with exponential backoff and jitter
until it succeeds, the target's RetryPolicy.MaximumRetryAttempts is used up, or the next attempt
would come after MaximumEventAgeInSeconds (measured from ingestion); then the event goes to the
target's dead-letter queue in AWS's shape: the original event as the body, and the message
attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS and, when a retry
condition ended it, EXHAUSTED_RETRY_CONDITION (MaximumRetryAttempts | MaximumEventAgeInSeconds).
A target that does not exist (no such function, queue or topic) is not retried: NO_RESOURCE goes
to the DLQ at once, as AWS does for missing resources. Without a DLQ the event is dropped (traced).

Decision (a harness choice, stated because AWS differs): on AWS, EventBridge's delivery to Lambda
is an *asynchronous invoke*; a function error is then retried by Lambda's own async retries (2 by
default) and never reaches the rule target's DLQ. Here a function error (ERROR_FROM_TARGET) is
retried under the target's RetryPolicy and dead-lettered to the target's DLQ, so a failing
handler is visible where the topology configured it.

``pending()`` (a drain check) lists deliveries queued, running or waiting to retry; every
event, attempt and dead letter is in the trace (kinds ``bus_event``, ``invoke``/``result``/
``error``/``log`` for Lambda targets, ``delivery``, ``dead_letter``).
"""
from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.emulators.sns.exceptions import SnsError
from harness.emulators.sqs.exceptions import SqsError
from harness.runtime.eventbridge.models import BusEvent, Match, TargetModel, new_id
from harness.runtime.eventbridge.transform import TargetInput, transform_input
from harness.trace import Trace


@dataclass(frozen=True)
class DeliveryOptions:
    """Timings of the dispatcher itself (not AWS parameters): fast by default, like EngineOptions.
    AWS backs off from about a second up to minutes over 24 hours; set ``retry_backoff_base_s=1``
    and ``retry_backoff_max_s=300`` to see that pace."""

    workers: int = 4
    retry_backoff_base_s: float = 0.01
    retry_backoff_max_s: float = 1.0
    retry_backoff_factor: float = 2.0
    jitter: bool = True
    trace_payloads: bool = True

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The delay before retry number ``attempt`` (1 = the first retry): exponential, capped,
        with "equal jitter" (between half and all of it) when ``jitter``."""
        delay = min(self.retry_backoff_max_s, self.retry_backoff_base_s * self.retry_backoff_factor ** (attempt - 1))
        if self.jitter:
            delay = (rng or random).uniform(delay / 2, delay)
        return delay


class DeliveryError(Exception):
    """A failed attempt: ``code`` is one of the ERROR_CODE values AWS documents for DLQ messages
    (ERROR_FROM_TARGET, NO_RESOURCE, THROTTLING, SDK_CLIENT_ERROR, ...)."""

    def __init__(self, code: str, message: str, *, retryable: bool = True) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable


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


class Dispatcher:
    """Delivers matched events to their targets; see the module docstring for the rules."""

    def __init__(self, backend: Any, trace: Trace, invokers: Mapping[str, Any] | None = None, *,
                 options: DeliveryOptions | None = None, on_activity: Callable[[], None] | None = None,
                 rules: Mapping[str, str] | None = None, buses: Mapping[str, str] | None = None,
                 prefix: str = "", now: Callable[[], float] = time.time, seed: int | None = None) -> None:
        """``rules``: ARN -> logical name of the rules this dispatcher owns; ``buses``: physical ->
        logical name of its buses (it also watches ``default``); ``invokers``: function name -> invoker."""
        self.backend = backend
        self.trace = trace
        self.invokers: Mapping[str, Any] = invokers if invokers is not None else {}
        self.options = options or DeliveryOptions()
        self.rules = dict(rules or {})
        self.buses = dict(buses or {})
        self.prefix = prefix
        self.now = now
        self.stats = {"events": 0, "deliveries": 0, "attempts": 0, "succeeded": 0, "failed_attempts": 0,
                      "dead_lettered": 0, "dropped": 0}
        self._on_activity = on_activity or (lambda: None)
        self._rng = random.Random(seed)
        self._cv = threading.Condition()
        self._ready: deque[Delivery] = deque()
        self._delayed: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._outstanding: set[Delivery] = set()
        self._workers: list[threading.Thread] = []
        self._stopping = False
        self._queue_urls: dict[str, str] = {}

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
            self._outstanding.update(deliveries)
            self._ready.extend(deliveries)
            self._start_workers()
            self._cv.notify(len(deliveries))
        self._on_activity()
        return True

    # -- drain and stop ---------------------------------------------------------------------
    def pending(self) -> list[str]:
        """A drain check: one line per delivery not finished yet (at most 10, then a count)."""
        with self._cv:
            if not self._outstanding:
                return []
            items = list(self._outstanding)
        lines = [self._describe(d) for d in items[:10]]
        if len(items) > 10:
            lines.append(f"eventbridge: ... and {len(items) - 10} more target deliveries")
        return lines

    def _describe(self, d: Delivery) -> str:
        what = f"eventbridge: rule {self.rule_name(d.match)} -> target {d.target.id} ({d.target.arn})"
        if d.state == "retrying" and d.last_error is not None:
            return f"{what}: retrying after attempt {d.attempt}: {d.last_error.code}: {d.last_error.message}"
        return f"{what}: {d.state}" + (f" (attempt {d.attempt})" if d.attempt else "")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; deliveries still pending are abandoned (counted, not delivered)."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
            workers, self._workers = self._workers, []
        for w in workers:
            w.join(timeout)

    # -- the workers ------------------------------------------------------------------------
    def _start_workers(self) -> None:
        while len(self._workers) < max(1, self.options.workers):
            t = threading.Thread(target=self._work, name=f"eventbridge-delivery-{len(self._workers)}", daemon=True)
            self._workers.append(t)
            t.start()

    def _work(self) -> None:
        while True:
            with self._cv:
                while True:
                    if self._stopping:
                        return
                    now = time.monotonic()
                    while self._delayed and self._delayed[0][0] <= now:
                        self._ready.append(heapq.heappop(self._delayed)[2])
                    if self._ready:
                        d = self._ready.popleft()
                        d.state = "delivering"
                        break
                    self._cv.wait(self._delayed[0][0] - now if self._delayed else None)
            hold = self._environment_hold(d)
            if hold is None:
                self._attempt(d)
                continue
            with hold:  # a run of deliveries to one function applies its environment once
                self._attempt(d)
                for _ in range(self.RUN_LENGTH - 1):
                    with self._cv:
                        if self._stopping or not self._ready or self._ready[0].target is not d.target:
                            break
                        d = self._ready.popleft()
                        d.state = "delivering"
                    self._attempt(d)

    #: at most this many consecutive deliveries to one function share one application of its environment
    RUN_LENGTH = 32

    def _environment_hold(self, d: Delivery) -> Any:
        """For a Lambda target run in process: a context manager that keeps the function's environment
        applied across a run of its invocations (as overlapping invocations of one function already
        share it), so each invocation does not set and restore os.environ. None otherwise."""
        if d.target.service != "lambda":
            return None
        invoker = self.invoker_for(d.target.function)
        if invoker is None:
            return None
        hold = getattr(invoker, "hold_environment", None)  # in-process invokers have one; workers need none
        return hold() if callable(hold) else None

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
        except Exception as e:  # a bug in a deliverer must not kill the worker: report it as AWS would
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
                heapq.heappush(self._delayed, (time.monotonic() + delay, next(self._seq), d))
                self._cv.notify()
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
            self.send_to_queue(dlq, d.event.text, {k: {"DataType": "String", "StringValue": v}
                                                   for k, v in attributes.items()})
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
            for k, n in counts.items():
                self.stats[k] += n
            quiet = not self._outstanding
        if quiet or not counts.get("succeeded"):
            self._on_activity()  # drain re-checks when the last delivery ends (and after every failure)

    # -- backend helpers --------------------------------------------------------------------
    def sqs(self) -> Any:
        return self.backend.client("sqs")

    def sns(self) -> Any:
        return self.backend.client("sns")

    def send_to_queue(self, arn: str, body: str, attributes: dict[str, Any] | None = None,
                      group_id: str | None = None, dedup_id: str | None = None) -> None:
        """SendMessage to the queue ``arn`` names. When the backend serves SQS in this process (the embedded
        backend's own endpoint), its model's ``send_message`` is called directly: the very call the wire's
        SendMessage makes, without a boto3 request's CPU in the harness process."""
        local = getattr(self.backend, "messaging", None)
        if local is not None:
            try:
                local.sqs.send_message(arn, body, attributes=attributes, group_id=group_id, dedup_id=dedup_id)
            except SqsError as e:
                raise delivery_error(e.code, e.message, arn) from None
            return
        kwargs: dict[str, Any] = {"QueueUrl": self.queue_url(arn), "MessageBody": body}
        if attributes:
            kwargs["MessageAttributes"] = attributes
        if group_id:
            kwargs.update(MessageGroupId=group_id, MessageDeduplicationId=dedup_id)
        try:
            self.sqs().send_message(**kwargs)
        except ClientError as e:
            error = client_error(e, arn)
            if error.code == "NO_RESOURCE":
                self.forget_queue(arn)
            raise error from None
        except BotoCoreError as e:
            raise DeliveryError("CONNECTION_FAILURE", str(e)) from None

    def queue_url(self, arn: str) -> str:
        """``arn:aws:sqs:REGION:ACCOUNT:NAME`` -> its URL (NO_RESOURCE when there is no such queue)."""
        url = self._queue_urls.get(arn)
        if url is None:
            parts = arn.split(":")
            if len(parts) != 6:
                raise DeliveryError("INVALID_PARAMETER", f"{arn} is not an SQS queue ARN", retryable=False)
            try:
                url = self.sqs().get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
            except ClientError as e:
                raise client_error(e, arn) from None
            self._queue_urls[arn] = url
        return url

    def forget_queue(self, arn: str) -> None:
        self._queue_urls.pop(arn, None)

    def invoker_for(self, function_name: str) -> Any:
        invoker = self.invokers.get(function_name)
        if invoker is None and self.prefix and function_name.startswith(self.prefix):
            invoker = self.invokers.get(function_name[len(self.prefix):])
        return invoker


_NOT_FOUND = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFound", "NotFoundException",
              "ResourceNotFoundException"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled"}


def client_error(e: ClientError, arn: str) -> DeliveryError:
    """A backend error as the DLQ's ERROR_CODE: missing resources are not retried."""
    return delivery_error(e.response.get("Error", {}).get("Code", ""), e.response.get("Error", {}).get("Message", str(e)),
                          arn)


def delivery_error(code: str, message: str, arn: str) -> DeliveryError:
    """An AWS error code and message as the DLQ's ERROR_CODE."""
    if code in _NOT_FOUND:
        return DeliveryError("NO_RESOURCE", f"{arn} does not exist ({code}: {message})", retryable=False)
    if code in _THROTTLED:
        return DeliveryError("THROTTLING", message)
    if code in ("AccessDenied", "AccessDeniedException", "AuthorizationError"):
        return DeliveryError("NO_PERMISSIONS", message, retryable=False)
    if code in ("InvalidParameterValue", "InvalidParameter", "InvalidMessageContents", "MissingParameter"):
        return DeliveryError("INVALID_PARAMETER", f"{code}: {message}", retryable=False)
    return DeliveryError("SDK_CLIENT_ERROR", f"{code}: {message}")


# -- the deliverers ---------------------------------------------------------------------------
@deliverer("lambda")
def deliver_to_lambda(dispatcher: Dispatcher, d: Delivery) -> None:
    """An asynchronous invocation by the runtime's invoker for the function the ARN names."""
    invoker = dispatcher.invoker_for(d.target.function)
    if invoker is None:
        raise DeliveryError("NO_RESOURCE", f"Function not found: {d.target.arn}", retryable=False)
    assert d.input is not None
    payload = d.input.as_lambda_payload()
    request_id = new_id()
    rule = dispatcher.rule_name(d.match)
    trace, fn = dispatcher.trace, invoker.function.name
    trace.emit("invoke", function=fn, source="eventbridge", rule=rule, target=d.target.id, event_id=d.event.id,
               request_id=request_id, attempt=d.attempt,
               **({"event": payload} if dispatcher.options.trace_payloads else {}))
    result = invoker.invoke(payload, request_id)
    for stream, line in result.logs:
        trace.emit("log", function=fn, request_id=request_id, stream=stream, message=line)
    for call in getattr(result, "calls", ()):
        trace.emit("api_call", function=fn, request_id=request_id, **call)
    extra = {k: getattr(result, k) for k in ("cold_start", "init_duration_ms") if hasattr(result, k)}
    if result.ok:
        trace.emit("result", function=fn, source="eventbridge", rule=rule, request_id=request_id,
                   duration_ms=round(result.duration_ms, 3), response=_jsonable(result.response), **extra)
        return
    trace.emit("error", function=fn, source="eventbridge", rule=rule, request_id=request_id, attempt=d.attempt,
               duration_ms=round(result.duration_ms, 3), error_type=result.error_type,
               error_message=result.error_message, traceback=result.traceback, **extra)
    raise DeliveryError("ERROR_FROM_TARGET", f"{result.error_type}: {result.error_message}")


@deliverer("sqs")
def deliver_to_sqs(dispatcher: Dispatcher, d: Delivery) -> None:
    """SendMessage with the target input as the body; FIFO queues take the target's
    SqsParameters.MessageGroupId and the event id as the deduplication id."""
    assert d.input is not None
    group = dedup = None
    if d.target.arn.endswith(".fifo"):
        group = d.target.message_group_id
        if not group:
            raise DeliveryError("INVALID_PARAMETER", "a FIFO queue target needs SqsParameters.MessageGroupId",
                                retryable=False)
        dedup = d.event.id
    dispatcher.send_to_queue(d.target.arn, d.input.text, group_id=group, dedup_id=dedup)


@deliverer("sns")
def deliver_to_sns(dispatcher: Dispatcher, d: Delivery) -> None:
    """Publish with the target input as the message."""
    assert d.input is not None
    local = getattr(dispatcher.backend, "messaging", None)
    if local is not None:  # the backend's own SNS, in this process: its model's Publish, as in send_to_queue
        try:
            local.sns.publish(d.target.arn, d.input.text)
        except SnsError as e:
            raise delivery_error(e.code, e.message, d.target.arn) from None
        return
    try:
        dispatcher.sns().publish(TopicArn=d.target.arn, Message=d.input.text)
    except ClientError as e:
        raise client_error(e, d.target.arn) from None
    except BotoCoreError as e:
        raise DeliveryError("CONNECTION_FAILURE", str(e)) from None


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


__all__ = ["DELIVERERS", "Delivery", "DeliveryError", "DeliveryOptions", "Dispatcher", "client_error", "deliverer", "delivery_error"]
