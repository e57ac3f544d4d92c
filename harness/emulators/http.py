"""The loopback HTTP/1.1 endpoint every emulated AWS service is served from, stdlib only.

A thread per client connection, keep-alive, each response written at once with Nagle off (a
keep-alive client never waits on delayed ACKs); the request line, headers and body are parsed
directly (http.server's e-mail header parser costs more than a SendMessage or a PutEvents). The
service is a ``route(headers, body) -> (status, content type, extra headers, body)`` callable with
lower-case byte header names; a GET is the health check and never reaches it.

Under abuse it stays bounded: a connection silent for ``idle_timeout_s`` (mid-request or between
keep-alive requests) is closed; at most ``max_connections`` are served at once, and further ones
wait in the listen backlog (as deep as the kernel allows) until a slot frees, instead of being
reset; a malformed request line, more than :data:`MAX_HEADERS` headers, or a Content-Length that is
not a decimal number of at most ``max_body_bytes`` is answered with the service's own 400
(``reject(reason)``) and the connection closed, before any body is read.
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.emulators.ids import new_id

Response = tuple[int, str, dict[str, str], bytes]
Route = Callable[[dict[bytes, bytes], bytes], Response]
#: the service's 400 for a request that cannot be read, given the reason
Reject = Callable[[str], Response]

#: PutEvents carries at most 10 entries of 256 KB; JSON escaping can double that
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_HEADERS = 100
DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_IDLE_TIMEOUT_S = 60.0
_HEALTHY: Response = (200, "application/json", {}, b'{"status":"ok"}')


class _Request(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "streamharness"
    disable_nagle_algorithm = True
    server: _HttpServer

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout_s  # StreamRequestHandler applies it to the socket
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def handle_one_request(self) -> None:
        try:
            line = self.rfile.readline(65537)
            if not line or len(line) > 65536:
                self.close_connection = True
                return
            parts = line.split()
            if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
                return self._reject("malformed request line")
            headers: dict[bytes, bytes] = {}
            while (h := self.rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
                if len(headers) >= MAX_HEADERS:
                    return self._reject(f"more than {MAX_HEADERS} request headers")
                name, _, value = h.partition(b":")
                headers[name.strip().lower()] = value.strip()
            keep = headers.get(b"connection", b"").lower()
            self.close_connection = keep == b"close" or (parts[2] == b"HTTP/1.0" and keep != b"keep-alive")
            length = headers.get(b"content-length") or b"0"
            if not length.isdigit() or int(length) > self.server.max_body_bytes:
                return self._reject(f"Content-Length {length.decode('latin-1')!r} is not a length of at most "
                                    f"{self.server.max_body_bytes} bytes")
            if headers.get(b"expect", b"").lower() == b"100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = self.rfile.read(int(length)) if length != b"0" else b""
            self._send(*(_HEALTHY if parts[0] == b"GET" else self.server.route(headers, body)))
        except (ConnectionError, TimeoutError, ValueError):
            self.close_connection = True

    def _reject(self, reason: str) -> None:
        self.close_connection = True
        self._send(*self.server.reject(reason))

    def _send(self, status: int, content_type: str, extra: dict[str, str], data: bytes) -> None:
        more = "".join(f"{k}: {v}\r\n" for k, v in extra.items()) if extra else ""
        head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(data)}\r\nx-amzn-RequestId: {new_id()}\r\n{more}"
                f"{'Connection: close' if self.close_connection else 'Connection: keep-alive'}\r\n\r\n")
        self.wfile.write(head.encode("latin-1") + data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = socket.SOMAXCONN  # the kernel caps it (net.core.somaxconn)

    def __init__(self, owner: LoopbackHttpServer) -> None:
        self.route, self.reject = owner.route, owner.reject
        self.idle_timeout_s, self.max_body_bytes = owner.idle_timeout_s, owner.max_body_bytes
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        #: connections being served now, and the most ever served at once
        self.active = 0
        self.peak_connections = 0
        self._slots = threading.BoundedSemaphore(owner.max_connections)
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", owner.port), _Request)

    def track(self, conn: socket.socket, open_: bool) -> None:
        with self.connections_lock:
            (self.connections.add if open_ else self.connections.discard)(conn)

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


class LoopbackHttpServer:
    """Serves ``route`` on 127.0.0.1 (``port`` 0: a free one) from a daemon thread; ``url`` once started."""

    def __init__(self, route: Route, reject: Reject, name: str, port: int = 0, *,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS, idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
                 max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.route, self.reject, self.name, self.port = route, reject, name, port
        self.max_connections, self.idle_timeout_s, self.max_body_bytes = max_connections, idle_timeout_s, max_body_bytes
        self._server: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._peak = 0
        self.url = ""

    def start(self) -> LoopbackHttpServer:
        self._server = _HttpServer(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.name, daemon=True)
        self._thread.start()
        return self

    @property
    def peak_connections(self) -> int:
        """The most connections served at once so far (never more than ``max_connections``)."""
        server = self._server
        return server.peak_connections if server is not None else self._peak

    def stop(self, before_close: Callable[[], None] = lambda: None) -> None:
        """Stop accepting, run ``before_close`` (e.g. wake long polls), end idle keep-alive connections."""
        server, self._server = self._server, None
        if server is not None:
            server.stopping.set()
            server.shutdown()
            before_close()
            with server.connections_lock:
                for conn in list(server.connections):
                    try:
                        conn.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            server.server_close()
            self._peak = server.peak_connections
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


__all__ = ["DEFAULT_IDLE_TIMEOUT_S", "DEFAULT_MAX_CONNECTIONS", "LoopbackHttpServer", "MAX_BODY_BYTES",
           "MAX_HEADERS", "Reject", "Response", "Route"]
