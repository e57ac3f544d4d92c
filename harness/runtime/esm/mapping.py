"""One event source mapping: its shard workers, its state (enabled or not) and its accounting."""
from __future__ import annotations

import threading

from harness.runtime.esm.context import MappingConfig, MappingContext, MappingPorts
from harness.runtime.esm.shard import ShardWorker
from harness.runtime.esm.shared import EngineOptions, MappingStats
from harness.runtime.streams import list_shards
from harness.topology.specs import EventSourceMapping


class MappingRuntime:
    """One event source mapping: its shard workers, its state and its accounting."""

    def __init__(self, config: MappingConfig, ports: MappingPorts) -> None:
        self.ctx = MappingContext(config, ports)
        self.config = config
        self.workers: dict[str, ShardWorker] = {}
        self._discovery = threading.Thread(target=self._discover_loop, name=f"esm-{config.spec.name}-shards",
                                           daemon=True)
        self._discover_lock = threading.Lock()

    # -- what callers read ------------------------------------------------------------------------
    @property
    def spec(self) -> EventSourceMapping:
        return self.config.spec

    @property
    def options(self) -> EngineOptions:
        return self.config.options

    @property
    def stats(self) -> MappingStats:
        return self.ctx.stats

    @property
    def enabled(self) -> threading.Event:
        return self.ctx.enabled

    @property
    def stopping(self) -> threading.Event:
        return self.ctx.stopping

    @property
    def cond(self) -> threading.Condition:
        return self.ctx.cond

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self.refresh_shards(str(self.spec.starting_position))
        self._discovery.start()
        self.ctx.trace.emit("mapping", mapping=self.spec.name,
                            state="enabled" if self.enabled.is_set() else "disabled",
                            stream_arn=self.config.stream_arn, shards=list(self.workers))

    def refresh_shards(self, starting_position: str = "TRIM_HORIZON") -> None:
        """Start a worker for every shard not seen yet. StartingPosition applies to the shards there
        when the mapping starts; shards that appear later are read from their beginning."""
        with self._discover_lock:
            for shard in list_shards(self.ctx.ports.streams, self.config.stream_arn):
                if shard.shard_id in self.workers:
                    continue
                parent = self.workers.get(shard.parent_shard_id or "")
                worker = ShardWorker(self.ctx, shard.shard_id, starting_position,
                                     parent_id=parent.shard_id if parent else None,
                                     parent_finished=(lambda p=parent: p.finished) if parent else None)
                self.workers[shard.shard_id] = worker
                if not self.stopping.is_set():
                    worker.start()

    def _discover_loop(self) -> None:
        while not self.stopping.wait(self.options.shard_discovery_interval_s):
            try:
                self.refresh_shards()
            except Exception as e:
                self.ctx.trace.emit("mapping", mapping=self.spec.name, state="describe_error", error=str(e))

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
        self.ctx.trace.emit("mapping", mapping=self.spec.name, state="enabled" if enabled else "disabled")
        self.wake()

    def wake(self) -> None:
        for w in list(self.workers.values()):
            w.wake.set()
            for lane in w.lanes:
                lane.wake.set()

    def threads(self) -> list[threading.Thread]:
        """Every thread of this mapping that was started (shard discovery, readers, lanes)."""
        out = [self._discovery] if self._discovery.ident is not None else []
        for w in list(self.workers.values()):
            out += [t for t in w.threads if t.ident is not None]
        return out

    def dead_threads(self) -> list[str]:
        """Threads that ended while the mapping runs (a bug, or a stop in progress): drain reports them."""
        if self.stopping.is_set():
            return []
        out = []
        for w in list(self.workers.values()):
            if w.finished:  # a closed shard's reader ends; its lanes stay until stop
                continue
            out += [f"mapping {self.spec.name} shard {w.shard_id}: thread {t.name} has died"
                    for t in w.threads if t.ident is not None and not t.is_alive()]
        if self._discovery.ident is not None and not self._discovery.is_alive():
            out.append(f"mapping {self.spec.name}: shard discovery thread {self._discovery.name} has died")
        return out

    def drained_since(self, mark: float) -> tuple[bool, list[str]]:
        """True when every shard has polled empty after ``mark`` with nothing buffered or in flight."""
        pending: list[str] = []
        for w in list(self.workers.values()):
            if w.finished:
                continue
            lanes = w.pending()
            pending += lanes
            if not lanes and w.caught_up_at <= mark:
                pending.append(f"mapping {self.spec.name} shard {w.shard_id}: {w.detail}")
        return (not pending, pending)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.enabled.set()  # release paused workers so they see the stop
        self.wake()
        deadline = self.ctx.clock.monotonic() + timeout
        for t in self.threads():
            if t.is_alive():
                t.join(max(0.0, deadline - self.ctx.clock.monotonic()))
