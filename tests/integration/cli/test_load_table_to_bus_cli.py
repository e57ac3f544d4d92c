"""``harness load table-to-bus`` end to end at a tiny size: Locust writes the single table while the
pipeline runs, the live-mode oracles judge every change it made (bus, rule targets, FIFO counts)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HARNESS = [sys.executable, "-m", "harness.cli", "load", "table-to-bus"]
LIVE_ORACLES = {"final_drain", "nothing_given_up", "one_bus_event_per_change", "stream_to_bus_accounting",
                "rule_targets_receive_selected", "fifo_counts_equal_truth", "writes_accounted"}


def test_a_load_run_passes_the_live_oracles(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    done = subprocess.run([*HARNESS, "--users", "2", "--spawn-rate", "2", "--run-time", "3s", "--json",
                           str(report_path)], capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    checks = {c["name"]: c for c in report["checks_detail"]}
    assert LIVE_ORACLES <= checks.keys() and all(c["passed"] for c in checks.values())
    assert checks["writes_accounted"]["actual"] == report["writes_accepted"] == report["stream_records"] > 0
    assert report["removes"] > 0 and report["fifo_messages"] > 0 and report["history_invocations"] > 0
