"""The loopback control endpoint of ``harness up --control-port``: how another process drives a running
pipeline (``harness load`` does; so can any tool) without sharing its interpreter.

HTTP on 127.0.0.1, JSON bodies:

- ``GET /stats``: per-mapping statistics, EventBridge delivery counts, trace event counts.
- ``GET /resources``: the backend's environment (endpoints, credentials) and the deployed names.
- ``GET /trace-path``: the file the trace is written to as it happens (``--trace``), or null.
- ``POST /drain?timeout=S``: wait until every mapping is caught up and nothing is in flight; answers
  ``{"drained": true, "seconds": ...}``; 504 with the reason when it was not quiet within S seconds, 409
  when it is quiet but broken (unbalanced accounting, a dead thread).
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harness.runtime import DrainError, DrainTimeout

DEFAULT_DRAIN_TIMEOUT = 120.0


class ControlServer:
    """Serves ``harness`` (a started Harness) on 127.0.0.1:``port`` (0 = a free port) in a daemon thread."""

    def __init__(self, harness: Any, port: int = 0, trace_path: str | None = None) -> None:
        self.harness, self.trace_path = harness, trace_path
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="control", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def get(self, path: str) -> tuple[int, Any]:
        h = self.harness
        if path == "/stats":
            return 200, {"mappings": {n: s.as_dict() for n, s in h.stats().items()},
                         "deliveries": dict(h.dispatcher.stats), "trace": dict(h.trace.counts())}
        if path == "/resources":
            dep = h.deployment
            return 200, {"environment": h.environment(), "tables": {n: t.name for n, t in dep.tables.items()},
                         "queues": {n: q.url for n, q in dep.queues.items()},
                         "buses": {n: h.bus_name(n) for n in dep.buses}}
        if path == "/trace-path":
            return 200, {"path": self.trace_path}
        return 404, {"error": f"no GET {path}; try /stats, /resources, /trace-path"}

    def post(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path != "/drain":
            return 404, {"error": f"no POST {path}; try /drain"}
        try:
            timeout = float(query.get("timeout", [DEFAULT_DRAIN_TIMEOUT])[0])
        except ValueError:
            return 400, {"error": f"/drain: timeout must be a number of seconds, not {query['timeout'][0]!r}"}
        try:
            report = self.harness.drain(timeout)
        except DrainTimeout as e:
            return 504, {"drained": False, "error": str(e)}
        except DrainError as e:  # quiet, but the accounting does not add up or a thread died
            return 409, {"drained": False, "error": str(e)}
        return 200, {"drained": True, "seconds": report.seconds}


def _handler(control: ControlServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer(*control.get(urlsplit(self.path).path))

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            self._answer(*control.post(url.path, parse_qs(url.query)))

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the console belongs to `harness up`'s own output

    return Handler


def request(url: str, method: str = "GET", timeout: float = 30.0) -> Any:
    """One call to a control endpoint (``url`` = base + path); the JSON answer, or RuntimeError naming both."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, data=b"" if method == "POST" else None),
                                    timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {url}: {e.code} {e.read().decode(errors='replace')}") from None
    except (urllib.error.URLError, OSError) as e:
        raise RuntimeError(f"{method} {url}: {e}") from None
