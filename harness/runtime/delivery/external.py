"""The runtime side of an external EventBridge (moto's, LocalStack's, AWS's: the backend routes events).

Deploy (harness/deploy/external.py) backed every Lambda target with a *delivery queue* and gave
every bus a capture-all rule with a *capture queue*. Here:

- one poller thread per delivery queue long-polls it (``WaitTimeSeconds``) and hands each message to
  the existing :class:`~.dispatcher.Dispatcher` as a Lambda delivery of that rule's target, so
  retries, the DLQ, and the ``delivery`` / ``dead_letter`` / ``invoke`` trace are the embedded mode's
  code path. The body is what the backend made of the event after the target's Input / InputPath /
  InputTransformer, so it is sent as it is (not transformed again). The message is deleted once the
  dispatcher has taken it (its retries are then the dispatcher's, in memory).
- one poller per capture queue records every event as a ``bus_event`` whose ``matched_rules`` are
  OUR matcher's verdict (the topology's enabled rules of that bus).
- a backend may route after PutEvents returns (LocalStack and AWS do; moto does not), so an event
  PutEvents accepted on a deployed bus (by a function, or through ``Harness.client("events")``) keeps
  the pipeline busy until the capture rule has recorded it: a drain does not end between the two.
- once everything is quiet (no message waiting or in flight in any of these queues, none in hand),
  each captured event is judged: the rules our matcher matched are compared with the rules whose
  delivery queue received the event (:func:`routing_divergences`); a difference is a
  ``divergence`` trace event and an entry of :meth:`ExternalEventBridge.divergences`.

Only *observable* rules are compared: those with a Lambda target without Input, InputPath or
InputTransformer, whose delivery queue receives the event envelope itself and so names the event id.
A transformed payload does not carry the event id, and SQS/SNS targets of the topology are the
user's queues (reading them would steal the messages), so those rules are left out of the comparison.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.emulators.eventbridge.models import BusEvent, Match, TargetModel
from harness.patterns import EventPattern, compile_pattern
from harness.patterns.transform import TargetInput
from harness.runtime.delivery.dispatcher import Delivery, Dispatcher

#: seconds each receive waits for messages (a long poll); also the longest a stop waits for a poller
WAIT_TIME_S = 1


def routing_divergences(ours: Mapping[str, Iterable[str]], backend: Mapping[str, Iterable[str]],
                        observable: Collection[str]) -> list[dict[str, Any]]:
    """Per event id: the rules our matcher matched (``ours``, for every captured event) vs the rules
    the backend delivered it through (``backend``), both restricted to ``observable`` rules. One entry
    per event whose two sets differ, in the order of ``ours`` then of events only the backend saw
    (``captured`` False: the capture-all rule never recorded them)."""
    out: list[dict[str, Any]] = []
    for event_id in [*ours, *(e for e in backend if e not in ours)]:
        mine = {r for r in ours.get(event_id, ()) if r in observable}
        theirs = {r for r in backend.get(event_id, ()) if r in observable}
        if mine != theirs:
            out.append({"event_id": event_id, "ours": sorted(mine), "backend": sorted(theirs),
                        "only_ours": sorted(mine - theirs), "only_backend": sorted(theirs - mine),
                        "captured": event_id in ours})
    return out


def _envelope(body: str) -> dict[str, Any] | None:
    """The body as an EventBridge event envelope, or None (a transformed payload)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str) and all(
            k in data for k in ("source", "detail-type", "detail")):
        return data
    return None


@dataclass(frozen=True)
class _RuleInfo:
    name: str            # logical
    bus: str             # logical
    enabled: bool
    pattern: EventPattern
    observable: bool


class ExternalEventBridge:
    """Pollers of a deployment's delivery and capture queues; see the module docstring."""

    def __init__(self, runtime: Any, dispatcher: Dispatcher, *, wait_time_s: int = WAIT_TIME_S) -> None:
        self.runtime = runtime
        self.dispatcher = dispatcher
        self.trace = runtime.trace
        self.dep = runtime.deployment
        self.wait_time_s = wait_time_s
        queues = len(self.dep.delivery_queues) + len(self.dep.capture_queues)
        self.sqs = runtime.backend.client("sqs", max_pool_connections=queues + 4)
        self.rules = {r.name: _RuleInfo(
            r.name, r.bus, r.enabled, compile_pattern(r.event_pattern, dialect="eventbridge"),
            any(t.kind == "function" and t.input is None and t.input_path is None and t.input_transformer is None
                for t in r.targets))
            for r in self.dep.topology.rules}
        self.observable = {name for name, r in self.rules.items() if r.observable}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._in_hand = 0
        self._captured: dict[str, dict[str, Any]] = {}     # event id -> the bus_event fields
        self._delivered: dict[str, set[str]] = {}          # event id -> rules whose delivery queue got it
        self._judged: set[str] = set()
        self._divergences: list[dict[str, Any]] = []
        self._sent: set[str] = set()                       # ids PutEvents accepted on a deployed bus
        self._bus_names = {cq.bus_name for cq in self.dep.capture_queues.values()}
        self._unsubscribe = self.trace.subscribe(self._on_trace)
        self.stats = {"captured": 0, "delivered": 0, "unattributed": 0, "poll_errors": 0}

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> ExternalEventBridge:
        for dq in self.dep.delivery_queues.values():
            self._spawn(f"eb-delivery-{dq.name}", self._poll, dq.url, lambda m, dq=dq: self._deliver(dq, m))
        for cq in self.dep.capture_queues.values():
            self._spawn(f"eb-capture-{cq.name}", self._poll, cq.url, lambda m, cq=cq: self._capture(cq, m))
        return self

    def _spawn(self, name: str, target: Any, *args: Any) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(t)
        t.start()

    def stop(self) -> None:
        self._unsubscribe()
        self._stop.set()
        for t in self._threads:
            t.join(self.wait_time_s + 5)
        self._threads.clear()

    def problems(self) -> list[str]:
        """A drain health check: pollers that died while running."""
        if self._stop.is_set():
            return []
        return [f"eventbridge (external): poller thread {t.name} has died" for t in self._threads if not t.is_alive()]

    # -- polling ----------------------------------------------------------------------------
    def _poll(self, url: str, handle: Any) -> None:
        """Long-poll ``url``; ``handle(messages)`` returns the messages it took (to delete)."""
        while not self._stop.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_time_s,
                    AttributeNames=["SentTimestamp"]).get("Messages", [])
            except (ClientError, BotoCoreError):
                if self._stop.is_set():
                    return
                with self._lock:
                    self.stats["poll_errors"] += 1
                self._stop.wait(0.05)  # the queue is gone or the backend is stopping: do not spin
                continue
            if not messages:
                continue
            with self._lock:
                self._in_hand += len(messages)
            try:
                taken = handle(messages)
                if taken:
                    self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(taken)])
            except (ClientError, BotoCoreError):
                with self._lock:
                    self.stats["poll_errors"] += 1
            finally:
                with self._lock:
                    self._in_hand -= len(messages)
                self.runtime.activity()

    def _deliver(self, dq: Any, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Hand delivery-queue messages to the dispatcher as Lambda deliveries of ``dq``'s target."""
        rule = self.dep.rules[dq.rule]
        target = TargetModel.from_aws(dq.target)
        match = Match(rule.name, rule.arn, dq.bus, (target,))
        deliveries = []
        for m in messages:
            body = m["Body"]
            envelope = _envelope(body)
            sent = int(m.get("Attributes", {}).get("SentTimestamp", "0")) / 1000 or None
            event = BusEvent(envelope or {"id": None}, dq.bus, sent or self.dispatcher.now(), (match,), body)
            deliveries.append(Delivery(event, match, target, input=TargetInput(body)))
            with self._lock:
                if envelope is None:
                    self.stats["unattributed"] += 1
                else:
                    self.stats["delivered"] += 1
                    self._delivered.setdefault(envelope["id"], set()).add(dq.rule)
                    self._rejudge(envelope["id"])
        if self._stop.is_set() or not self.dispatcher.submit(deliveries):
            return []  # stopping: leave them in the queue
        return messages

    def _capture(self, cq: Any, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Record captured events as ``bus_event``s with our matcher's verdict."""
        for m in messages:
            e = _envelope(m["Body"])
            if e is None:
                continue
            matched = [r.name for r in self.rules.values() if r.bus == cq.bus and r.enabled and r.pattern.matches(e)]
            fields = dict(bus=cq.bus, bus_name=cq.bus_name, event_id=e["id"], source=e["source"],
                          detail_type=e["detail-type"], detail=e["detail"], resources=e.get("resources", []),
                          time=e.get("time"), matched_rules=matched, captured_by=cq.rule)
            with self._lock:
                self.stats["captured"] += 1
                self._captured[e["id"]] = fields
            self.trace.emit("bus_event", **fields)
        return messages

    # -- drain and the divergence report ----------------------------------------------------
    def sent(self, entries: Iterable[tuple[str | None, str | None]]) -> None:
        """Event ids PutEvents accepted, with the bus each was put on (a name or an ARN; None: default)."""
        ids = {i for bus, i in entries if i and (bus or "default").rsplit("/", 1)[-1] in self._bus_names}
        with self._lock:
            self._sent |= ids

    def _on_trace(self, event: Mapping[str, Any]) -> None:
        if event.get("kind") == "api_call" and event.get("operation") == "PutEvents":
            self.sent((e.get("bus"), e.get("event_id")) for e in event.get("entries", ()) if not e.get("error_code"))

    def _busy(self) -> list[str]:
        with self._lock:
            in_hand = self._in_hand
            routing = len(self._sent.difference(self._captured))
        if in_hand:
            return [f"eventbridge (external): {in_hand} messages received from delivery/capture queues, not handed "
                    f"over yet"]
        if routing:
            return [f"eventbridge (external): {routing} events accepted by PutEvents not yet recorded by the "
                    f"capture rule (the backend routes them after PutEvents returns)"]
        lines = []
        queues = [(q.name, q.url) for q in (*self.dep.delivery_queues.values(), *self.dep.capture_queues.values())]
        for name, url in queues:
            try:
                a = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            except (ClientError, BotoCoreError) as e:
                lines.append(f"eventbridge (external): queue {name}: {e}")
                continue
            waiting, in_flight = int(a.get("ApproximateNumberOfMessages", 0)), int(
                a.get("ApproximateNumberOfMessagesNotVisible", 0))
            if waiting or in_flight:
                lines.append(f"eventbridge (external): queue {name}: {waiting} waiting, {in_flight} in flight")
        return lines

    def pending(self) -> list[str]:
        """A drain check: messages waiting or in flight in the delivery and capture queues (or in hand).
        When there are none, the events captured so far are judged (see :meth:`divergences`)."""
        lines = self._busy()
        if not lines:
            self._judge()
        return lines

    def _rejudge(self, event_id: str) -> None:
        """A delivery after the event was judged (an asynchronous router's late one): judge it again. Call
        with the lock held."""
        if event_id in self._judged:
            self._judged.discard(event_id)
            self._divergences = [d for d in self._divergences if d["event_id"] != event_id]

    def _judge(self) -> None:
        with self._lock:
            new = [i for i in self._captured if i not in self._judged]
            new += [i for i in self._delivered if i not in self._captured and i not in self._judged]
            ours = {i: self._captured[i]["matched_rules"] for i in new if i in self._captured}
            backend = {i: set(self._delivered.get(i, ())) for i in new}
            self._judged.update(new)
            found = routing_divergences(ours, backend, self.observable)
            for d in found:
                fields = self._captured.get(d["event_id"], {})
                d.update(bus=fields.get("bus"), source=fields.get("source"), detail_type=fields.get("detail_type"),
                         message=self._explain(d))
            self._divergences += found
        for d in found:
            self.trace.emit("divergence", **d)

    def _explain(self, d: Mapping[str, Any]) -> str:
        parts = []
        for r in d["only_backend"]:
            why = " (the rule is DISABLED: AWS never delivers through a disabled rule)" if not self.rules[r].enabled \
                else " (our matcher does not match the event)"
            parts.append(f"the backend delivered event {d['event_id']} through rule {r}{why}")
        for r in d["only_ours"]:
            parts.append(f"our matcher matched event {d['event_id']} with rule {r}, but the backend did not deliver it")
        if not d["captured"]:
            parts.append("the capture-all rule never recorded this event")
        return "; ".join(parts)

    def divergences(self) -> list[dict[str, Any]]:
        """Events the backend routed differently from our matcher, judged once the queues are quiet (call
        after ``drain()``): event_id, bus, source, detail_type, ours, backend, only_ours, only_backend,
        captured, message."""
        self.pending()
        with self._lock:
            return [dict(d) for d in self._divergences]


def attach_external(runtime: Any, dispatcher: Dispatcher, *, wait_time_s: int = WAIT_TIME_S) -> ExternalEventBridge:
    """Start the pollers of a started runtime's deployment; drain waits for them, stop stops them."""
    ext = ExternalEventBridge(runtime, dispatcher, wait_time_s=wait_time_s).start()
    runtime.add_drain_check(ext.pending)
    runtime.add_health_check(ext.problems)
    runtime.add_stopper(ext.stop)
    return ext


__all__ = ["ExternalEventBridge", "attach_external", "routing_divergences"]
