"""One event source mapping: its shard workers, its state (enabled or not) and its accounting."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from harness.runtime.esm.filtering import RecordFilter
from harness.runtime.esm.retry import RetryPolicy
from harness.runtime.esm.shard import ShardWorker
from harness.runtime.esm.shared import Deliver, EngineOptions, Invoke, MappingStats
from harness.runtime.streams import list_shards
from harness.topology.specs import EventSourceMapping
from harness.trace import Trace


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
