"""A LocalStack the harness starts dies with it, its DynamoDB Local included: normal exit, SIGTERM, SIGKILL."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from backends.test_no_process_left import _alive, _gone

from harness.backends.localstack.server import descendants

pytestmark = pytest.mark.localstack

SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from harness import Harness, Topology, Table
    h = Harness(Topology(name="procs", tables=[Table("items", "k")]), backend="localstack",
                start="always")
    with h:
        h.client("dynamodb").put_item(TableName=h.table_name("items"), Item={"k": {"S": "x"}})
        [root_pid] = [p.pid for p in h.backend.processes]
        print("PIDS", root_pid, h.backend.server.root, flush=True)
        if sys.argv[1] == "wait":
            time.sleep(120)
""")


@pytest.mark.parametrize("how, sig, code", [
    ("exit", None, 0),
    ("wait", signal.SIGTERM, 128 + signal.SIGTERM),
    ("wait", signal.SIGKILL, -signal.SIGKILL),
])
def test_localstack_and_its_dynamodb_stop_with_the_harness(how: str, sig: int | None, code: int) -> None:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, how], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("PIDS"), (line, proc.stderr.read() if proc.stderr else "")
    _, root_pid, root = line.split()
    pids = [int(root_pid)]
    if how == "wait":
        pids += descendants(int(root_pid))
        assert len(pids) >= 2 and all(_alive(p) for p in pids)  # the runtime and its DynamoDB Local (java)
        proc.send_signal(sig)
    assert proc.wait(60) == code
    assert _gone(pids, timeout=30), f"still running: {[p for p in pids if _alive(p)]}"
    if sig != signal.SIGKILL:  # a SIGKILLed harness cannot clean up: its temporary folder stays
        assert not Path(root).exists()


def test_cli_runs_ip_dedup_on_a_localstack_it_starts(tmp_path: Path) -> None:
    report, trace = tmp_path / "r.json", tmp_path / "t.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "LOCALSTACK_ENDPOINT"}
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run", "ip-dedup", "--backend", "localstack",
                           "--packets", "300", "--ips", "40", "--slots", "2", "--json", str(report),
                           "--trace", str(trace)], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads(report.read_text())["passed"]
    started = next(e for e in map(json.loads, trace.read_text().splitlines())
                   if e["kind"] == "backend" and e["state"] == "started")
    assert started["backend"] == "localstack"
    port = started["endpoints"]["dynamodb"].rsplit(":", 1)[1]
    runtimes = [p for p in Path("/proc").glob("[0-9]*")
                if f"GATEWAY_LISTEN=127.0.0.1:{port}".encode() in _environ(p)]
    assert runtimes == []


def _environ(proc: Path) -> bytes:
    try:
        return (proc / "environ").read_bytes()
    except OSError:
        return b""
