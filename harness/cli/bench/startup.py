"""Cold start to a deployed topology: each run in a fresh Python process, so nothing is warm but the disk cache.

The parent starts ``python -m harness.cli.bench.startup SCENARIO SEED BACKEND``; the child builds the
scenario's topology, times ``Harness(topology)`` up to deployed and running (servers, deploy, runtime), prints
one JSON line, and stops. The parent also times the whole process, from its spawn to that line
(interpreter, imports and all), which is what a command such as ``harness up`` pays.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.cli.bench.loads import MeasurementFailed

TIMEOUT_S = 300.0


@dataclass(frozen=True)
class StartupRuns:
    harness_s: list[float]  # Harness(topology).__enter__ in the fresh process
    servers_s: list[float]  # of which the backend's servers
    process_s: list[float]  # spawn -> deployed, the interpreter and imports included

    def median(self, which: str) -> float:
        return round(statistics.median(getattr(self, which)), 3)


def measure(scenario: str, seed: int, runs: int, backend: str = "embedded",
            env: Mapping[str, str] | None = None) -> StartupRuns:
    harness_s, servers_s, process_s = [], [], []
    for _ in range(runs):
        t0 = time.time()
        done = subprocess.run([sys.executable, "-m", "harness.cli.bench.startup", scenario, str(seed), backend],
                              capture_output=True, text=True, timeout=TIMEOUT_S, env=dict(env or os.environ))
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if done.returncode != 0 or not lines:
            raise MeasurementFailed(f"the cold-start process exited with {done.returncode}:\n{done.stderr[-2000:]}")
        doc = json.loads(lines[0])
        harness_s.append(doc["harness_s"])
        servers_s.append(doc["servers_s"])
        process_s.append(doc["ready_at"] - t0)
    return StartupRuns(harness_s, servers_s, process_s)


def _child(scenario_name: str, seed: int, backend: str) -> None:
    from harness import Harness
    from harness.scenario import registry
    from harness.scenario.load import load_profile

    scenario = registry.get(scenario_name)
    config = load_profile(scenario_name).config(seed)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        topology = scenario.topology(config, scenario.generate(config), Path(tmp))
        t0 = time.perf_counter()
        with Harness(topology, backend=backend) as h:
            harness_s = time.perf_counter() - t0
            ready_at = time.time()  # the wall clock: comparable with the parent's
            print(json.dumps({"harness_s": harness_s, "servers_s": h.timings.get("backend_start_s"),
                              "ready_at": ready_at}), flush=True)


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), sys.argv[3])
