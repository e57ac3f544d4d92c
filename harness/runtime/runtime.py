"""What Lambda does, done here: invokers for the functions, an engine per event source mapping,
delivery to destinations, and ``drain`` to wait until the pipeline is quiet."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.backends.base import Backend
from harness.deploy import Deployment, function_arn
from harness.runtime.esm.engine import EngineOptions, MappingRuntime, MappingStats
from harness.runtime.invoker import INVOKERS, Invoker, lambda_environment, logcapture
from harness.trace import Trace


class DrainTimeout(TimeoutError):
    """The pipeline did not go quiet in time; the message says which shard is stuck on what."""


@dataclass(frozen=True)
class DrainReport:
    seconds: float
    stats: dict[str, MappingStats]


class Runtime:
    def __init__(self, deployment: Deployment, backend: Backend, trace: Trace,
                 options: EngineOptions | None = None) -> None:
        self.deployment = deployment
        self.backend = backend
        self.trace = trace
        self.options = options or EngineOptions()
        self.cond = threading.Condition()
        self.last_activity = time.monotonic()
        self.invokers: dict[str, Invoker] = {}
        self.mappings: dict[str, MappingRuntime] = {}
        self._drain_checks: list[Callable[[], list[str]]] = []
        self._stoppers: list[Callable[[], None]] = []
        self._started = False

    def add_drain_check(self, check: Callable[[], list[str]]) -> None:
        """Make ``drain`` also wait for another component (e.g. target delivery): ``check`` returns
        descriptions of its pending work, empty when quiet. The component calls ``activity()`` when
        its state changes, so a waiting drain re-evaluates."""
        self._drain_checks.append(check)

    def add_stopper(self, stop: Callable[[], None]) -> None:
        """Run ``stop`` when the runtime stops (before the mappings are stopped)."""
        self._stoppers.append(stop)

    def activity(self) -> None:
        """Something happened that may write or deliver more: restarts drain's quiet period."""
        self._on_activity()

    def function_arn(self, name: str) -> str:
        return function_arn(self.backend.region, self.backend.account_id, name)

    def start(self) -> None:
        topology = self.deployment.topology
        logcapture.install()
        self._started = True
        base_env = self.backend.environment()
        for fn in topology.functions:
            env = {**base_env, **lambda_environment(fn, self.backend.region)}
            env.update({k: self.deployment.resolve(v) for k, v in fn.env.items()})
            factory = INVOKERS.get(fn.invoker)
            if factory is None:
                raise ValueError(f"function {fn.name}: invoker {fn.invoker!r} is not available "
                                 f"(available: {', '.join(INVOKERS)})")
            self.invokers[fn.name] = factory(fn, self.function_arn(fn.name), env)
        streams = self.backend.client("dynamodbstreams")
        for spec in topology.event_source_mappings:
            table = self.deployment.tables[spec.source]
            assert table.stream_arn, f"table {table.name} has no stream"
            self.mappings[spec.name] = MappingRuntime(  # type: ignore[index]
                spec, stream_arn=table.stream_arn, streams=streams, invoke=self.invokers[spec.function].invoke,
                function_arn=self.function_arn(spec.function), region=self.backend.region, trace=self.trace,
                options=self.options, cond=self.cond, on_activity=self._on_activity, deliver=self._deliver,
                partition_key=topology.table(spec.source).hash_key.name)
        for m in self.mappings.values():
            m.start()

    def _on_activity(self) -> None:
        with self.cond:
            self.last_activity = time.monotonic()
            self.cond.notify_all()

    def _deliver(self, ref: str, message: dict[str, Any]) -> None:
        """Send an OnFailure record to its destination (a queue of the topology)."""
        kind, _, name = ref.partition(":")
        body = json.dumps(message)
        if kind == "queue":
            self.backend.client("sqs").send_message(QueueUrl=self.deployment.queues[name].url, MessageBody=body)
        elif kind == "topic":
            topics = getattr(self.deployment, "topics", {})
            self.backend.client("sns").publish(TopicArn=topics[name].arn, Message=body)
        else:
            raise ValueError(f"unsupported destination {ref!r}")

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

    def drain(self, timeout: float = 30.0) -> DrainReport:
        """Return once every record written so far (also by handlers, meanwhile) is handled, filtered
        or given up on, by every enabled mapping. Disabled mappings are not waited for."""
        t0 = time.monotonic()
        for m in self.mappings.values():
            m.refresh_shards()
            m.wake()
        pending: list[str] = []

        def quiet() -> bool:
            nonlocal pending
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
        return DrainReport(seconds=time.monotonic() - t0, stats=self.stats())

    def stop(self) -> None:
        for stop in self._stoppers:
            stop()
        for m in self.mappings.values():
            m.stop()
        for invoker in self.invokers.values():
            invoker.stop()
        if self._started:
            logcapture.uninstall()
            self._started = False
