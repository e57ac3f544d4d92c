"""Issue 8, item 8: the EventBridge endpoint under abuse stays bounded and answers bad input with
AWS's 400s. Loopback only; every loop is bounded by a deadline."""
from __future__ import annotations

import http.client
import json
import selectors
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.emulators.eventbridge import EventBridgeServer


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[EventBridgeServer]:
    s = EventBridgeServer(**getattr(request, "param", {})).start()
    yield s
    s.stop()


def _port(server: EventBridgeServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _call(server: EventBridgeServer, operation: str, body: bytes) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=30)
    try:
        conn.request("POST", "/", body=body, headers={"X-Amz-Target": f"AWSEvents.{operation}",
                                                      "Content-Type": "application/x-amz-json-1.1"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _stalled(server: EventBridgeServer, first_bytes: bytes = b"") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", _port(server)), timeout=30)
    if first_bytes:
        s.sendall(first_bytes)
    return s


@pytest.mark.parametrize("server", [{"idle_timeout_s": 0.5}], indirect=True)
@pytest.mark.parametrize("first_bytes", [b"", b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"])
def test_a_stalled_client_is_disconnected(server: EventBridgeServer, first_bytes: bytes) -> None:
    with _stalled(server, first_bytes) as s:
        s.settimeout(30)
        assert s.recv(1024) == b""  # closed by the server, not left holding a thread


@pytest.mark.parametrize("server", [{"max_connections": 8, "idle_timeout_s": 1.0}], indirect=True)
def test_stalled_clients_hold_at_most_max_connections_and_others_are_served(server: EventBridgeServer) -> None:
    stalled = [_stalled(server) for _ in range(24)]
    try:
        status, body = _call(server, "ListEventBuses", b"{}")  # waits in the backlog until a slot frees
        assert status == 200 and body["EventBuses"][0]["Name"] == "default"
        assert 0 < server.peak_connections <= 8
    finally:
        for s in stalled:
            s.close()


@pytest.mark.parametrize("length", [b"-1", b"abc", b"99999999999"])
def test_a_bad_content_length_is_a_400_at_once(server: EventBridgeServer, length: bytes) -> None:
    with _stalled(server, b"POST / HTTP/1.1\r\nX-Amz-Target: AWSEvents.ListEventBuses\r\nContent-Length: " + length
                  + b"\r\n\r\n") as s:  # and the client keeps the connection open
        s.settimeout(30)
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 400 ") and b"SerializationException" in head


@pytest.mark.parametrize("server", [{}, {"max_connections": 4, "idle_timeout_s": 1.0}], indirect=True)
def test_a_thousand_simultaneous_connections_are_all_served(server: EventBridgeServer) -> None:
    """Also while every slot is held by a stalled client, so that all of them wait in the backlog."""
    stalled = [_stalled(server) for _ in range(server.max_connections if server.max_connections < 10 else 0)]
    n, deadline = 1000, time.monotonic() + 120
    request = (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSEvents.ListEventBuses\r\nConnection: close\r\n"
               b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}")
    sel = selectors.DefaultSelector()
    replies: dict[socket.socket, bytes] = {}
    failures: list[str] = []
    for _ in range(n):  # every SYN goes out before any reply is read
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", _port(server)))
        sel.register(s, selectors.EVENT_WRITE)
        replies[s] = b""
    while sel.get_map() and time.monotonic() < deadline:
        for key, events in sel.select(timeout=1):
            s = key.fileobj  # type: ignore[assignment]
            try:
                if events & selectors.EVENT_WRITE:
                    s.send(request)  # small enough for one send
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                chunk = s.recv(65536)
            except OSError as e:
                failures.append(type(e).__name__)
                chunk = b""
            replies[s] += chunk
            if not chunk:
                sel.unregister(s)
                s.close()
    for s in [*stalled, *(k.fileobj for k in sel.get_map().values())]:
        s.close()  # type: ignore[union-attr]
    ok = sum(1 for r in replies.values() if r.startswith(b"HTTP/1.1 200 "))
    assert not failures and ok == n, f"{ok}/{n} served; failures: {sorted(set(failures))} x{len(failures)}"


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to read the listen backlog")
def test_the_listen_backlog_holds_a_thousand_waiting_clients(server: EventBridgeServer) -> None:
    """Clients beyond the served ones wait in the kernel's accept queue; when it is full their SYNs are
    dropped (or, with tcp_abort_on_overflow, reset). For a listening socket ss's Send-Q is that queue's size."""
    out = subprocess.run(["ss", "-Hltn", f"sport = :{_port(server)}"], capture_output=True, text=True,
                         check=True).stdout.split()
    assert int(out[2]) >= min(1000, int(Path("/proc/sys/net/core/somaxconn").read_text())), out


@pytest.mark.parametrize(("operation", "body", "code"), [
    ("ListRules", b'{"Limit": "abc"}', "SerializationException"),
    ("ListRules", b'{"Limit": 0}', "ValidationException"),
    ("PutEvents", b'{"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "Resources": 5}]}',
     "SerializationException"),
    ("PutRule", b'{"Name": "r", "EventPattern": {"source": ["s"]}}', "SerializationException"),
    ("PutEvents", b'{"Entries": [{"Source": "s\\ud800", "DetailType": "d", "Detail": "{}"}]}',
     "SerializationException"),
    ("PutTargets", b'{"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q", '
                   b'"RetryPolicy": {"MaximumRetryAttempts": "2"}}]}', "SerializationException"),
])
def test_wrong_typed_fields_and_lone_surrogates_are_400s(server: EventBridgeServer, operation: str, body: bytes,
                                                         code: str) -> None:
    status, error = _call(server, operation, body)
    assert (status, error["__type"]) == (400, code), error
