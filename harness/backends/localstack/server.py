"""Run LocalStack's runtime on the host (``python -m localstack.runtime.main``), on 127.0.0.1, and ask
its health endpoint which services are up.

Each instance gets its own FILESYSTEM_ROOT (LocalStack clears its tmp folder at start, so two
instances must not share one) whose ``var/lib/localstack/lib`` links to the shared prepared lib.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.backends.localstack.install import ensure_installed
from harness.backends.processes import ManagedProcess, free_port

SERVICES = ("dynamodb", "dynamodbstreams", "events", "sqs", "sns", "sts", "iam")
HEALTH_PATH = "/_localstack/health"
UP_STATES = ("available", "running")
DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
ACCOUNT_ID = "000000000000"  # LocalStack's account for credentials that are not an account id


def health(endpoint: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """LocalStack's health document, or None when nothing (or not LocalStack) answers there."""
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + HEALTH_PATH, timeout=timeout) as resp:
            doc = json.loads(resp.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("services"), dict) else None


def missing_services(doc: dict[str, Any], wanted: tuple[str, ...] = SERVICES) -> list[str]:
    """The wanted services the health document does not report as available or running, with their state."""
    states = doc.get("services", {})
    return [f"{s} ({states.get(s, 'absent')})" for s in wanted if states.get(s) not in UP_STATES]


def environment(root: Path, port: int) -> dict[str, str]:
    """LocalStack's settings for a host-mode run in ``root``, listening on 127.0.0.1:port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
    env.update({
        "OVERRIDE_IN_DOCKER": "0",
        "FILESYSTEM_ROOT": str(root / "fs"),
        "LOCALSTACK_VOLUME_DIR": str(root / "volume"),
        "TMPDIR": str(root / "tmp"),
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "GATEWAY_SERVER": "hypercorn",  # the default (twisted) server binds every interface whatever the host
        "SERVICES": ",".join(SERVICES),
        "PROVIDER_OVERRIDE_DYNAMODB": "v2",
        "PROVIDER_OVERRIDE_DYNAMODBSTREAMS": "v2",  # v1 lost records written in its first ~500 ms
        "EAGER_SERVICE_LOADING": "1",  # ready means ready: DynamoDB Local is up before the first call
        "DNS_ADDRESS": "0",  # no DNS server (it would want port 53)
        "SKIP_SSL_CERT_DOWNLOAD": "1", "DISABLE_EVENTS": "1",  # nothing is fetched or sent at run time
    })
    return env


def prepare_root(lib: Path) -> Path:
    """A fresh FILESYSTEM_ROOT (and volume, tmp) whose lib directory is the shared prepared one."""
    root = Path(tempfile.mkdtemp(prefix="streamharness-localstack-"))
    libs = root / "fs" / "var" / "lib" / "localstack"
    libs.mkdir(parents=True)
    (libs / "lib").symlink_to(lib, target_is_directory=True)
    for d in ("volume", "tmp"):
        (root / d).mkdir()
    return root


def argv(python: Path) -> list[str]:
    return [str(python), "-m", "localstack.runtime.main"]


def descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (Linux: /proc/<pid>/task/*/children), deepest last."""
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            with contextlib.suppress(OSError):
                kids = [int(c) for c in (task / "children").read_text().split()]
                found += kids
                todo += kids
    return found


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][:1] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _wait_gone(pids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)  # SIGKILL was sent; the kernel reaps asynchronously and has no event to wait on


class LocalStackServer:
    """One LocalStack started by the harness; it dies with the harness (see harness/backends/processes.py)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.root: Path | None = None
        self.process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float) -> LocalStackServer:
        python, lib = ensure_installed()
        self.root = prepare_root(lib)
        self.process = ManagedProcess("localstack", argv(python), lambda _port: self._ready(), port=self.port,
                                      env=environment(self.root, self.port))
        try:
            self.process.start().wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        doc = health(self.url, timeout=1.0)
        return doc is not None and not missing_services(doc)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.pid is not None:
            children = descendants(process.pid)  # its DynamoDB Local (java) may run in a session of its own
            process.stop(grace=5.0)  # LocalStack stops its DynamoDB Local on SIGTERM; then SIGKILL
            for pid in children:  # whatever outlived it goes now, and is gone when stop returns
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            _wait_gone(children, timeout=10.0)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
