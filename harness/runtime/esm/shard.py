"""A shard's reader: polls, filters, routes records to lanes by partition key, keeps the checkpoint."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness.runtime.esm.checkpoint import CheckpointTracker
from harness.runtime.esm.events import StreamRecord, lambda_record
from harness.runtime.esm.lane import Lane
from harness.runtime.esm.shared import Pending, lane_of
from harness.runtime.esm.windows import iso
from harness.runtime.streams import ShardReader

if TYPE_CHECKING:
    from harness.runtime.esm.mapping import MappingRuntime


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
