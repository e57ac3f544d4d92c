"""A shard's reader: polls, filters, routes records to lanes by partition key, keeps the checkpoint."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence

from harness.runtime.esm.checkpoint import CheckpointTracker
from harness.runtime.esm.context import LaneContext, MappingContext, ShardState
from harness.runtime.esm.events import StreamRecord, lambda_record
from harness.runtime.esm.lane import Lane
from harness.runtime.esm.shared import Pending, lane_of
from harness.runtime.esm.windows import iso
from harness.runtime.streams import ShardReader

READ_LIMIT = 1000  # GetRecords' maximum: a full page means more is waiting, so the next read goes at once


class ShardWorker:
    """Reads one shard, filters, routes records to lanes, and keeps the shard's checkpoint.

    ``parent_finished`` says whether the parent shard (if any) is done: a child is read only after
    its parent, so records of a key stay in order across a shard split.
    """

    def __init__(self, m: MappingContext, shard_id: str, starting_position: str, *,
                 parent_id: str | None = None, parent_finished: Callable[[], bool] | None = None) -> None:
        self.m = m
        self.shard_id = shard_id
        self.parent_id = parent_id
        self._parent_finished = parent_finished
        self.reader = ShardReader(m.ports.streams, m.config.stream_arn, shard_id, starting_position)
        self.reader.prime()
        self.wake = threading.Event()
        self.lanes = [Lane(LaneContext(m, shard_id, i, self.resolve, self.wake.set))
                      for i in range(m.config.spec.parallelization_factor)]
        self.tracker = CheckpointTracker()
        self._tracker_lock = threading.Lock()
        self.caught_up_at = -1.0   # monotonic start of the last empty poll
        self._next_read_at = 0.0   # monotonic time before which the next read waits (EngineOptions.poll_gap_s)
        self.reading = False       # set_enabled(False) waits for an in-progress read
        self.finished = False      # shard closed and everything handled
        self.state = ShardState.STARTING
        self.detail = str(ShardState.STARTING)
        self.thread = threading.Thread(target=self._run, name=f"esm-{m.name}-{shard_id[-8:]}", daemon=True)

    def start(self) -> None:
        for lane in self.lanes:
            lane.thread.start()
        self.thread.start()

    @property
    def threads(self) -> list[threading.Thread]:
        return [self.thread, *(lane.thread for lane in self.lanes)]

    @property
    def buffered(self) -> int:
        return sum(lane.buffered for lane in self.lanes)

    def _set(self, state: ShardState, detail: str | None = None) -> None:
        self.state = state
        self.detail = detail or str(state)

    def resolve(self, seqs: Sequence[str]) -> None:
        with self._tracker_lock:
            moved = self.tracker.resolve(*seqs)
        if moved:
            self.m.trace.emit("checkpoint", mapping=self.m.name, shard=self.shard_id, sequence_number=moved)

    # -- the reader loop ------------------------------------------------------------------------
    def _run(self) -> None:
        m = self.m
        opts = m.options
        delay = opts.poll_interval_min_s
        while not m.stopping.is_set():
            if self._parent_finished is not None and not self._parent_finished():
                self._set(ShardState.WAITING_FOR_PARENT, f"waiting for parent shard {self.parent_id}")
                self.wake.wait(opts.poll_interval_max_s)
                continue
            with m.cond:  # checking `enabled` and starting a read is atomic against set_enabled(False)
                enabled = m.enabled.is_set()
                self.reading = enabled and self.buffered < opts.max_buffered_records
            if not enabled:
                self._set(ShardState.PAUSED)
                m.enabled.wait(0.1)
                continue
            if not self.reading:
                self._set(ShardState.BACKPRESSURE, f"{self.buffered} records buffered: waiting for the lanes")
                self.wake.wait(opts.poll_interval_max_s)
                continue
            try:
                wait = self._poll(delay)
            finally:
                with m.cond:
                    self.reading = False
                m.changed()
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
        m = self.m
        if self.reader.closed:
            if self.buffered == 0 and all(lane.idle for lane in self.lanes):
                self.finished = True
                self._set(ShardState.CLOSED)
                m.trace.emit("mapping", mapping=m.name, shard=self.shard_id, state="shard_closed")
                return -1.0
            return delay
        gap = self._next_read_at - m.clock.monotonic()
        if gap > 0:
            m.stopping.wait(min(gap, m.options.poll_gap_s))
        started = m.clock.monotonic()
        self._set(ShardState.READING)
        try:
            records = self.reader.read(READ_LIMIT)
        except Exception as e:  # the backend failed us: report and back off, never die
            self._set(ShardState.READ_ERROR, f"GetRecords failed: {type(e).__name__}: {e}")
            m.trace.emit("mapping", mapping=m.name, shard=self.shard_id, state="read_error",
                         error=f"{type(e).__name__}: {e}")
            return min(1.0, delay * 10)
        if records:
            self._accept(records)
            self._next_read_at = started if len(records) >= READ_LIMIT else started + m.options.poll_gap_s
            return None
        self.caught_up_at = started
        self._next_read_at = started + m.options.poll_gap_s
        self._set(ShardState.CAUGHT_UP)
        return delay

    def _accept(self, records: list[StreamRecord]) -> None:
        m = self.m
        wall = m.clock.time()
        m.activity()
        routed: list[list[Pending]] = [[] for _ in self.lanes]
        filtered: list[str] = []
        emit = m.trace.emit
        name, function = m.name, m.function
        stream_arn, region, partition_key = m.config.stream_arn, m.config.region, m.config.partition_key
        with self._tracker_lock:
            for raw in records:
                self.tracker.read(str(raw["dynamodb"]["SequenceNumber"]))
        for raw in records:
            rec = lambda_record(raw, stream_arn, region)
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
            routed[lane_of(rec, partition_key, len(self.lanes))].append(pending)
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
                out.append(f"mapping {self.m.name} shard {self.shard_id} lane {lane.index}: {lane.detail}{extra}")
        return out
