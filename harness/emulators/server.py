"""SQS and SNS on one loopback HTTP endpoint in the harness process.

One port serves both (as one AWS account would see them), because SNS fans out into the SQS
model in-process. Requests are told apart as AWS's SDKs send them: SQS's JSON protocol by
``X-Amz-Target: AmazonSQS.<Op>``; form-encoded query requests by the service in the signature's
credential scope (``.../sns/aws4_request``), SNS when there is none. Stdlib only: a thread per
client connection, HTTP/1.1 keep-alive, each response written at once with Nagle off.
"""
from __future__ import annotations

import socket
import threading
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.emulators import query
from harness.emulators.sns.models import SnsModel
from harness.emulators.sns.responses import SnsApi
from harness.emulators.sqs.models import SqsModel
from harness.emulators.sqs.responses import CONTENT_TYPE as SQS_CONTENT_TYPE
from harness.emulators.sqs.responses import SqsApi


class _Request(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "streamharness-messaging"
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
            status, content_type, extra, data = self.server.endpoint.route(parts[0], headers, body)
            head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"Content-Type: {content_type}",
                    f"Content-Length: {len(data)}", f"x-amzn-RequestId: {uuid.uuid4()}",
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

    def __init__(self, endpoint: MessagingServer, port: int) -> None:
        self.endpoint = endpoint
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Request)

    def track(self, conn: socket.socket, open_: bool) -> None:
        with self.connections_lock:
            (self.connections.add if open_ else self.connections.discard)(conn)


class MessagingServer:
    """The SQS and SNS models and their endpoint; ``url`` once started."""

    def __init__(self, region: str = "us-east-1", account_id: str = "123456789012", port: int = 0) -> None:
        self.region = region
        self.account_id = account_id
        self.sqs = SqsModel(region, account_id)
        self.sns = SnsModel(self.sqs, region, account_id)
        self.sqs_api = SqsApi(self.sqs)
        self.sns_api = SnsApi(self.sns)
        self._port = port
        self._server: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> MessagingServer:
        self._server = _HttpServer(self, self._port)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.sqs.url_base = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="messaging-endpoint", daemon=True)
        self._thread.start()
        return self

    def reset(self) -> None:
        """Forget every queue, message, topic and subscription (per-test isolation)."""
        self.sns.reset()
        self.sqs.reset()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            self.sqs.reset()  # wake long polls so their connections end
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

    def route(self, method: bytes, headers: dict[bytes, bytes], body: bytes) -> tuple[int, str, dict[str, str], bytes]:
        """(status, content type, extra headers, body) for one request."""
        if method == b"GET":  # a health check
            return 200, "application/json", {}, b'{"status":"ok"}'
        target = headers.get(b"x-amz-target")
        if target is not None:
            status, extra, data = self.sqs_api.handle(target.decode("latin-1"), body)
            return status, SQS_CONTENT_TYPE, extra, data
        if b"/sqs/aws4_request" in headers.get(b"authorization", b""):
            data = query.render_error("sns", "InvalidAction", "This SQS endpoint speaks SQS's JSON protocol "
                                      "(X-Amz-Target: AmazonSQS.<Action>, as boto3 >= 1.34 and AWS CLI v2 send it); "
                                      "the query protocol is not served", True, str(uuid.uuid4()))
            return 400, "text/xml", {}, data
        status, data = self.sns_api.handle(body)
        return status, "text/xml", {}, data


__all__ = ["MessagingServer"]
