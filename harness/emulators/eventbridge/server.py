"""The EventBridge endpoint the embedded backend serves: an HTTP server in the harness process.

Stdlib only (``http.server``): one thread per client connection, HTTP/1.1 keep-alive, loopback
only, a free port. Each response goes out in one write with Nagle disabled, so a keep-alive
client never waits on delayed ACKs.

Under abuse it stays bounded: a connection silent for ``idle_timeout_s`` (mid-request or between
keep-alive requests) is closed; at most ``max_connections`` are served at once, and further ones
wait in the listen backlog (as deep as the kernel allows) until a slot frees, instead of being
reset; a Content-Length that is not a decimal number, or over :data:`MAX_BODY_BYTES`, is answered
400 and the connection closed, before any body is read.

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

#: PutEvents carries at most 10 entries of 256 KB; JSON escaping can double that
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_HEADERS = 100
DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_IDLE_TIMEOUT_S = 60.0


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
        self.timeout = self.server.idle_timeout_s  # StreamRequestHandler applies it to the socket
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
                if len(headers) >= MAX_HEADERS:
                    self.close_connection = True
                    self._send(400, b'{"__type":"SerializationException","message":"too many request headers"}')
                    return
                name, _, value = h.partition(b":")
                headers[name.strip().lower()] = value.strip()
            connection = headers.get(b"connection", b"").lower()
            self.close_connection = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
            length_text = headers.get(b"content-length") or b"0"
            if not length_text.isdigit() or int(length_text) > MAX_BODY_BYTES:
                self.close_connection = True
                self._send(400, _dumps({"__type": "SerializationException", "message":
                                        f"Content-Length {length_text.decode('latin-1')!r} is not a length of at "
                                        f"most {MAX_BODY_BYTES} bytes"}))
                return
            length = int(length_text)
            if headers.get(b"expect", b"").lower() == b"100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
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
    request_queue_size = socket.SOMAXCONN  # the kernel caps it (net.core.somaxconn)

    def __init__(self, api: EventsApi, max_connections: int, idle_timeout_s: float) -> None:
        self.api = api
        self.idle_timeout_s = idle_timeout_s
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        #: connections being served now, and the most ever served at once
        self.active = 0
        self.peak_connections = 0
        self._slots = threading.BoundedSemaphore(max_connections)
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept only with a free slot: beyond ``max_connections`` clients wait in the backlog."""
        while not self._slots.acquire(timeout=0.05):
            if self.stopping.is_set():
                raise OSError("the endpoint is stopping")  # serve_forever's loop skips this accept
        try:
            conn, address = super().get_request()
        except BaseException:
            self._slots.release()
            raise
        with self.connections_lock:
            self.active += 1
            self.peak_connections = max(self.peak_connections, self.active)
        return conn, address

    def shutdown_request(self, request: Any) -> None:
        """Every accepted connection ends here exactly once (handled, refused or failed): free its slot."""
        try:
            super().shutdown_request(request)
        finally:
            with self.connections_lock:
                self.active -= 1
            self._slots.release()


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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> EventBridgeServer:
        self._server = _Server(self.api, self.max_connections, self.idle_timeout_s)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="eventbridge-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stopping.set()
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


__all__ = ["DEFAULT_IDLE_TIMEOUT_S", "DEFAULT_MAX_CONNECTIONS", "EventBridgeServer", "MAX_BODY_BYTES", "Sink"]
