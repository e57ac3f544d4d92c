"""Cold start to a deployed topology: fresh interpreters that import the harness, start the embedded
backend (warm cache: DynamoDB Local already fetched), deploy a table with a stream and a mapping, a
queue, a topic and a bus with a rule, and start the runtime. Medians of each phase over several runs.

    python benchmarks/bench_startup.py [--runs 7] [--against DIR] [--json FILE]

``--against DIR`` measures another checkout of the harness (its ``harness`` package on PYTHONPATH) in
the same run, interleaved, for a before/after on a machine whose load changes. Wall figures stretch
with the machine's load; the CPU figures much less.
"""
from __future__ import annotations

import argparse
import json
import statistics
from typing import Any

from harness.coldstart import ColdStart, measure_cold_start

ROWS = [("cold start: exec -> deployed", "cold_start_s"), ("  interpreter", "interpreter_s"),
        ("  import harness", "import_s"), ("  Harness.start()", "harness_start_s"), ("    backend", "backend_s"),
        ("      DynamoDB Local ready", "dynamodb_ready_s"), ("    deploy", "deploy_s"), ("stop", "stop_s"),
        ("CPU of the harness process", "python_cpu_s"), ("CPU of DynamoDB Local", "jvm_cpu_s")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--against", metavar="DIR", help="also measure the harness checked out in DIR, interleaved")
    ap.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    args = ap.parse_args()
    columns: dict[str, list[ColdStart]] = {"this": []}
    if args.against:
        columns["against"] = []
    for _ in range(args.runs):  # one run of each per round: both see the same load
        columns["this"].append(measure_cold_start(1))
        if args.against:
            columns["against"].append(measure_cold_start(1, env={"PYTHONPATH": args.against}))
    figures = {name: _medians(results) for name, results in columns.items()}
    print(f"{'median of ' + str(args.runs) + ' runs, seconds':34s}" + "".join(f"{n:>10s}" for n in figures))
    for label, key in ROWS:
        print(f"{label:34s}" + "".join(_cell(f[key]) for f in figures.values()))
    loads = [r.load_before for rs in columns.values() for r in rs]
    print(f"load average (1 min) during the runs: {min(loads):.1f} - {max(loads):.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)


def _medians(results: list[ColdStart]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _, key in ROWS:
        values = [v for r in results if (v := getattr(r, key)) is not None]
        out[key] = statistics.median(values) if values else None
    return out


def _cell(value: float | None) -> str:
    return f"{value:10.3f}" if value is not None else f"{'-':>10s}"


if __name__ == "__main__":
    main()
