"""What Lambda does, done here: invokers for the functions, one function service they are all
invoked through, an engine per event source mapping, delivery to destinations, and ``drain`` to
wait until the pipeline is quiet (and to say so only when it is)."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.backends.base import Backend
from harness.deploy import Deployment, function_arn
from harness.runtime.clock import Clock, SystemClock
from harness.runtime.delivery.async_invoke import AsyncInvokeOptions, AsyncInvoker
from harness.runtime.delivery.messaging import Messaging
from harness.runtime.esm.engine import EngineOptions, MappingConfig, MappingPorts, MappingRuntime, MappingStats
from harness.runtime.functions import FunctionService
from harness.runtime.ids import IdSource
from harness.runtime.invoker import INVOKERS, Invoker, lambda_environment, logcapture
from harness.runtime.streams import wire_records
from harness.trace import Trace


class DrainError(RuntimeError):
    """drain() cannot say the pipeline is quiet; the message says what is wrong, and where."""


class DrainTimeout(DrainError, TimeoutError):
    """The pipeline did not go quiet in time; the message says which shard is stuck on what."""


class PipelineBroken(DrainError):
    """A runtime thread died or the accounting does not add up: quiet would be a lie."""


@dataclass(frozen=True)
class DrainReport:
    seconds: float
    stats: dict[str, MappingStats]


class Runtime:
    def __init__(self, deployment: Deployment, backend: Backend, trace: Trace,
                 options: EngineOptions | None = None, *, clock: Clock | None = None,
                 ids: IdSource | None = None, async_options: AsyncInvokeOptions | None = None) -> None:
        self.deployment = deployment
        self.backend = backend
        self.trace = trace
        self.options = options or EngineOptions()
        self.clock = clock or SystemClock(wall=self.options.clock)
        self.ids = ids or IdSource()
        #: drain waits on this; it is notified when anything changes state (one per runtime, not per lane)
        self.cond = threading.Condition()
        self.last_activity = self.clock.monotonic()
        self.invokers: dict[str, Invoker] = {}
        self.functions = FunctionService(self.invokers, trace, ids=self.ids, trace_payloads=self.options.trace_payloads)
        self.messaging = Messaging(backend)
        self.mappings: dict[str, MappingRuntime] = {}
        self._drain_checks: list[Callable[[], list[str]]] = []
        self._health_checks: list[Callable[[], list[str]]] = []
        self._stoppers: list[Callable[[], None]] = []
        self._started = False
        #: Lambda's asynchronous invocation of this runtime's functions (EventBridge targets, SNS, destinations)
        self.async_invoker = AsyncInvoker(
            self.functions, trace, messaging=self.messaging,
            resolve=self._destination, function_arn=self.function_arn,
            options=async_options or AsyncInvokeOptions(trace_payloads=self.options.trace_payloads),
            now=self.clock.time, on_activity=self.activity, seed=self.ids.seed, put_events=self._put_events)
        self.add_drain_check(self.async_invoker.pending)
        self.add_health_check(self.async_invoker.problems)

    def add_drain_check(self, check: Callable[[], list[str]]) -> None:
        """Make ``drain`` also wait for another component (e.g. target delivery): ``check`` returns
        descriptions of its pending work, empty when quiet. The component calls ``activity()`` when
        its state changes, so a waiting drain re-evaluates."""
        self._drain_checks.append(check)

    def add_health_check(self, check: Callable[[], list[str]]) -> None:
        """Make ``drain`` fail (PipelineBroken) while ``check`` returns problems (dead threads, accounting
        that does not add up) instead of waiting for a quiet that cannot come or is not real."""
        self._health_checks.append(check)

    def add_stopper(self, stop: Callable[[], None]) -> None:
        """Run ``stop`` when the runtime stops (before the mappings are stopped)."""
        self._stoppers.append(stop)

    def activity(self) -> None:
        """Something happened that may write or deliver more: restarts drain's quiet period."""
        with self.cond:
            self.last_activity = self.clock.monotonic()
            self.cond.notify_all()

    def _changed(self) -> None:
        """A shard or lane changed state: a waiting drain re-checks (the quiet period goes on)."""
        with self.cond:
            self.cond.notify_all()

    def function_arn(self, name: str) -> str:
        return function_arn(self.backend.region, self.backend.account_id, name)

    def start(self) -> None:
        topology = self.deployment.topology
        logcapture.install()
        self._started = True
        base_env = self.backend.environment()
        self.async_invoker.specs = {fn.name: fn for fn in topology.functions}  # event invoke configs and DLQs
        for fn in topology.functions:
            env = {**base_env, **lambda_environment(fn, self.backend.region)}
            env.update({k: self.deployment.resolve(v) for k, v in fn.env.items()})
            factory = INVOKERS.get(fn.invoker)
            if factory is None:
                raise ValueError(f"function {fn.name}: invoker {fn.invoker!r} is not available "
                                 f"(available: {', '.join(INVOKERS)})")
            self.invokers[fn.name] = factory(fn, self.function_arn(fn.name), env)
        for q in self.deployment.queues.values():
            self.messaging.remember_queue(q.arn, q.url)
        # a client of the runtime's own (any config makes a new one): its GetRecords skips botocore's parsing
        streams = wire_records(self.backend.client("dynamodbstreams", max_pool_connections=32))
        ports = MappingPorts(streams=streams, invoke=self.functions.invoke, trace=self.trace, deliver=self._deliver,
                             clock=self.clock, ids=self.ids, on_activity=self.activity, on_change=self._changed)
        for spec in topology.event_source_mappings:
            table = self.deployment.tables[spec.source]
            if not table.stream_arn:
                raise ValueError(f"event source mapping {spec.name}: table {table.name} has no stream "
                                 f"(set its stream_view_type)")
            config = MappingConfig(spec, stream_arn=table.stream_arn, function_arn=self.function_arn(spec.function),
                                   region=self.backend.region, partition_key=topology.table(spec.source).hash_key.name,
                                   options=self.options)
            self.mappings[spec.name] = MappingRuntime(config, ports)
        for m in self.mappings.values():
            m.start()

    def _deliver(self, ref: str, message: dict[str, Any]) -> None:
        """Send an OnFailure record to its destination (``queue:NAME`` or ``topic:NAME`` of the topology)."""
        self.messaging.send(self._destination(ref), json.dumps(message))

    def _destination(self, ref: str) -> str:
        """``queue:NAME`` / ``topic:NAME`` -> its ARN; ``bus:NAME`` -> the deployed bus name."""
        kind, _, name = ref.partition(":")
        if kind == "bus":
            return name if name == "default" else self.deployment.buses[name].name
        try:
            return self.deployment.destination_arn(ref)
        except KeyError:
            raise ValueError(f"unsupported destination {ref!r}") from None

    def _put_events(self, entries: list[dict[str, Any]]) -> None:
        self.backend.client("events").put_events(Entries=entries)

    def nudge(self) -> None:
        """A write happened: let idle shard workers poll now instead of at their next backoff."""
        for m in self.mappings.values():
            m.wake()

    def mapping(self, name: str) -> MappingRuntime:
        try:
            return self.mappings[name]
        except KeyError:
            raise KeyError(f"no event source mapping {name!r} (mappings: {', '.join(self.mappings)})") from None

    def stats(self) -> dict[str, MappingStats]:
        return {name: m.stats for name, m in self.mappings.items()}

    def problems(self) -> list[str]:
        """Dead runtime threads, from every mapping and component: each makes drain fail at once."""
        out: list[str] = []
        for m in self.mappings.values():
            out += m.dead_threads()
        for check in self._health_checks:
            out += check()
        return out

    def drain(self, timeout: float = 30.0) -> DrainReport:
        """Return once every record written so far (also by handlers, meanwhile) is handled, filtered
        or given up on, by every enabled mapping. Disabled mappings are not waited for.

        Never says quiet when it is not: a dead runtime thread, or a mapping whose accounting does
        not add up once quiet (seen == succeeded + filtered + given_up + dropped), or a bus target's
        (accepted == delivered + dead-lettered), raises :class:`PipelineBroken` naming it."""
        t0 = self.clock.monotonic()
        for m in self.mappings.values():
            m.refresh_shards()
            m.wake()
        pending: list[str] = []
        broken: list[str] = []

        def quiet() -> bool:
            nonlocal pending, broken
            broken = self.problems()
            if broken:
                return True
            mark = max(t0, self.last_activity)
            pending = []
            for m in self.mappings.values():
                if m.enabled.is_set():
                    pending += m.drained_since(mark)[1]
            for check in self._drain_checks:
                pending += check()
            return not pending

        with self.cond:
            if not self.cond.wait_for(quiet, timeout):
                raise DrainTimeout(f"drain: the pipeline was not quiet after {timeout:.1f}s; still pending:\n  "
                                   + "\n  ".join(pending))
        if not broken:
            broken = [f"mapping {name}: {why}" for name, m in self.mappings.items()
                      if m.enabled.is_set() and (why := m.stats.imbalance()) is not None]
        if broken:
            raise PipelineBroken("drain: the pipeline is broken, so it cannot be called quiet:\n  "
                                 + "\n  ".join(broken))
        return DrainReport(seconds=self.clock.monotonic() - t0, stats=self.stats())

    def stop(self) -> None:
        for stop in self._stoppers:
            stop()
        self.async_invoker.stop()
        for m in self.mappings.values():
            m.stop()
        for invoker in self.invokers.values():
            invoker.stop()
        if self._started:
            logcapture.uninstall()
            self._started = False
