"""A loopback HTTP/1.1 endpoint for an emulated AWS service, stdlib only.

A thread per client connection, keep-alive, each response written at once with Nagle off; the
request line, headers and body are parsed directly (http.server's e-mail header parser costs more
than a SendMessage). The service is a ``route(method, headers, body) -> (status, content type,
extra headers, body)`` callable with lower-case byte header names.
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.emulators.ids import new_id

Route = Callable[[bytes, dict[bytes, bytes], bytes], tuple[int, str, dict[str, str], bytes]]


class _Request(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "streamharness"
    disable_nagle_algorithm = True
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def handle_one_request(self) -> None:
        """Parse the request line, headers and body directly: http.server's e-mail header parser
        costs more than a SendMessage."""
        try:
            line = self.rfile.readline(65537)
            parts = line.split()
            if len(parts) != 3:
                self.close_connection = True
                return
            headers: dict[bytes, bytes] = {}
            while (h := self.rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
                name, _, value = h.partition(b":")
                headers[name.strip().lower()] = value.strip()
            keep = headers.get(b"connection", b"").lower()
            self.close_connection = keep == b"close" or (parts[2] == b"HTTP/1.0" and keep != b"keep-alive")
            if headers.get(b"expect", b"").lower() == b"100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            length = int(headers.get(b"content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, content_type, extra, data = self.server.route(parts[0], headers, body)
            head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"Content-Type: {content_type}",
                    f"Content-Length: {len(data)}", f"x-amzn-RequestId: {new_id()}",
                    "Connection: close" if self.close_connection else "Connection: keep-alive",
                    *(f"{k}: {v}" for k, v in extra.items())]
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
        except (ConnectionError, TimeoutError, ValueError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, route: Route, port: int) -> None:
        self.route = route
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Request)

    def track(self, conn: socket.socket, open_: bool) -> None:
        with self.connections_lock:
            (self.connections.add if open_ else self.connections.discard)(conn)


class LoopbackHttpServer:
    """Serves ``route`` on 127.0.0.1 (``port`` 0: a free one) from a daemon thread; ``url`` once started."""

    def __init__(self, route: Route, name: str, port: int = 0) -> None:
        self._route, self._name, self._port = route, name, port
        self._server: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> LoopbackHttpServer:
        self._server = _HttpServer(self._route, self._port)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self, before_close: Callable[[], None] = lambda: None) -> None:
        """Stop accepting, run ``before_close`` (e.g. wake long polls), end idle keep-alive connections."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            before_close()
            with server.connections_lock:
                for conn in list(server.connections):
                    try:
                        conn.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


__all__ = ["LoopbackHttpServer", "Route"]
