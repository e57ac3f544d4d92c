"""One LocalStack kept running across harness runs (``harness localstack start|stop|status``).

Unlike the LocalStack a run starts for itself, this one outlives the command that started it, so it is
not a ManagedProcess: its pid, port and folder are written to a state file, and ``stop`` ends its
whole process session (the runtime and its DynamoDB Local) and removes the folder.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from harness.backends.localstack.install import LocalStackUnavailable, ensure_installed, home
from harness.backends.localstack.server import argv, environment, health, missing_services, prepare_root

STOP_GRACE_S = 5.0  # its SIGTERM shutdown often hangs (measured >20 s); in-memory state is lost anyway


def state_file() -> Path:
    return home() / "daemon.json"


def read_state() -> dict[str, Any] | None:
    try:
        state = json.loads(state_file().read_text())
    except (OSError, ValueError):
        return None
    return state if _alive(int(state.get("pid", 0))) else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(port: int, ready_timeout: float = 180.0) -> dict[str, Any]:
    """Start LocalStack on 127.0.0.1:port, detached; returns its state once it is healthy."""
    running = read_state()
    if running:
        return running
    url = f"http://127.0.0.1:{port}"
    if health(url) is not None:
        raise LocalStackUnavailable(f"a LocalStack already answers at {url} (not one this command started)")
    python, lib = ensure_installed()
    root = prepare_root(lib)
    with open(root / "localstack.log", "wb") as log:
        proc = subprocess.Popen(argv(python), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=environment(root, port), start_new_session=True)
    state = {"pid": proc.pid, "port": port, "url": url, "root": str(root)}
    state_file().write_text(json.dumps(state))
    deadline = time.monotonic() + ready_timeout
    while True:
        doc = health(url, timeout=1.0)
        if doc is not None and not missing_services(doc):
            return state
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = (root / "localstack.log").read_text(errors="replace").splitlines()[-20:]
            stop()
            raise LocalStackUnavailable(f"LocalStack on {url} did not become healthy:\n" + "\n".join(tail))
        time.sleep(0.2)  # polling a health endpoint: there is nothing to wait on


def stop() -> dict[str, Any] | None:
    """Stop the LocalStack ``start`` left running; returns its state, or None when none ran."""
    try:
        state = json.loads(state_file().read_text())
    except (OSError, ValueError):
        return None
    pid = int(state.get("pid", 0))
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while _alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our child (same process started it)
            time.sleep(0.1)  # waiting for a process that is not our child: only polling can tell
        os.killpg(pid, signal.SIGKILL)
    shutil.rmtree(state.get("root", ""), ignore_errors=True)
    state_file().unlink(missing_ok=True)
    return state
