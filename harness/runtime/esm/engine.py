"""The event source mapping engine: per shard, a reader thread and ParallelizationFactor lanes.

The reader polls the shard, drops what the filters reject and routes the rest to a lane by
partition key, so one key always goes to the same lane. Each lane batches its records and runs
one batch at a time to resolution (retries, bisect, partial failures: see retry.py), so records of
a key are handled in order and never in two batches at once, while up to N lanes of a shard run
concurrently. Polling adapts: right after records it polls again at once; when idle it backs off to
``poll_interval_max_s`` and is woken early by a nudge (a write the harness saw).
"""
from __future__ import annotations

import json
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from harness.runtime.esm.batching import BatchAssembler, FlushReason
from harness.runtime.esm.checkpoint import CheckpointTracker
from harness.runtime.esm.destinations import on_failure_record
from harness.runtime.esm.events import StreamRecord, lambda_record
from harness.runtime.esm.filtering import RecordFilter
from harness.runtime.esm.retry import BatchRunner, Outcome, RetryPolicy
from harness.runtime.esm.windows import iso, window_of
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
    max_buffered_records: int = 10_000
    trace_payloads: bool = True
    #: wall clock for record arrival and age (MaximumRecordAgeInSeconds); tests may move it forward
    clock: Callable[[], float] = time.time


@dataclass
class MappingStats:
    """Accounting that always holds once drained: seen == succeeded + filtered + given_up + dropped."""

    seen: int = 0
    filtered: int = 0
    succeeded: int = 0
    given_up: int = 0   # sent to the OnFailure destination
    dropped: int = 0    # given up with no OnFailure destination configured
    batches: int = 0
    invocations: int = 0
    errors: int = 0
    retries: int = 0
    splits: int = 0
    partial_failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    @property
    def in_flight(self) -> int:
        return self.seen - self.succeeded - self.filtered - self.given_up - self.dropped

    @property
    def balanced(self) -> bool:
        return self.in_flight == 0

    def as_dict(self) -> dict[str, int]:
        d = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        d["in_flight"] = self.in_flight
        return d


Invoke = Callable[[dict[str, Any], str], InvocationResult]
Deliver = Callable[[str, dict[str, Any]], None]


@dataclass
class Pending:
    """A filtered-in record waiting in a lane, with what the payload and the retry rules need."""

    record: StreamRecord
    arrival: float  # epoch seconds when the reader got it (AWS: approximate arrival)
    json: str       # the record as it goes into the payload, serialised once

    @property
    def seq(self) -> str:
        return str(self.record["dynamodb"]["SequenceNumber"])


def lane_of(record: StreamRecord, partition_key: str | None, lanes: int) -> int:
    """Stable lane for a record's partition key (crc32: the same on every run and platform)."""
    if lanes == 1:
        return 0
    keys = record["dynamodb"].get("Keys", {})
    value = keys.get(partition_key) if partition_key else keys
    return zlib.crc32(json.dumps(value, sort_keys=True).encode()) % lanes


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


class ShardWorker:
    """Reads one shard, filters, routes records to lanes, and keeps the shard's checkpoint."""

    def __init__(self, mapping: MappingRuntime, shard_id: str, parent: ShardWorker | None,
                 starting_position: str) -> None:
        self.mapping = mapping
        self.shard_id = shard_id
        self.parent = parent
        self.reader = ShardReader(mapping.streams, mapping.stream_arn, shard_id, starting_position)
        self.reader.prime()
        self.lanes = [Lane(self, i) for i in range(mapping.spec.parallelization_factor)]
        self.tracker = CheckpointTracker()
        self._tracker_lock = threading.Lock()
        self.caught_up_at = -1.0   # monotonic start of the last empty poll
        self.reading = False       # set_enabled(False) waits for an in-progress read
        self.finished = False      # shard closed and everything handled
        self.status = "starting"
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"esm-{mapping.spec.name}-{shard_id[-8:]}",
                                       daemon=True)

    def start(self) -> None:
        for lane in self.lanes:
            lane.thread.start()
        self.thread.start()

    @property
    def buffered(self) -> int:
        return sum(lane.buffered for lane in self.lanes)

    def resolve(self, seqs: Sequence[str]) -> None:
        with self._tracker_lock:
            moved = self.tracker.resolve(*seqs)
        if moved:
            self.mapping.trace.emit("checkpoint", mapping=self.mapping.spec.name, shard=self.shard_id,
                                    sequence_number=moved)

    # -- the reader loop ------------------------------------------------------------------------
    def _run(self) -> None:
        m = self.mapping
        opts = m.options
        delay = opts.poll_interval_min_s
        while not m.stopping.is_set():
            if self.parent is not None and not self.parent.finished:
                self.status = f"waiting for parent shard {self.parent.shard_id}"
                self.wake.wait(opts.poll_interval_max_s)
                continue
            with m.cond:  # checking `enabled` and starting a read is atomic against set_enabled(False)
                enabled = m.enabled.is_set()
                self.reading = enabled and self.buffered < opts.max_buffered_records
            if not enabled:
                self.status = "paused"
                m.enabled.wait(0.1)
                continue
            if not self.reading:
                self.status = f"{self.buffered} records buffered: waiting for the lanes"
                self.wake.wait(opts.poll_interval_max_s)
                continue
            try:
                wait = self._poll(delay)
            finally:
                with m.cond:
                    self.reading = False
                    m.cond.notify_all()
            if wait is None:
                delay = opts.poll_interval_min_s
            elif wait < 0:
                return
            elif self.wake.wait(wait):
                self.wake.clear()
                delay = opts.poll_interval_min_s
            else:
                delay = min(delay * 2, opts.poll_interval_max_s)

    def _poll(self, delay: float) -> float | None:
        """One GetRecords. Returns how long to idle (None: poll again now; negative: shard finished)."""
        m = self.mapping
        if self.reader.closed:
            if self.buffered == 0 and all(lane.idle for lane in self.lanes):
                self.finished = True
                self.status = "closed"
                m.trace.emit("mapping", mapping=m.spec.name, shard=self.shard_id, state="shard_closed")
                return -1.0
            return delay
        started = time.monotonic()
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
        self.caught_up_at = started
        self.status = "caught up"
        return delay

    def _accept(self, records: list[StreamRecord]) -> None:
        m = self.mapping
        wall = m.options.clock()
        m.activity()
        routed: list[list[Pending]] = [[] for _ in self.lanes]
        filtered: list[str] = []
        emit = m.trace.emit
        name, function = m.spec.name, m.spec.function
        with self._tracker_lock:
            for raw in records:
                self.tracker.read(str(raw["dynamodb"]["SequenceNumber"]))
        for raw in records:
            rec = lambda_record(raw, m.stream_arn, m.region)
            ddb = rec["dynamodb"]
            seq = ddb["SequenceNumber"]
            emit("record", mapping=name, function=function, shard=self.shard_id, sequence_number=seq,
                 event_name=rec.get("eventName"), keys=ddb.get("Keys"), size_bytes=ddb.get("SizeBytes"))
            if not m.filter.matches(rec):
                filtered.append(seq)
                emit("filtered", mapping=name, function=function, shard=self.shard_id, sequence_number=seq,
                     event_name=rec.get("eventName"))
                continue
            pending = Pending(rec, wall, json.dumps(rec, separators=(",", ":")))
            routed[lane_of(rec, m.partition_key, len(self.lanes))].append(pending)
        m.stats.add(seen=len(records), filtered=len(filtered))
        if filtered:
            self.resolve(filtered)
        for lane, items in zip(self.lanes, routed):
            if items:
                lane.offer(items)

    def pending(self) -> list[str]:
        """What this shard still has to do (empty when quiet)."""
        out = []
        for lane in self.lanes:
            if not lane.idle:
                extra = f", {lane.buffered} records buffered" if lane.buffered else ""
                if lane.window is not None:
                    extra += f", tumbling window open until {iso(lane.window[1])}"
                out.append(f"mapping {self.mapping.spec.name} shard {self.shard_id} lane {lane.index}: "
                           f"{lane.status}{extra}")
        return out


class MappingRuntime:
    """One event source mapping: its shard workers, its state and its accounting."""

    def __init__(self, spec: EventSourceMapping, *, stream_arn: str, streams: Any, invoke: Invoke,
                 function_arn: str, region: str, trace: Trace, options: EngineOptions,
                 cond: threading.Condition, on_activity: Callable[[], None],
                 deliver: Deliver | None = None, partition_key: str | None = None) -> None:
        self.spec = spec
        self.stream_arn = stream_arn
        self.streams = streams
        self.invoke = invoke
        self.function_arn = function_arn
        self.region = region
        self.trace = trace
        self.options = options
        self.deliver = deliver
        self.partition_key = partition_key
        self.filter = RecordFilter(spec.filter_criteria)
        self.policy = RetryPolicy(
            maximum_retry_attempts=spec.maximum_retry_attempts,
            maximum_record_age_in_seconds=spec.maximum_record_age_in_seconds,
            bisect_batch_on_function_error=spec.bisect_batch_on_function_error,
            report_batch_item_failures=spec.report_batch_item_failures,
            backoff_base_s=options.retry_backoff_base_s, backoff_max_s=options.retry_backoff_max_s)
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
                    worker.start()

    def _discover_loop(self) -> None:
        while not self.stopping.wait(self.options.shard_discovery_interval_s):
            try:
                self.refresh_shards()
            except Exception as e:
                self.trace.emit("mapping", mapping=self.spec.name, state="describe_error", error=str(e))

    def set_enabled(self, enabled: bool, timeout: float = 30.0) -> None:
        """Like UpdateEventSourceMapping(Enabled=...); disabling waits for in-flight reads and batches."""
        with self.cond:
            if enabled:
                self.enabled.set()
            else:
                self.enabled.clear()
                if not self.cond.wait_for(lambda: not any(
                        w.reading or any(lane.busy for lane in w.lanes) for w in self.workers.values()), timeout):
                    raise TimeoutError(f"mapping {self.spec.name}: a batch was still running after {timeout}s")
        self.trace.emit("mapping", mapping=self.spec.name, state="enabled" if enabled else "disabled")
        self.wake()

    def wake(self) -> None:
        for w in self.workers.values():
            w.wake.set()
            for lane in w.lanes:
                lane.wake.set()

    def drained_since(self, mark: float) -> tuple[bool, list[str]]:
        """True when every shard has polled empty after ``mark`` with nothing buffered or in flight."""
        pending: list[str] = []
        for w in self.workers.values():
            if w.finished:
                continue
            lanes = w.pending()
            pending += lanes
            if not lanes and w.caught_up_at <= mark:
                pending.append(f"mapping {self.spec.name} shard {w.shard_id}: {w.status}")
        return (not pending, pending)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.enabled.set()  # release paused workers so they see the stop
        self.wake()
        deadline = time.monotonic() + timeout
        for w in self.workers.values():
            for t in (w.thread, *(lane.thread for lane in w.lanes)):
                if t.is_alive():
                    t.join(max(0.0, deadline - time.monotonic()))
