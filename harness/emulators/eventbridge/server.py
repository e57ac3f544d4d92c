"""The EventBridge endpoint the embedded backend serves: the model behind the shared loopback HTTP
endpoint (:mod:`harness.emulators.http`: keep-alive, bounded connections, idle timeout, checked
Content-Length), and the hand-off of matched events to sinks.

Matched events are handed to *sinks* (dispatchers, one per running harness): a sink takes the
targets of the rules it owns (the rules its topology deployed); targets of other rules (created
at run time, e.g. by a handler) go to the first attached sink. With no sink attached (a backend
used without a Harness: no runtime to deliver with), events are accepted and matched but reach no
target; ``unrouted`` counts them.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Protocol

from harness.emulators.eventbridge.models import BusEvent, EventsModel, Match, SerializationException
from harness.emulators.eventbridge.responses import CONTENT_TYPE, EventsApi, error
from harness.emulators.http import DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_CONNECTIONS, LoopbackHttpServer, Response


class Sink(Protocol):
    """What the endpoint hands accepted events to (a :class:`~.dispatcher.Dispatcher`)."""

    def owns(self, rule_arn: str) -> bool: ...

    def watches(self, bus: str) -> bool: ...

    def accept(self, routed: Sequence[tuple[BusEvent, Sequence[Match]]]) -> None: ...


def _json(result: tuple[int, dict[str, object]]) -> Response:
    return result[0], CONTENT_TYPE, {}, json.dumps(result[1], separators=(",", ":")).encode()


class EventBridgeServer:
    """The model, its HTTP endpoint and the routing of matched events to sinks."""

    def __init__(self, region: str = "us-east-1", account_id: str = "123456789012", *,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS, idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S) -> None:
        self.model = EventsModel(region, account_id)
        self.max_connections = max_connections
        self.idle_timeout_s = idle_timeout_s
        self.api = EventsApi(self.model, self.publish)
        self._sinks: list[Sink] = []
        self._sinks_lock = threading.Lock()
        #: events accepted while no sink was attached (matched, but no runtime to deliver them)
        self.unrouted = 0
        self._http = LoopbackHttpServer(self.route, self.reject, "eventbridge-endpoint",
                                        max_connections=max_connections, idle_timeout_s=idle_timeout_s)
        self.url = ""

    def start(self) -> EventBridgeServer:
        self.url = self._http.start().url
        return self

    def stop(self) -> None:
        self._http.stop()

    @property
    def peak_connections(self) -> int:
        """The most connections served at once (at most ``max_connections``)."""
        return self._http.peak_connections

    def route(self, headers: dict[bytes, bytes], body: bytes) -> Response:
        target = headers.get(b"x-amz-target")
        return _json(self.api.handle(target.decode("latin-1") if target else None, body))

    def reject(self, reason: str) -> Response:
        return _json(error(SerializationException(reason)))

    # -- routing -------------------------------------------------------------------------------
    def attach(self, sink: Sink) -> None:
        with self._sinks_lock:
            self._sinks.append(sink)

    def detach(self, sink: Sink) -> None:
        with self._sinks_lock:
            if sink in self._sinks:
                self._sinks.remove(sink)

    def publish(self, events: Sequence[BusEvent]) -> None:
        with self._sinks_lock:
            sinks = list(self._sinks)
        if not sinks:
            with self._sinks_lock:
                self.unrouted += len(events)
            return
        first = sinks[0]
        routed: dict[int, list[tuple[BusEvent, list[Match]]]] = {id(s): [] for s in sinks}
        for event in events:
            share: dict[int, list[Match]] = {id(s): [] for s in sinks}
            for match in event.matches:
                owner = first if len(sinks) == 1 else next((s for s in sinks if s.owns(match.rule_arn)), first)
                share[id(owner)].append(match)
            for s in sinks:
                mine = share[id(s)]
                if mine or s is first or s.watches(event.bus):
                    routed[id(s)].append((event, mine))
        for s in sinks:
            if routed[id(s)]:
                s.accept(routed[id(s)])


__all__ = ["EventBridgeServer", "Sink"]
