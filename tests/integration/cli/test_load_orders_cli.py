"""``harness load order-aggregator`` end to end at a tiny size, with its thresholds in a topology file:
Locust writes orders while the pipeline runs, the live-mode oracles judge everything it wrote."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from harness.cli.topology_file import write_topology
from harness.scenario.load import load_profile
from harness.scenario.registry import get
from harness.topology import Thresholds

HARNESS = [sys.executable, "-m", "harness.cli", "load", "order-aggregator"]
LIVE_ORACLES = {"final_drain", "nothing_given_up", "one_invoice_per_eligible_order", "aggregated_detail_matches",
                "no_invoice_before_both_checks", "records_handled", "cost_bound", "rejections",
                "table_matches_stream", "writes_accounted"}


def _topology_file(tmp_path: Path, **changes: object) -> Path:
    """The scenario's own load topology, changed, as a file."""
    profile = load_profile("order-aggregator")
    scenario = get(profile.scenario)
    config = profile.config(7)
    topology = dataclasses.replace(scenario.topology(config, scenario.generate(config), tmp_path), **changes)
    return write_topology(topology, tmp_path / "orders.json")


def test_a_load_run_passes_the_live_oracles_with_the_files_thresholds_and_an_option_over_one(tmp_path: Path) -> None:
    limits = Thresholds(min_events_per_s=0.01, max_p99_ms=0.001, max_error_ratio=0.05)
    path = _topology_file(tmp_path, thresholds=limits)
    report_path = tmp_path / "r.json"
    done = subprocess.run([*HARNESS, "--users", "2", "--spawn-rate", "2", "--run-time", "4s", "--topology", str(path),
                           "--max-p99-ms", "600000", "--json", str(report_path)],
                          capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    checks = {c["name"]: c for c in report["checks_detail"]}
    assert LIVE_ORACLES <= checks.keys() and all(c["passed"] for c in checks.values())
    assert report["orders"] > 0 and checks["writes_accounted"]["actual"] == report["writes_accepted"] > 0
    assert [(t["name"], t["bound"], t["passed"]) for t in report["thresholds"]] == [
        ("events_per_s", 0.01, True), ("write_to_handler_p99_ms", 600000, True), ("error_ratio", 0.05, True)]
    assert report["timings"]["latency_ms"]["p99"] == report["thresholds"][1]["value"]


def test_a_topology_file_without_the_scenarios_resources_or_with_an_unknown_threshold_exits_2(tmp_path: Path) -> None:
    path = _topology_file(tmp_path)
    data = json.loads(path.read_text())
    data["functions"] = [f for f in data["functions"] if f["name"] != "invoice"]
    data["rules"] = []
    path.write_text(json.dumps(data))
    done = subprocess.run([*HARNESS, "--topology", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "the scenario's pipeline needs function invoice" in done.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text("name: x\nthresholds: {max_p99: 5}\n")
    done = subprocess.run([*HARNESS, "--topology", str(typo)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "did you mean 'max_p99_ms'?" in done.stderr
