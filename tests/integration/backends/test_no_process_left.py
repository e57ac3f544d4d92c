"""No server outlives the harness: normal exit, an exception, Ctrl-C, SIGTERM, even SIGKILL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent("""
    import os, sys, time
    from harness import Harness, Topology, Table
    how = sys.argv[1]
    h = Harness(Topology(name="procs", tables=[Table("items", "k")]), sqs="moto")  # both kinds of server process
    with h:
        print("PIDS", " ".join(str(p.pid) for p in h.backend.processes), flush=True)
        if how == "raise":
            raise RuntimeError("boom")
        if how == "wait":
            time.sleep(60)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _start(how: str) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, how], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("PIDS"), (line, proc.stderr.read() if proc.stderr else "")
    pids = [int(p) for p in line.split()[1:]]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    return proc, pids


def _gone(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)  # polling the OS process table: there is nothing to wait on
    return False


@pytest.mark.parametrize("how, sig, code", [
    ("exit", None, 0),
    ("raise", None, 1),
    ("wait", signal.SIGINT, -signal.SIGINT),  # KeyboardInterrupt unwinds, then Python re-raises SIGINT
    ("wait", signal.SIGTERM, 128 + signal.SIGTERM),
    ("wait", signal.SIGKILL, -signal.SIGKILL),
])
def test_servers_stop_with_the_harness(how: str, sig: int | None, code: int) -> None:
    proc, pids = _start(how)
    if sig is not None:
        proc.send_signal(sig)
    assert proc.wait(30) == code
    assert _gone(pids), f"still running: {[p for p in pids if _alive(p)]}"
