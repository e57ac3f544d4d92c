"""``harness load`` end to end at a tiny size for the scenarios after the first two: Locust writes while the
pipeline runs, the scenario's live-mode oracles judge everything it wrote."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PIPELINE = {"final_drain", "nothing_given_up", "writes_accounted"}


def _passing_run(tmp_path: Path, scenario: str, oracles: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON report of a 3-second run with 2 users, which must pass with every one of ``oracles`` in it."""
    report_path = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-m", "harness.cli", "load", scenario, "--users", "2", "--spawn-rate", "2",
                           "--run-time", "3s", "--json", str(report_path)], capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    checks = {c["name"]: c for c in report["checks_detail"]}
    assert PIPELINE | oracles <= checks.keys() and all(c["passed"] for c in checks.values())
    return report, checks


def test_table_to_bus_under_load_passes_its_live_oracles(tmp_path: Path) -> None:
    report, checks = _passing_run(tmp_path, "table-to-bus", {"one_bus_event_per_change", "stream_to_bus_accounting",
                                                             "rule_targets_receive_selected", "fifo_counts_equal_truth"})
    assert checks["writes_accounted"]["actual"] == report["writes_accepted"] == report["stream_records"] > 0
    assert report["removes"] > 0 and report["fifo_messages"] > 0 and report["history_invocations"] > 0


def test_eventlake_under_load_passes_its_live_oracles(tmp_path: Path) -> None:
    report, checks = _passing_run(tmp_path, "eventlake", {"no_modify", "duplicates_rejected", "validation",
                                                          "consumed_exactly_once", "replay_equality",
                                                          "projection_matches_reference"})
    answers = report["answers"]
    assert answers["first 201"] == report["stored_events"] == checks["writes_accounted"]["actual"] > 0
    assert answers.get("retry 409", 0) + answers.get("conflict 409", 0) > 0 and answers["invalid 400"] > 0


def test_outbox_under_load_passes_its_live_oracles(tmp_path: Path) -> None:
    report, checks = _passing_run(tmp_path, "outbox-to-queue", {"delivered_in_order_per_key", "queue_holds_published"})
    assert report["writes_accepted"] == report["stream_records"] == report["published"] == report["on_queue"] > 0
