"""The event source mapping engine: one worker thread per (mapping, shard).

A worker reads its shard, drops what the filters reject, batches the rest and invokes the function
synchronously, so the next batch of a shard starts only after the previous one is done (AWS's
per-shard order). Polling adapts: right after records it polls again at once; when idle it backs
off to ``poll_interval_max_s`` and is woken early by a nudge (a write the harness saw).
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.runtime.esm.batching import Batch, BatchAssembler
from harness.runtime.esm.destinations import on_failure_record
from harness.runtime.esm.events import StreamRecord, build_event, lambda_record, record_size
from harness.runtime.esm.filtering import RecordFilter
from harness.runtime.invoker import InvocationResult
from harness.runtime.streams import ShardReader, list_shards
from harness.topology.specs import EventSourceMapping
from harness.trace import Trace


@dataclass(frozen=True)
class EngineOptions:
    """Timings of the engine itself (not AWS parameters); defaults keep tests fast and latency low."""

    poll_interval_min_s: float = 0.001
    poll_interval_max_s: float = 0.02
    retry_backoff_base_s: float = 0.01
    retry_backoff_max_s: float = 1.0
    shard_discovery_interval_s: float = 1.0
    trace_payloads: bool = True


@dataclass
class MappingStats:
    """Accounting that must always hold: seen == succeeded + filtered + given_up + in flight/buffered."""

    seen: int = 0
    filtered: int = 0
    succeeded: int = 0
    given_up: int = 0
    dropped: int = 0  # given up with no OnFailure destination configured
    batches: int = 0
    invocations: int = 0
    errors: int = 0
    retries: int = 0


Invoke = Callable[[dict[str, Any], str], InvocationResult]
Deliver = Callable[[str, dict[str, Any]], None]


@dataclass
class _Pending:
    record: StreamRecord
    arrival: float  # epoch seconds when the reader got it (AWS: approximate arrival)


class ShardWorker:
    def __init__(self, mapping: MappingRuntime, shard_id: str, parent: ShardWorker | None,
                 starting_position: str) -> None:
        self.mapping = mapping
        self.shard_id = shard_id
        self.parent = parent
        spec = mapping.spec
        self.reader = ShardReader(mapping.streams, mapping.stream_arn, shard_id, starting_position)
        self.reader.prime()
        self.assembler: BatchAssembler[_Pending] = BatchAssembler(
            spec.batch_size, float(spec.maximum_batching_window_in_seconds))
        self.checkpoint: str | None = None
        self.caught_up_at = -1.0   # monotonic start of the last empty poll with nothing buffered
        self.busy = False          # a batch is being invoked or retried
        self.active = False        # reading or invoking: set_enabled(False) waits for this to clear
        self.finished = False      # shard closed and everything handled
        self.status = "starting"
        self.last_error = ""
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"esm-{spec.name}-{shard_id[-8:]}", daemon=True)

    # -- loop ---------------------------------------------------------------------------------
    def _run(self) -> None:
        m = self.mapping
        opts = m.options
        delay = opts.poll_interval_min_s
        while not m.stopping.is_set():
            if self.parent is not None and not self.parent.finished:
                self.status = f"waiting for parent shard {self.parent.shard_id}"
                self.wake.wait(opts.poll_interval_max_s)
                continue
            with m.cond:  # checking `enabled` and becoming active is atomic against set_enabled(False)
                enabled = m.enabled.is_set()
                self.active = enabled
            if not enabled:
                self.status = "paused"
                m.enabled.wait(opts.poll_interval_max_s * 5)
                continue
            try:
                wait = self._step(delay)
            finally:
                with m.cond:
                    self.active = False
                    m.cond.notify_all()
            if wait is None:  # did work: go again at once
                delay = opts.poll_interval_min_s
            elif wait < 0:  # finished
                return
            elif self.wake.wait(wait):
                self.wake.clear()
                delay = opts.poll_interval_min_s
            else:
                delay = min(delay * 2, opts.poll_interval_max_s)

    def _step(self, delay: float) -> float | None:
        """One unit of work: invoke a due batch, or poll once. Returns how long to idle (None: no idling,
        negative: the shard is finished)."""
        m = self.mapping
        now = time.monotonic()
        reason = self.assembler.due(now)
        if reason is not None:
            self.busy = True
            self._process(self.assembler.take(reason, now))
            return None
        if self.reader.closed and not len(self.assembler):
            self.finished = True
            self.status = "closed"
            m.trace.emit("mapping", mapping=m.spec.name, shard=self.shard_id, state="shard_closed")
            return -1.0
        poll_started = time.monotonic()
        try:
            records = self.reader.read()
        except Exception as e:  # the backend failed us: report and back off, never die
            self.status = f"GetRecords failed: {type(e).__name__}: {e}"
            m.trace.emit("mapping", mapping=m.spec.name, shard=self.shard_id, state="read_error",
                         error=f"{type(e).__name__}: {e}")
            return min(1.0, delay * 10)
        if records:
            self._accept(records)
            return None
        if not len(self.assembler):
            self.caught_up_at = poll_started
            self.status = "caught up"
            return delay
        deadline = self.assembler.deadline()
        return max(0.0, min(delay, (deadline or now) - time.monotonic()))

    def _accept(self, records: list[StreamRecord]) -> None:
        m = self.mapping
        now, wall = time.monotonic(), time.time()
        m.activity()
        for raw in records:
            rec = lambda_record(raw, m.stream_arn, m.region)
            seq = rec["dynamodb"]["SequenceNumber"]
            m.stats.seen += 1
            m.trace.emit("record", mapping=m.spec.name, function=m.spec.function, shard=self.shard_id,
                         sequence_number=seq, event_name=rec.get("eventName"), keys=rec["dynamodb"].get("Keys"),
                         size_bytes=rec["dynamodb"].get("SizeBytes"))
            if not m.filter.matches(rec):
                m.stats.filtered += 1
                m.trace.emit("filtered", mapping=m.spec.name, function=m.spec.function, shard=self.shard_id,
                             sequence_number=seq, event_name=rec.get("eventName"))
                continue
            self.assembler.add(_Pending(rec, wall), record_size(rec), now)
        if not len(self.assembler):
            self._checkpoint(self.reader.last_read_sequence)

    def _checkpoint(self, seq: str | None) -> None:
        if seq is not None and seq != self.checkpoint:
            self.checkpoint = seq
            self.mapping.trace.emit("checkpoint", mapping=self.mapping.spec.name, shard=self.shard_id,
                                    sequence_number=seq)

    # -- one batch, with AWS's retry rules -----------------------------------------------------
    def _process(self, batch: Batch[_Pending]) -> None:
        m, spec = self.mapping, self.mapping.spec
        batch_id = uuid.uuid4().hex[:12]
        records = [p.record for p in batch.items]
        seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
        m.stats.batches += 1
        m.trace.emit("batch", mapping=spec.name, function=spec.function, shard=self.shard_id, batch_id=batch_id,
                     reason=str(batch.reason), size=len(records), payload_bytes=batch.payload_bytes,
                     first_sequence_number=seqs[0], last_sequence_number=seqs[-1])
        payload = json.dumps(build_event(records), separators=(",", ":"))
        attempt = 0
        try:
            while True:
                attempt += 1
                self.status = f"invoking a batch of {len(records)} (attempt {attempt})"
                request_id = str(uuid.uuid4())
                m.trace.emit("invoke", mapping=spec.name, function=spec.function, shard=self.shard_id,
                             batch_id=batch_id, request_id=request_id, attempt=attempt, size=len(records),
                             sequence_numbers=seqs, event_names=[r.get("eventName") for r in records],
                             **({"event": json.loads(payload)} if m.options.trace_payloads else {}))
                m.stats.invocations += 1
                result = m.invoke(json.loads(payload), request_id)
                m.activity()
                for stream, line in result.logs:
                    m.trace.emit("log", function=spec.function, request_id=request_id, stream=stream, message=line)
                if result.ok:
                    m.trace.emit("result", mapping=spec.name, function=spec.function, request_id=request_id,
                                 batch_id=batch_id, duration_ms=round(result.duration_ms, 3),
                                 response=_jsonable(result.response))
                    m.stats.succeeded += len(records)
                    self._checkpoint(seqs[-1] if len(self.assembler) else self.reader.last_read_sequence or seqs[-1])
                    return
                m.stats.errors += 1
                self.last_error = f"{result.error_type}: {result.error_message}"
                m.trace.emit("error", mapping=spec.name, function=spec.function, request_id=request_id,
                             batch_id=batch_id, attempt=attempt, duration_ms=round(result.duration_ms, 3),
                             error_type=result.error_type, error_message=result.error_message,
                             traceback=result.traceback)
                condition = self._give_up_condition(attempt, batch)
                if condition:
                    self._give_up(batch, condition, attempt, request_id, result, batch_id)
                    return
                m.stats.retries += 1
                backoff = min(m.options.retry_backoff_max_s, m.options.retry_backoff_base_s * 2 ** (attempt - 1))
                m.trace.emit("retry", mapping=spec.name, function=spec.function, batch_id=batch_id,
                             attempt=attempt + 1, backoff_s=backoff)
                self.status = f"retrying a batch of {len(records)} after attempt {attempt}: {self.last_error}"
                if m.stopping.wait(backoff):
                    return
        finally:
            self.busy = False
            m.notify()

    def _give_up_condition(self, attempt: int, batch: Batch[_Pending]) -> str | None:
        spec = self.mapping.spec
        if spec.maximum_retry_attempts >= 0 and attempt > spec.maximum_retry_attempts:
            return "RetryAttemptsExhausted"
        if spec.maximum_record_age_in_seconds >= 0:
            oldest = min(p.arrival for p in batch.items)
            if time.time() - oldest > spec.maximum_record_age_in_seconds:
                return "RecordAgeExceeded"
        return None

    def _give_up(self, batch: Batch[_Pending], condition: str, attempts: int, request_id: str,
                 result: InvocationResult, batch_id: str) -> None:
        m, spec = self.mapping, self.mapping.spec
        records = [p.record for p in batch.items]
        message = on_failure_record(
            request_id=request_id, function_arn=m.function_arn, condition=condition, invoke_count=attempts,
            function_error=result.function_error, records=records, arrivals=[p.arrival for p in batch.items],
            shard_id=self.shard_id, stream_arn=m.stream_arn, now=time.time())
        if spec.on_failure and m.deliver is not None:
            m.deliver(spec.on_failure, message)
            m.stats.given_up += len(records)
        else:
            m.stats.dropped += len(records)
        m.trace.emit("give_up", mapping=spec.name, function=spec.function, shard=self.shard_id, batch_id=batch_id,
                     condition=condition, attempts=attempts, size=len(records), destination=spec.on_failure,
                     sequence_numbers=[r["dynamodb"]["SequenceNumber"] for r in records], message=message)
        self._checkpoint(records[-1]["dynamodb"]["SequenceNumber"])


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


class MappingRuntime:
    """One event source mapping: its shard workers, its state and its accounting."""

    def __init__(self, spec: EventSourceMapping, *, stream_arn: str, streams: Any, invoke: Invoke,
                 function_arn: str, region: str, trace: Trace, options: EngineOptions,
                 cond: threading.Condition, on_activity: Callable[[], None],
                 deliver: Deliver | None = None) -> None:
        self.spec = spec
        self.stream_arn = stream_arn
        self.streams = streams
        self.invoke = invoke
        self.function_arn = function_arn
        self.region = region
        self.trace = trace
        self.options = options
        self.deliver = deliver
        self.filter = RecordFilter(spec.filter_criteria)
        self.stats = MappingStats()
        self.workers: dict[str, ShardWorker] = {}
        self.stopping = threading.Event()
        self.enabled = threading.Event()
        self.cond = cond
        self._activity = on_activity
        self._discovery = threading.Thread(target=self._discover_loop, name=f"esm-{spec.name}-shards", daemon=True)
        self._discover_lock = threading.Lock()
        if spec.enabled:
            self.enabled.set()

    def activity(self) -> None:
        self._activity()

    def notify(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def start(self) -> None:
        self.refresh_shards(str(self.spec.starting_position))
        self._discovery.start()
        self.trace.emit("mapping", mapping=self.spec.name, state="enabled" if self.enabled.is_set() else "disabled",
                        stream_arn=self.stream_arn, shards=list(self.workers))

    def refresh_shards(self, starting_position: str = "TRIM_HORIZON") -> None:
        """Start a worker for every shard not seen yet. StartingPosition applies to the shards there
        when the mapping starts; shards that appear later are read from their beginning."""
        with self._discover_lock:
            for shard in list_shards(self.streams, self.stream_arn):
                if shard.shard_id in self.workers:
                    continue
                parent = self.workers.get(shard.parent_shard_id or "")
                worker = ShardWorker(self, shard.shard_id, parent, starting_position)
                self.workers[shard.shard_id] = worker
                if not self.stopping.is_set():
                    worker.thread.start()

    def _discover_loop(self) -> None:
        while not self.stopping.wait(self.options.shard_discovery_interval_s):
            try:
                self.refresh_shards()
            except Exception as e:
                self.trace.emit("mapping", mapping=self.spec.name, state="describe_error", error=str(e))

    def set_enabled(self, enabled: bool, timeout: float = 30.0) -> None:
        """Like UpdateEventSourceMapping(Enabled=...); disabling waits for in-flight batches to end."""
        with self.cond:
            if enabled:
                self.enabled.set()
            else:
                self.enabled.clear()
                if not self.cond.wait_for(lambda: not any(w.active for w in self.workers.values()), timeout):
                    raise TimeoutError(f"mapping {self.spec.name}: a batch was still running after {timeout}s")
        self.trace.emit("mapping", mapping=self.spec.name, state="enabled" if enabled else "disabled")
        self.wake()

    def wake(self) -> None:
        for w in self.workers.values():
            w.wake.set()

    def drained_since(self, mark: float) -> tuple[bool, list[str]]:
        """True when every shard has polled empty, with nothing buffered or in flight, after ``mark``."""
        pending = []
        for w in self.workers.values():
            if w.finished:
                continue
            if w.busy or len(w.assembler) or w.caught_up_at <= mark:
                pending.append(f"mapping {self.spec.name} shard {w.shard_id}: {w.status}"
                               + (f", {len(w.assembler)} records buffered" if len(w.assembler) else ""))
        return (not pending, pending)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.enabled.set()  # release paused workers so they see the stop
        self.wake()
        deadline = time.monotonic() + timeout
        for w in self.workers.values():
            if w.thread.is_alive():
                w.thread.join(max(0.0, deadline - time.monotonic()))
