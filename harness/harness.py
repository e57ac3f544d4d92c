"""The public entry point: ``with Harness(topology) as h: ...``."""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.backends import Backend, create_backend
from harness.deploy import Deployment, deploy, plan, teardown
from harness.deploy.ownership import validate_names
from harness.runtime import DrainReport, EngineOptions, MappingStats, Runtime
from harness.runtime.delivery import DeliveryOptions, Dispatcher, attach_dispatcher
from harness.runtime.delivery.external import ExternalEventBridge, attach_external
from harness.topology import Topology
from harness.trace import Trace

_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def _note_buses(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["harness_buses"] = [entry.get("EventBusName") for entry in params.get("Entries", [])]


class Harness:
    """Starts a backend, deploys a topology, runs its functions and mappings; cleans up on exit.

    While it runs, ``os.environ`` carries the backend's AWS_ENDPOINT_URL_<SERVICE> variables, region
    and dummy credentials, so plain ``boto3.client(...)`` anywhere in this process reaches it.
    """

    def __init__(self, topology: Topology | str | Path, backend: str | Backend = "embedded", *,
                 prefix: str = "sh-", region: str = "us-east-1", options: EngineOptions | None = None,
                 handlers_path: Sequence[str | Path] = (), keep: bool = False, adopt: bool = False,
                 eventbridge: DeliveryOptions | str | None = None, **backend_options: Any) -> None:
        if isinstance(eventbridge, str):  # the backend's choice of EventBridge (e.g. "moto"), not delivery timings
            if isinstance(backend, Backend):
                raise TypeError(f"eventbridge={eventbridge!r} chooses the backend's EventBridge; pass it to the "
                                f"backend you built (e.g. EmbeddedBackend(eventbridge={eventbridge!r})), or pass "
                                f"DeliveryOptions(...) for target delivery timings")
            backend_options["eventbridge"], eventbridge = eventbridge, None
        elif eventbridge is not None and not isinstance(eventbridge, DeliveryOptions):
            raise TypeError(f"eventbridge must be DeliveryOptions or a backend's EventBridge name, not "
                            f"{type(eventbridge).__name__}")
        self.topology = topology if isinstance(topology, Topology) else Topology.from_file(topology)
        validate_names(self.topology, prefix)  # before any server starts
        #: a Backend instance passed in belongs to the caller (shared across runs): not started or stopped here
        self._owns_backend = not isinstance(backend, Backend)
        self.backend = backend if isinstance(backend, Backend) else create_backend(
            backend, region=region, **backend_options)
        self.prefix = self.backend.run_prefix or prefix  # the aws backend insists on the run's unique prefix
        self.options = options
        #: timings of EventBridge target delivery (retry backoff, workers); AWS's parameters are in the topology
        self.eventbridge_options = eventbridge
        self.keep = keep
        #: use existing resources that lack our tag instead of refusing (they are never deleted)
        self.adopt = adopt
        self.trace = Trace()
        self.timings: dict[str, float] = {}
        self._handlers_path = [str(Path(p).resolve()) for p in handlers_path]
        self._saved_env: dict[str, str | None] = {}
        self._deployment: Deployment | None = None
        self._runtime: Runtime | None = None
        self._dispatcher: Dispatcher | None = None
        self._external: ExternalEventBridge | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> Harness:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        t0 = time.perf_counter()
        for p in reversed(self._handlers_path):
            if p not in sys.path:
                sys.path.insert(0, p)
        if self._owns_backend:
            self.backend.start()
        self.timings["backend_start_s"] = self.backend.startup_s
        self.trace.emit("backend", state="started", backend=self.backend.name, endpoints=self.backend.endpoints,
                        startup_s=round(self.backend.startup_s, 3), warnings=self.backend.warnings)
        self._apply_env(self.backend.environment())
        t1 = time.perf_counter()
        self.backend.announce(plan(self.topology, self.backend, self.prefix))
        self._deployment = deploy(self.topology, self.backend, self.prefix, adopt=self.adopt)
        self.timings["deploy_s"] = time.perf_counter() - t1
        self._runtime = Runtime(self._deployment, self.backend, self.trace, self.options)
        self._runtime.start()
        self._dispatcher = attach_dispatcher(self._runtime, self.eventbridge_options)
        if self.backend.capabilities.external_eventbridge:  # the backend's EventBridge routes: poll delivery and capture queues
            self._external = attach_external(self._runtime, self._dispatcher)
        self.timings["startup_s"] = time.perf_counter() - t0

    def stop(self) -> None:
        if self._runtime is not None:
            self._runtime.stop()
            self._runtime = None
            self._dispatcher = None
            self._external = None
        try:
            # a backend we started and that owns its resources dies with them; a shared one is cleaned up
            if self._deployment is not None and not self.keep and (
                    not self.backend.capabilities.owns_resources or not self._owns_backend):
                teardown(self._deployment, self.backend)
        finally:
            self._deployment = None
            if self._owns_backend:
                self.backend.stop()
            self._restore_env()
            self.trace.emit("backend", state="stopped", backend=self.backend.name)

    def _apply_env(self, env: dict[str, str]) -> None:
        for k, v in env.items():
            self._saved_env.setdefault(k, os.environ.get(k))
            os.environ[k] = v

    def _restore_env(self) -> None:
        for k, old in self._saved_env.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old
        self._saved_env.clear()

    # -- use ------------------------------------------------------------------------------------
    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise RuntimeError("the harness is not running: use 'with Harness(...) as h:'")
        return self._runtime

    @property
    def deployment(self) -> Deployment:
        if self._deployment is None:
            raise RuntimeError("the harness is not running: use 'with Harness(...) as h:'")
        return self._deployment

    def client(self, service: str) -> Any:
        """A boto3 client on the backend. DynamoDB writes through it wake the stream pollers at once."""
        client = self.backend.client(service)
        if service == "events" and not getattr(client, "_harness_counts_events", False):
            client.meta.events.register("before-parameter-build.events.PutEvents", _note_buses)
            client.meta.events.register("after-call.events.PutEvents", self._put_events)
            client._harness_counts_events = True
        if service == "dynamodb" and not getattr(client, "_harness_nudges", False):
            for op in _WRITES:
                client.meta.events.register(f"after-call.dynamodb.{op}", self._nudge)
            client._harness_nudges = True
        return client

    def _put_events(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """External EventBridge: a drain waits until the backend has routed the events this client put."""
        if self._external is not None:
            self._external.sent((bus, result.get("EventId"))
                                for bus, result in zip(context.get("harness_buses", []), parsed.get("Entries", [])))

    def _nudge(self, **_: Any) -> None:
        if self._runtime is not None:
            self._runtime.nudge()

    def table_name(self, logical: str) -> str:
        return self.deployment.tables[logical].name

    def queue_url(self, logical: str) -> str:
        return self.deployment.queues[logical].url

    def bus_name(self, logical: str = "default") -> str:
        """The deployed name of an event bus of the topology (``default`` is the default bus)."""
        return logical if logical == "default" else self.deployment.buses[logical].name

    def rule_name(self, logical: str) -> str:
        return self.deployment.rules[logical].name

    def topic_arn(self, logical: str) -> str:
        return self.deployment.topics[logical].arn

    @property
    def dispatcher(self) -> Dispatcher:
        """EventBridge target delivery (``.stats``: events, deliveries, succeeded, dead_lettered, ...)."""
        if self._dispatcher is None:
            raise RuntimeError("the harness is not running: use 'with Harness(...) as h:'")
        return self._dispatcher

    def divergences(self) -> list[dict[str, Any]]:
        """External EventBridge only (the backend routes, e.g. ``EmbeddedBackend(eventbridge="moto")``): the
        events the backend routed differently from our matcher, once the delivery and capture queues are
        quiet (call after ``drain()``); each also is a ``divergence`` trace event. Always empty when the
        harness routes events itself."""
        if self._runtime is None:
            raise RuntimeError("the harness is not running: use 'with Harness(...) as h:'")
        return self._external.divergences() if self._external is not None else []

    def drain(self, timeout: float = 30.0) -> DrainReport:
        return self.runtime.drain(timeout)

    def stats(self) -> dict[str, MappingStats]:
        return self.runtime.stats()

    def pause(self, mapping: str) -> None:
        """Disable a mapping (UpdateEventSourceMapping Enabled=false): records wait in the stream."""
        self.runtime.mapping(mapping).set_enabled(False)

    def resume(self, mapping: str) -> None:
        self.runtime.mapping(mapping).set_enabled(True)

    @contextmanager
    def paused(self, *mappings: str) -> Iterator[None]:
        names = mappings or tuple(self.runtime.mappings)
        for m in names:
            self.pause(m)
        try:
            yield
        finally:
            for m in names:
                self.resume(m)

    def environment(self) -> dict[str, str]:
        return self.backend.environment()
