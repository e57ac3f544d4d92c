"""The public entry point: ``with Harness(topology) as h: ...``."""
from __future__ import annotations

import sys
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.backends import Backend, create_backend
from harness.deploy import Deployment, deploy, plan, teardown
from harness.deploy.ownership import validate_names
from harness.runtime import DrainReport, EngineOptions, MappingStats, Runtime
from harness.runtime.clock import Clock
from harness.runtime.delivery import AsyncInvokeOptions, DeliveryOptions, Dispatcher, attach_dispatcher
from harness.runtime.delivery.external import ExternalEventBridge, attach_external
from harness.runtime.faults import FaultInjector, FaultPlan
from harness.runtime.environ import ENVIRON, Layer
from harness.runtime.ids import IdSource
from harness.topology import Topology
from harness.trace import Trace

_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def _note_buses(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["harness_buses"] = [entry.get("EventBusName") for entry in params.get("Entries", [])]


class Harness:
    """Starts a backend, deploys a topology, runs its functions and mappings; cleans up on exit.

    While it runs, ``os.environ`` carries the backend's AWS_ENDPOINT_URL_<SERVICE> variables, region
    and dummy credentials, so plain ``boto3.client(...)`` anywhere in this process reaches it; harnesses
    that overlap each restore exactly what they set (harness/runtime/environ.py).

    Each harness owns its state: its trace, its clock (``clock=``: monotonic and wall time, for tests
    that move time), its ids (``seed=N``: request, batch and event ids repeat run after run), its
    environment layer, its write nudges and the ``sys.path`` entries it added (removed on stop).

    ``faults=FaultPlan(...)`` injects the plan's faults into every invocation and into the AWS calls
    the handlers make (harness/runtime/faults); each injection is a ``fault`` trace event.
    """

    def __init__(self, topology: Topology | str | Path, backend: str | Backend = "embedded", *,
                 prefix: str = "sh-", region: str = "us-east-1", options: EngineOptions | None = None,
                 handlers_path: Sequence[str | Path] = (), keep: bool = False, adopt: bool = False,
                 eventbridge: DeliveryOptions | str | None = None, clock: Clock | None = None,
                 seed: int | None = None, faults: FaultPlan | None = None,
                 async_invoke: AsyncInvokeOptions | None = None, **backend_options: Any) -> None:
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
        #: timings of Lambda's asynchronous invocation (retry backoff, workers); AWS's parameters are the functions'
        self.async_invoke_options = async_invoke
        self.keep = keep
        #: use existing resources that lack our tag instead of refusing (they are never deleted)
        self.adopt = adopt
        self.trace = Trace()
        self.clock = clock
        self.ids = IdSource(seed)
        self.faults = faults
        self._injector: FaultInjector | None = None
        self.timings: dict[str, float] = {}
        self._handlers_path = [str(Path(p).resolve()) for p in (*handlers_path, *self.topology.handlers_path)]
        self._added_paths: list[str] = []
        self._env_layer: Layer | None = None
        self._nudged: list[Any] = []   # clients whose write events call this harness's _nudge
        self._hooked_events: list[Any] = []   # events clients whose PutEvents this harness counts (external mode)
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
                self._added_paths.append(p)
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
        self._runtime = Runtime(self._deployment, self.backend, self.trace, self.options, clock=self.clock,
                                ids=self.ids, async_options=self.async_invoke_options)
        if self.faults is not None:  # before the first record is read
            self._injector = FaultInjector(self.faults, self.trace)
            self._injector.attach(self._runtime.functions)
        self._runtime.start()
        # a server of the backend that dies makes drain fail at once, naming it (not wait, not call it quiet);
        # weakly held: a shared backend outlives this harness and must not keep it alive
        backend, runtime = self.backend, weakref.ref(self._runtime)
        self._runtime.add_health_check(lambda: [str(f)] if (f := backend.failure()) is not None else [])
        backend.on_failure(lambda _: (r := runtime()) is not None and r.activity())
        self._dispatcher = attach_dispatcher(self._runtime, self.eventbridge_options)
        if self.backend.capabilities.external_eventbridge:  # the backend's EventBridge routes: poll delivery and capture queues
            self._external = attach_external(self._runtime, self._dispatcher)
        self.timings["startup_s"] = time.perf_counter() - t0

    def stop(self) -> None:
        self._stop_nudges()
        if self._runtime is not None:
            self._runtime.stop()
            if self._injector is not None:
                self._injector.detach()
                self._injector = None
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
            for p in self._added_paths:
                if p in sys.path:
                    sys.path.remove(p)
            self._added_paths.clear()
            self.trace.emit("backend", state="stopped", backend=self.backend.name)

    def _apply_env(self, env: dict[str, str]) -> None:
        if self._env_layer is not None:
            ENVIRON.pop(self._env_layer)
        self._env_layer = ENVIRON.push(f"harness {self.prefix} ({self.backend.name})", env)

    def _restore_env(self) -> None:
        if self._env_layer is not None:
            ENVIRON.pop(self._env_layer)
            self._env_layer = None

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
        if service == "events" and not any(c is client for c in self._hooked_events):
            # external EventBridge: drain waits until the backend routed what this client put (per harness)
            client.meta.events.register("before-parameter-build.events.PutEvents", _note_buses,
                                        unique_id="streamharness-note-buses")
            client.meta.events.register("after-call.events.PutEvents", self._put_events,
                                        unique_id=f"streamharness-put-events-{id(self)}")
            self._hooked_events.append(client)
        if service == "dynamodb" and not any(c is client for c in self._nudged):
            # the backend's client may be shared by several harnesses: each registers its own handler
            # (unique per harness) and takes it off at stop, so none keeps another alive or goes deaf
            for op in _WRITES:
                client.meta.events.register(f"after-call.dynamodb.{op}", self._nudge, unique_id=self._nudge_id(op))
            self._nudged.append(client)
        return client

    def _nudge_id(self, op: str) -> str:
        return f"streamharness-nudge-{id(self)}-{op}"

    def _stop_nudges(self) -> None:
        for client in self._nudged:
            for op in _WRITES:
                client.meta.events.unregister(f"after-call.dynamodb.{op}", unique_id=self._nudge_id(op))
        self._nudged.clear()
        for client in self._hooked_events:
            client.meta.events.unregister("after-call.events.PutEvents",
                                          unique_id=f"streamharness-put-events-{id(self)}")
        self._hooked_events.clear()

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

    def expire_ttl(self, table: str, now: float | None = None) -> int:
        """Delete the items of ``table`` whose TTL attribute is at or before ``now`` (default: the clock's
        wall time), as DynamoDB's TTL sweeper would: every mapping sees REMOVE records carrying the TTL
        service identity. Returns how many items expired."""
        from harness.runtime.streams.ttl import expire_now

        return expire_now(self.client("dynamodb"), self.table_name(table), now=now)

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
