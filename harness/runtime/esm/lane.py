"""A lane: one of a shard's ParallelizationFactor slots, batching its records, one batch at a time."""
from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from harness.runtime.esm.batching import BatchAssembler, FlushReason
from harness.runtime.esm.context import LaneContext, LaneState
from harness.runtime.esm.destinations import on_failure_record
from harness.runtime.esm.retry import BatchRunner, Outcome
from harness.runtime.esm.shared import Pending
from harness.runtime.esm.windows import iso, window_of
from harness.runtime.functions import InvocationRequest
from harness.runtime.invoker import InvocationResult

#: a tumbling window's final invocation is tried this many times, then the window closes anyway
FINAL_INVOKE_ATTEMPTS = 3


class Lane:
    """One of a shard's ParallelizationFactor slots: batches its records, one batch at a time."""

    def __init__(self, ctx: LaneContext) -> None:
        self.ctx = ctx
        self.index = ctx.index
        m = ctx.mapping
        spec = m.config.spec
        self.assembler: BatchAssembler[Pending] = BatchAssembler(
            spec.batch_size, float(spec.maximum_batching_window_in_seconds))
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.busy = False
        self.state = LaneState.IDLE
        self.detail = "idle"       # for people: what it does now
        self.batch_id = ""
        self.last_error = ""
        # tumbling window: the open window, its state, and records that arrived for a later window
        self.tumbling = spec.tumbling_window_in_seconds or 0
        self.window: tuple[float, float] | None = None
        self.window_state: dict[str, Any] = {}
        self.later: deque[Pending] = deque()
        self.runner: BatchRunner[Pending] = BatchRunner(
            m.policy, seq=lambda p: p.seq, age_s=lambda p: m.clock.time() - p.arrival, listener=_Report(self),
            wait=m.stopping.wait)
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"esm-{spec.name}-{ctx.shard_id[-8:]}-{ctx.index}")

    def _set(self, state: LaneState, detail: str | None = None) -> None:
        self.state = state
        self.detail = detail or str(state)

    # -- fed by the reader ----------------------------------------------------------------------
    def offer(self, items: Sequence[Pending]) -> None:
        now = self.ctx.mapping.clock.monotonic()
        with self.lock:
            for p in items:
                if self.tumbling:
                    w = window_of(p.arrival, self.tumbling)
                    if self.window is None:
                        self.window, self.window_state = w, {}
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
        m = self.ctx.mapping
        while not m.stopping.is_set():
            with m.cond:
                enabled = m.enabled.is_set()
                self.busy = enabled and self._work_due()
            if not enabled:
                self._set(LaneState.PAUSED)
                m.enabled.wait(0.1)
                continue
            if not self.busy:
                self._set(LaneState.IDLE, "gathering a batch" if self.buffered else None)
                self.wake.wait(self._idle_timeout())
                self.wake.clear()
                continue
            try:
                self._do_work()
            finally:
                with m.cond:
                    self.busy = False
                m.changed()

    def _window_over(self) -> bool:
        return self.window is not None and (bool(self.later) or self.ctx.mapping.clock.time() >= self.window[1])

    def _work_due(self) -> bool:
        with self.lock:
            if self.tumbling and self._window_over():
                return True
            return self.assembler.due(self.ctx.mapping.clock.monotonic()) is not None

    def _idle_timeout(self) -> float:
        clock = self.ctx.mapping.clock
        timeout = self.ctx.mapping.options.poll_interval_max_s * 5
        with self.lock:
            deadline = self.assembler.deadline()
            if deadline is not None:
                timeout = min(timeout, max(0.0, deadline - clock.monotonic()))
            if self.window is not None:
                timeout = min(timeout, max(0.0, self.window[1] - clock.time()))
        return timeout

    def _do_work(self) -> None:
        now = self.ctx.mapping.clock.monotonic()
        with self.lock:
            reason = self.assembler.due(now)
            closing = self.tumbling and self._window_over()
            if reason is None and closing and len(self.assembler):
                reason = FlushReason.WINDOW
            batch = self.assembler.take(reason, now) if reason is not None else None
        if batch is not None:
            self.ctx.wake_reader()  # the reader may be holding back while the lanes are full
            self._run_batch(batch.items, str(batch.reason), batch.payload_bytes)
            return
        if closing:
            self._final_invoke()

    def _run_batch(self, items: list[Pending], reason: str, payload_bytes: int) -> None:
        m = self.ctx.mapping
        self.batch_id = m.ids.batch_id()
        m.stats.add(batches=1)
        m.trace.emit("batch", mapping=m.name, function=m.function, shard=self.ctx.shard_id, lane=self.index,
                     batch_id=self.batch_id, reason=reason, size=len(items), payload_bytes=payload_bytes,
                     first_sequence_number=items[0].seq, last_sequence_number=items[-1].seq)
        self.runner.run(items, self._invoke)

    def _event(self, items: Sequence[Pending], final: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the handler's own copy, the trace's view) of the invocation payload."""
        payload = '{"Records":[' + ",".join(p.json for p in items) + "]}"
        event = json.loads(payload)
        view: dict[str, Any] = {"Records": [p.record for p in items]}
        if self.tumbling and self.window is not None:
            extra = {"window": {"start": iso(self.window[0]), "end": iso(self.window[1])}, "state": self.window_state,
                     "shardId": self.ctx.shard_id, "eventSourceARN": self.ctx.mapping.config.stream_arn,
                     "isFinalInvokeForWindow": final, "isWindowTerminatedEarly": False}
            event.update(json.loads(json.dumps(extra)))
            view.update(extra)
        return event, view

    def _invoke(self, items: Sequence[Pending], invocation: int, final: bool = False) -> InvocationResult:
        m = self.ctx.mapping
        event, view = self._event(items, final)
        self._set(LaneState.INVOKING, f"invoking a batch of {len(items)} (invocation {invocation})")
        m.stats.add(invocations=1)
        result = m.ports.invoke(InvocationRequest(
            m.function, event, attempt=invocation, tags={"mapping": m.name, "batch_id": self.batch_id},
            invoke_fields={"shard": self.ctx.shard_id, "lane": self.index, "size": len(items),
                           "sequence_numbers": [p.seq for p in items],
                           "event_names": [p.record.get("eventName") for p in items]},
            view=view))
        m.activity()
        if result.ok:
            if self.tumbling and isinstance(result.response, dict) and isinstance(result.response.get("state"), dict):
                self.window_state = result.response["state"]
        else:
            m.stats.add(errors=1)
            self.last_error = f"{result.error_type}: {result.error_message}"
        return result

    def _final_invoke(self) -> None:
        """The window is over: one last invocation with its state and no records, then the next window."""
        m = self.ctx.mapping
        if self.window is None:
            raise RuntimeError(f"mapping {m.name} shard {self.ctx.shard_id} lane {self.index}: final invocation "
                               f"without an open tumbling window")
        self.batch_id = m.ids.batch_id()
        m.trace.emit("window", mapping=m.name, function=m.function, shard=self.ctx.shard_id,
                     lane=self.index, start=iso(self.window[0]), end=iso(self.window[1]), state=self.window_state,
                     final=True)
        for invocation in range(1, FINAL_INVOKE_ATTEMPTS + 1):
            if self._invoke([], invocation, final=True).ok or m.stopping.is_set():
                break
        now = m.clock.monotonic()
        with self.lock:
            self.window, self.window_state = None, {}
            if self.later:
                self.window = window_of(self.later[0].arrival, self.tumbling)
            while self.later and window_of(self.later[0].arrival, self.tumbling) == self.window:
                p = self.later.popleft()
                self.assembler.add(p, len(p.json) + 1, now)


class _Report:
    """Turns the retry runner's verdicts into trace events, accounting and destinations."""

    def __init__(self, lane: Lane) -> None:
        self.lane = lane
        self.ctx = lane.ctx
        self.m = lane.ctx.mapping

    def _fields(self) -> dict[str, Any]:
        return {"mapping": self.m.name, "function": self.m.function, "shard": self.ctx.shard_id,
                "lane": self.lane.index, "batch_id": self.lane.batch_id}

    def succeeded(self, records: Sequence[Pending]) -> None:
        self.m.stats.add(succeeded=len(records))
        self.ctx.resolve([p.seq for p in records])

    def retrying(self, records: Sequence[Pending], retry: int, backoff_s: float, reason: str) -> None:
        self.m.stats.add(retries=1)
        self.lane._set(LaneState.RETRYING, f"retrying a batch of {len(records)} (retry {retry}): {reason}")
        self.m.trace.emit("retry", **self._fields(), retry=retry, size=len(records), backoff_s=backoff_s,
                          reason=reason, first_sequence_number=records[0].seq)

    def split(self, records: Sequence[Pending], halves: tuple[Sequence[Pending], Sequence[Pending]]) -> None:
        self.m.stats.add(splits=1)
        self.m.trace.emit("split", **self._fields(), size=len(records), halves=[len(halves[0]), len(halves[1])],
                          first_sequence_number=records[0].seq, last_sequence_number=records[-1].seq)

    def partial(self, records: Sequence[Pending], failed_ids: Sequence[str]) -> None:
        self.m.stats.add(partial_failures=1)
        self.m.trace.emit("partial_failure", **self._fields(), size=len(records), failed=list(failed_ids))

    def gave_up(self, records: Sequence[Pending], condition: str, invocations: int, last: Outcome) -> None:
        m, config = self.m, self.m.config
        on_failure = config.spec.on_failure
        fields = self._fields()
        message = on_failure_record(
            request_id=m.ids.request_id(), function_arn=config.function_arn, condition=condition,
            invoke_count=invocations, function_error="Unhandled" if not last.ok else None,
            records=[p.record for p in records], arrivals=[p.arrival for p in records],
            shard_id=self.ctx.shard_id, stream_arn=config.stream_arn, now=m.clock.time())
        seqs = [p.seq for p in records]
        m.trace.emit("give_up", **fields, condition=condition, invocations=invocations, size=len(records),
                     destination=on_failure, sequence_numbers=seqs)
        deliver = m.ports.deliver
        if on_failure and deliver is not None:
            try:
                deliver(on_failure, message)
            except Exception as e:  # the destination failed: AWS would retry; we report and count it dropped
                m.trace.emit("destination", **fields, destination=on_failure, ok=False, error=str(e),
                             message=message)
                m.stats.add(dropped=len(records))
            else:
                m.trace.emit("destination", **fields, destination=on_failure, ok=True, message=message)
                m.stats.add(given_up=len(records))
        else:
            m.stats.add(dropped=len(records))
        self.ctx.resolve(seqs)
