"""The EventBridge endpoint the embedded backend serves: an HTTP server in the harness process.

Stdlib only (``http.server``): one thread per client connection, HTTP/1.1 keep-alive, loopback
only, a free port. Each response goes out in one write with Nagle disabled, so a keep-alive
client never waits on delayed ACKs.

Matched events are handed to *sinks* (dispatchers, one per running harness): a sink takes the
targets of the rules it owns (the rules its topology deployed); targets of other rules (created
at run time, e.g. by a handler) go to the first attached sink. With no sink attached (a backend
used without a Harness: no runtime to deliver with), events are accepted and matched but reach no
target; ``unrouted`` counts them.
"""
from __future__ import annotations

import json
import socket
import threading
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from harness.emulators.eventbridge.models import BusEvent, EventsModel, Match, new_id
from harness.emulators.eventbridge.responses import CONTENT_TYPE, EventsApi


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class Sink(Protocol):
    """What the endpoint hands accepted events to (a :class:`~.dispatcher.Dispatcher`)."""

    def owns(self, rule_arn: str) -> bool: ...

    def watches(self, bus: str) -> bool: ...

    def accept(self, routed: Sequence[tuple[BusEvent, Sequence[Match]]]) -> None: ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "streamharness-events"
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def handle_one_request(self) -> None:
        """One request, parsed directly (the API needs the method, two headers and the body):
        http.server's e-mail-based header parsing costs more than the operation itself."""
        try:
            line = self.rfile.readline(65537)
            if not line or len(line) > 65536:
                self.close_connection = True
                return
            parts = line.split()
            if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
                self.close_connection = True
                self._send(400, b'{"__type":"SerializationException","message":"malformed request line"}')
                return
            method, version = parts[0], parts[2]
            headers: dict[bytes, bytes] = {}
            while True:
                h = self.rfile.readline(65537)
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.partition(b":")
                headers[name.strip().lower()] = value.strip()
            connection = headers.get(b"connection", b"").lower()
            self.close_connection = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
            if headers.get(b"expect", b"").lower() == b"100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            length = int(headers.get(b"content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if method == b"GET":  # a health check
                self._send(200, b'{"status":"ok"}')
                return
            target = headers.get(b"x-amz-target")
            try:
                status, payload = self.server.api.handle(target.decode("latin-1") if target else None, body)
            except Exception as e:  # a bug of ours: answer as AWS's InternalException, keep serving
                status, payload = 500, {"__type": "InternalException", "message": f"{type(e).__name__}: {e}"}
            self._send(status, _dumps(payload))
        except (ConnectionError, TimeoutError, ValueError):
            self.close_connection = True

    def _send(self, status: int, data: bytes) -> None:
        head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                f"Content-Type: {CONTENT_TYPE}\r\n"
                f"Content-Length: {len(data)}\r\n"
                f"x-amzn-RequestId: {new_id()}\r\n"
                f"{'Connection: close' if self.close_connection else 'Connection: keep-alive'}\r\n\r\n")
        self.wfile.write(head.encode("latin-1") + data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, api: EventsApi) -> None:
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class EventBridgeServer:
    """The model, its HTTP endpoint and the routing of matched events to sinks."""

    def __init__(self, region: str = "us-east-1", account_id: str = "123456789012") -> None:
        self.model = EventsModel(region, account_id)
        self.api = EventsApi(self.model, self.publish)
        self._sinks: list[Sink] = []
        self._sinks_lock = threading.Lock()
        #: events accepted while no sink was attached (matched, but no runtime to deliver them)
        self.unrouted = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> EventBridgeServer:
        self._server = _Server(self.api)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="eventbridge-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            with server.connections_lock:
                for conn in list(server.connections):  # idle keep-alive connections: end their threads
                    try:
                        conn.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

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
