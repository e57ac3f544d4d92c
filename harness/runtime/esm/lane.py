"""A lane: one of a shard's ParallelizationFactor slots, batching its records, one batch at a time."""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.runtime.esm.batching import BatchAssembler, FlushReason
from harness.runtime.esm.destinations import on_failure_record
from harness.runtime.esm.retry import BatchRunner, Outcome
from harness.runtime.esm.shared import Pending
from harness.runtime.esm.windows import iso, window_of
from harness.runtime.invoker import InvocationResult

if TYPE_CHECKING:
    from harness.runtime.esm.mapping import MappingRuntime
    from harness.runtime.esm.shard import ShardWorker


class Lane:
    """One of a shard's ParallelizationFactor slots: batches its records, one batch at a time."""

    def __init__(self, worker: ShardWorker, index: int) -> None:
        self.worker = worker
        self.index = index
        m = worker.mapping
        spec = m.spec
        self.assembler: BatchAssembler[Pending] = BatchAssembler(
            spec.batch_size, float(spec.maximum_batching_window_in_seconds))
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.busy = False
        self.status = "idle"
        self.batch_id = ""
        self.last_error = ""
        # tumbling window: the open window, its state, and records that arrived for a later window
        self.tumbling = spec.tumbling_window_in_seconds or 0
        self.window: tuple[float, float] | None = None
        self.state: dict[str, Any] = {}
        self.later: deque[Pending] = deque()
        self.runner: BatchRunner[Pending] = BatchRunner(
            m.policy, seq=lambda p: p.seq, age_s=lambda p: m.options.clock() - p.arrival, listener=_Report(self),
            wait=m.stopping.wait)
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"esm-{spec.name}-{worker.shard_id[-8:]}-{index}")

    # -- fed by the reader ----------------------------------------------------------------------
    def offer(self, items: Sequence[Pending]) -> None:
        now = time.monotonic()
        with self.lock:
            for p in items:
                if self.tumbling:
                    w = window_of(p.arrival, self.tumbling)
                    if self.window is None:
                        self.window, self.state = w, {}
                    if w != self.window or self.later:
                        self.later.append(p)
                        continue
                self.assembler.add(p, len(p.json) + 1, now)
        self.wake.set()

    @property
    def buffered(self) -> int:
        return len(self.assembler) + len(self.later)

    @property
    def idle(self) -> bool:
        return not self.busy and not self.buffered and self.window is None

    # -- the lane's own thread ------------------------------------------------------------------
    def _run(self) -> None:
        m = self.worker.mapping
        while not m.stopping.is_set():
            with m.cond:
                enabled = m.enabled.is_set()
                self.busy = enabled and self._work_due()
            if not enabled:
                self.status = "paused"
                m.enabled.wait(0.1)
                continue
            if not self.busy:
                self.wake.wait(self._idle_timeout())
                self.wake.clear()
                continue
            try:
                self._do_work()
            finally:
                with m.cond:
                    self.busy = False
                    m.cond.notify_all()

    def _window_over(self) -> bool:
        return self.window is not None and (bool(self.later) or time.time() >= self.window[1])

    def _work_due(self) -> bool:
        with self.lock:
            if self.tumbling and self._window_over():
                return True
            return self.assembler.due(time.monotonic()) is not None

    def _idle_timeout(self) -> float:
        timeout = self.worker.mapping.options.poll_interval_max_s * 5
        with self.lock:
            deadline = self.assembler.deadline()
            if deadline is not None:
                timeout = min(timeout, max(0.0, deadline - time.monotonic()))
            if self.window is not None:
                timeout = min(timeout, max(0.0, self.window[1] - time.time()))
        return timeout

    def _do_work(self) -> None:
        now = time.monotonic()
        with self.lock:
            reason = self.assembler.due(now)
            closing = self.tumbling and self._window_over()
            if reason is None and closing and len(self.assembler):
                reason = FlushReason.WINDOW
            batch = self.assembler.take(reason, now) if reason is not None else None
        if batch is not None:
            self.worker.wake.set()  # the reader may be holding back while the lanes are full
            self._run_batch(batch.items, str(batch.reason), batch.payload_bytes)
            return
        if closing:
            self._final_invoke()

    def _run_batch(self, items: list[Pending], reason: str, payload_bytes: int) -> None:
        m, spec = self.worker.mapping, self.worker.mapping.spec
        self.batch_id = uuid.uuid4().hex[:12]
        m.stats.add(batches=1)
        m.trace.emit("batch", mapping=spec.name, function=spec.function, shard=self.worker.shard_id, lane=self.index,
                     batch_id=self.batch_id, reason=reason, size=len(items), payload_bytes=payload_bytes,
                     first_sequence_number=items[0].seq, last_sequence_number=items[-1].seq)
        self.runner.run(items, self._invoke)

    def _event(self, items: Sequence[Pending], final: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the handler's own copy, the trace's view) of the invocation payload."""
        payload = '{"Records":[' + ",".join(p.json for p in items) + "]}"
        event = json.loads(payload)
        view: dict[str, Any] = {"Records": [p.record for p in items]}
        if self.tumbling and self.window is not None:
            extra = {"window": {"start": iso(self.window[0]), "end": iso(self.window[1])}, "state": self.state,
                     "shardId": self.worker.shard_id, "eventSourceARN": self.worker.mapping.stream_arn,
                     "isFinalInvokeForWindow": final, "isWindowTerminatedEarly": False}
            event.update(json.loads(json.dumps(extra)))
            view.update(extra)
        return event, view

    def _invoke(self, items: Sequence[Pending], invocation: int, final: bool = False) -> InvocationResult:
        m, spec = self.worker.mapping, self.worker.mapping.spec
        event, view = self._event(items, final)
        request_id = str(uuid.uuid4())
        seqs = [p.seq for p in items]
        self.status = f"invoking a batch of {len(items)} (invocation {invocation})"
        m.trace.emit("invoke", mapping=spec.name, function=spec.function, shard=self.worker.shard_id,
                     lane=self.index, batch_id=self.batch_id, request_id=request_id, attempt=invocation,
                     size=len(items), sequence_numbers=seqs, event_names=[p.record.get("eventName") for p in items],
                     **({"event": view} if m.options.trace_payloads else {}))
        m.stats.add(invocations=1)
        result = m.invoke(event, request_id)
        m.activity()
        for stream, line in result.logs:
            m.trace.emit("log", function=spec.function, request_id=request_id, stream=stream, message=line)
        for call in getattr(result, "calls", ()):
            m.trace.emit("api_call", function=spec.function, request_id=request_id, **call)
        extra = {k: getattr(result, k) for k in ("cold_start", "init_duration_ms") if hasattr(result, k)}
        if extra.get("cold_start"):
            m.trace.emit("worker", function=spec.function, request_id=request_id, state="cold_start",
                         init_duration_ms=extra.get("init_duration_ms"), pid=getattr(result, "worker_pid", None))
        if result.ok:
            m.trace.emit("result", mapping=spec.name, function=spec.function, request_id=request_id,
                         batch_id=self.batch_id, duration_ms=round(result.duration_ms, 3),
                         response=_jsonable(result.response), **extra)
            if self.tumbling and isinstance(result.response, dict) and isinstance(result.response.get("state"), dict):
                self.state = result.response["state"]
        else:
            m.stats.add(errors=1)
            self.last_error = f"{result.error_type}: {result.error_message}"
            m.trace.emit("error", mapping=spec.name, function=spec.function, request_id=request_id,
                         batch_id=self.batch_id, attempt=invocation, duration_ms=round(result.duration_ms, 3),
                         error_type=result.error_type, error_message=result.error_message,
                         traceback=result.traceback, **extra)
        return result

    def _final_invoke(self) -> None:
        """The window is over: one last invocation with its state and no records, then the next window."""
        m, spec = self.worker.mapping, self.worker.mapping.spec
        assert self.window is not None
        self.batch_id = uuid.uuid4().hex[:12]
        m.trace.emit("window", mapping=spec.name, function=spec.function, shard=self.worker.shard_id,
                     lane=self.index, start=iso(self.window[0]), end=iso(self.window[1]), state=self.state,
                     final=True)
        for invocation in range(1, 4):
            if self._invoke([], invocation, final=True).ok or m.stopping.is_set():
                break
        now = time.monotonic()
        with self.lock:
            self.window, self.state = None, {}
            if self.later:
                self.window = window_of(self.later[0].arrival, self.tumbling)
            while self.later and window_of(self.later[0].arrival, self.tumbling) == self.window:
                p = self.later.popleft()
                self.assembler.add(p, len(p.json) + 1, now)


class _Report:
    """Turns the retry runner's verdicts into trace events, accounting and destinations."""

    def __init__(self, lane: Lane) -> None:
        self.lane = lane

    def _ctx(self) -> tuple[MappingRuntime, dict[str, Any]]:
        m = self.lane.worker.mapping
        return m, {"mapping": m.spec.name, "function": m.spec.function, "shard": self.lane.worker.shard_id,
                   "lane": self.lane.index, "batch_id": self.lane.batch_id}

    def succeeded(self, records: Sequence[Pending]) -> None:
        m, _ = self._ctx()
        m.stats.add(succeeded=len(records))
        self.lane.worker.resolve([p.seq for p in records])

    def retrying(self, records: Sequence[Pending], retry: int, backoff_s: float, reason: str) -> None:
        m, ctx = self._ctx()
        m.stats.add(retries=1)
        self.lane.status = f"retrying a batch of {len(records)} (retry {retry}): {reason}"
        m.trace.emit("retry", **ctx, retry=retry, size=len(records), backoff_s=backoff_s, reason=reason,
                     first_sequence_number=records[0].seq)

    def split(self, records: Sequence[Pending], halves: tuple[Sequence[Pending], Sequence[Pending]]) -> None:
        m, ctx = self._ctx()
        m.stats.add(splits=1)
        m.trace.emit("split", **ctx, size=len(records), halves=[len(halves[0]), len(halves[1])],
                     first_sequence_number=records[0].seq, last_sequence_number=records[-1].seq)

    def partial(self, records: Sequence[Pending], failed_ids: Sequence[str]) -> None:
        m, ctx = self._ctx()
        m.stats.add(partial_failures=1)
        m.trace.emit("partial_failure", **ctx, size=len(records), failed=list(failed_ids))

    def gave_up(self, records: Sequence[Pending], condition: str, invocations: int, last: Outcome) -> None:
        m, ctx = self._ctx()
        message = on_failure_record(
            request_id=str(uuid.uuid4()), function_arn=m.function_arn, condition=condition,
            invoke_count=invocations, function_error="Unhandled" if not last.ok else None,
            records=[p.record for p in records], arrivals=[p.arrival for p in records],
            shard_id=self.lane.worker.shard_id, stream_arn=m.stream_arn, now=time.time())
        seqs = [p.seq for p in records]
        m.trace.emit("give_up", **ctx, condition=condition, invocations=invocations, size=len(records),
                     destination=m.spec.on_failure, sequence_numbers=seqs)
        if m.spec.on_failure and m.deliver is not None:
            try:
                m.deliver(m.spec.on_failure, message)
            except Exception as e:  # the destination failed: AWS would retry; we report and count it dropped
                m.trace.emit("destination", **ctx, destination=m.spec.on_failure, ok=False, error=str(e),
                             message=message)
                m.stats.add(dropped=len(records))
            else:
                m.trace.emit("destination", **ctx, destination=m.spec.on_failure, ok=True, message=message)
                m.stats.add(given_up=len(records))
        else:
            m.stats.add(dropped=len(records))
        self.lane.worker.resolve(seqs)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)
