"""Cold start to a deployed topology, measured the way a user meets it: a fresh interpreter that imports
the harness, starts the embedded backend, deploys a topology touching every service and starts the runtime.

``measure_cold_start()`` runs that in new processes and returns the medians of each phase; it is section 4 of
``harness bench`` and what ``benchmarks/bench_startup.py`` prints. CPU seconds are given beside wall seconds
because a loaded machine stretches the wall clock while the CPU spent stays close to what a quiet one would show.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: one of each thing the embedded backend serves: a table with a stream read by a mapping, a queue, a topic
#: subscribed by it, a bus with a rule targeting the queue
TOPOLOGY: dict[str, Any] = {
    "name": "coldstart",
    "tables": [{"name": "items", "hash_key": "k", "stream_view_type": "NEW_AND_OLD_IMAGES"}],
    "queues": [{"name": "out"}],
    "topics": [{"name": "fanout", "subscriptions": [{"queue": "out"}]}],
    "event_buses": [{"name": "bus"}],
    "rules": [{"name": "all", "bus": "bus", "EventPattern": {"source": ["coldstart"]},
               "Targets": [{"Id": "q", "Arn": "queue:out"}]}],
    "functions": [{"name": "handle", "handler": "coldstart_handler:handle"}],
    "event_source_mappings": [{"FunctionName": "handle", "EventSource": "items"}],
}
HANDLER = "def handle(event, context):\n    return None\n"

# Runs in the fresh interpreter; public API only, so that it measures any version of the harness alike.
_CHILD = r"""
import json, os, sys, time
t_main = time.monotonic()
from harness import Harness
from harness.topology import Topology
t_imported = time.monotonic()
h = Harness(Topology.from_file(sys.argv[1]), handlers_path=[sys.argv[2]], prefix="coldstart-", backend=sys.argv[3])
h.start()
t_ready, python_cpu = time.monotonic(), time.process_time()
jvm_cpu = None
for p in getattr(h.backend, "processes", []):
    if p.name == "dynamodb-local" and p.pid:
        fields = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
        jvm_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
timings = {**getattr(h.backend, "timings", {}), **h.timings}
h.stop()
print(json.dumps({"main": t_main, "imported": t_imported, "ready": t_ready, "stopped": time.monotonic(),
                  "python_cpu": python_cpu, "jvm_cpu": jvm_cpu, "timings": timings}))
"""


@dataclass(frozen=True)
class ColdStart:
    """Medians over ``runs`` fresh processes, in seconds."""

    runs: int
    #: exec of the interpreter -> topology deployed and runtime started: the figure users wait for
    cold_start_s: float
    #: ``Harness.start()`` alone (imports already done): backend + deploy + runtime
    harness_start_s: float
    interpreter_s: float
    import_s: float
    backend_s: float
    #: DynamoDB Local from exec to its first answered request (None where the harness does not report it)
    dynamodb_ready_s: float | None
    deploy_s: float
    stop_s: float
    #: CPU of the harness process up to ready, and of DynamoDB Local's JVM up to ready (Linux)
    python_cpu_s: float
    jvm_cpu_s: float | None
    #: 1-minute load average before and after: a loaded machine stretches every wall figure
    load_before: float
    load_after: float
    cold_start_max_s: float
    #: every run's ``harness_start_s`` and ``cold_start_s``, in order
    harness_start_runs_s: tuple[float, ...] = ()
    cold_start_runs_s: tuple[float, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_cold_start(runs: int = 5, *, python: str = sys.executable, env: dict[str, str] | None = None,
                       topology: dict[str, Any] | None = None, timeout: float = 300.0,
                       backend: str = "embedded") -> ColdStart:
    """Start a fresh ``python`` ``runs`` times, each deploying ``topology`` (default :data:`TOPOLOGY`) on
    ``backend``; ``env`` is added to the environment (e.g. ``PYTHONPATH`` of another checkout, or the endpoint
    of a running LocalStack)."""
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="streamharness-coldstart-") as tmp:
        topology_file = Path(tmp, "topology.json")
        topology_file.write_text(json.dumps(topology or TOPOLOGY))
        Path(tmp, "coldstart_handler.py").write_text(HANDLER)
        for _ in range(runs):
            rows.append(_run_once(python, topology_file, tmp, {**os.environ, **(env or {})}, timeout, backend))
    return ColdStart(
        runs=runs, cold_start_s=_median(rows, "cold_start"), harness_start_s=_median(rows, "harness_start"),
        interpreter_s=_median(rows, "interpreter"), import_s=_median(rows, "import"), backend_s=_median(rows, "backend"),
        dynamodb_ready_s=_median(rows, "dynamodb_ready"), deploy_s=_median(rows, "deploy"),
        stop_s=_median(rows, "stop"), python_cpu_s=_median(rows, "python_cpu"), jvm_cpu_s=_median(rows, "jvm_cpu"),
        load_before=load_before, load_after=os.getloadavg()[0], cold_start_max_s=max(r["cold_start"] for r in rows),
        harness_start_runs_s=tuple(r["harness_start"] for r in rows), cold_start_runs_s=tuple(r["cold_start"] for r in rows))


def _run_once(python: str, topology_file: Path, workdir: str, env: dict[str, str], timeout: float,
              backend: str) -> dict[str, Any]:
    t0 = time.monotonic()
    done = subprocess.run([python, "-c", _CHILD, str(topology_file), workdir, backend], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=timeout)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"cold start run failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    r = json.loads(lines[-1])
    t = r["timings"]
    return {"cold_start": r["ready"] - t0, "harness_start": t["startup_s"], "interpreter": r["main"] - t0,
            "import": r["imported"] - r["main"], "backend": t.get("backend_start_s"),
            "dynamodb_ready": t.get("dynamodb_ready_s"), "deploy": t.get("deploy_s"), "stop": r["stopped"] - r["ready"],
            "python_cpu": r["python_cpu"], "jvm_cpu": r["jvm_cpu"]}


def _median(rows: list[dict[str, Any]], key: str) -> Any:
    values = [r[key] for r in rows if r[key] is not None]
    return statistics.median(values) if values else None
