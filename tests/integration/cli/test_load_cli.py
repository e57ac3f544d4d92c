"""``harness load`` end to end at tiny sizes: `harness up` and Locust in processes of their own, the
live-mode oracles on everything the load wrote, thresholds with their verdicts, the exit codes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HARNESS = [sys.executable, "-m", "harness.cli"]
LIVE_ORACLES = {"final_drain", "nothing_given_up", "insert_only", "per_ip_alternation", "alerts", "table_empty",
                "writes_accounted"}


def _load(*args: str, timeout: float = 420) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HARNESS, "load", "ip-dedup", *args], capture_output=True, text=True, timeout=timeout)


def test_a_load_run_passes_its_live_oracles_and_reports_locusts_calls(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    done = _load("--users", "2", "--spawn-rate", "2", "--run-time", "5s", "--json", str(report_path),
                 "--max-error-ratio", "0.05")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ip-dedup: PASSED" in done.stdout
    report = json.loads(report_path.read_text())
    checks = {c["name"]: c for c in report["checks_detail"]}
    assert LIVE_ORACLES <= checks.keys() and all(c["passed"] for c in checks.values())
    accepted = report["writes_accepted"]
    assert accepted > 0 and report["load"]["by_name"]["dynamodb UpdateItem"]["requests"] >= accepted
    assert checks["writes_accounted"]["actual"] == accepted  # every accepted write is one stream record
    assert report["thresholds"] == [{"name": "error_ratio", "bound": 0.05, "floor": False,
                                     "value": report["load"]["error_ratio"], "passed": True}]
    series = report["series"]
    assert sum(series["writes_accepted"]) == report["load"]["requests"]
    assert sum(series["invocations"]) == report["invocations"]


def test_locust_workers_and_a_missed_threshold_exit_1_with_the_oracles_still_exact(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    done = _load("--users", "2", "--spawn-rate", "2", "--run-time", "5s", "--workers", "1",
                 "--min-events-per-s", "1000000", "--json", str(report_path))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    failed = [c["name"] for c in report["checks_detail"] if not c["passed"]]
    assert failed == ["threshold events_per_s"]
    assert report["load"]["workers"] == 1 and report["writes_accepted"] > 0


def test_bad_input_exits_2_before_anything_starts() -> None:
    assert _load("--run-time", "soon", timeout=60).returncode == 2
    unknown = subprocess.run([*HARNESS, "load", "no-such-scenario"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "no load profile for 'no-such-scenario'" in unknown.stderr


def test_harness_run_live_writes_while_the_detector_runs_and_catches_the_forgotten_delete(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    args = [*HARNESS, "run", "ip-dedup", "--packets", "400", "--ips", "50", "--live", "--json", str(report_path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    checks = {c["name"] for c in json.loads(report_path.read_text())["checks_detail"]}
    assert {"per_ip_alternation", "alerts", "table_empty", "writes_accounted"} <= checks
    assert "dedup_count" not in checks  # slot-exact counts do not hold in live mode
    buggy = subprocess.run([*args, "--variant", "forgets-delete"], capture_output=True, text=True, timeout=300)
    assert buggy.returncode == 1
    failed = [c["name"] for c in json.loads(report_path.read_text())["checks_detail"] if not c["passed"]]
    assert failed == ["table_empty"]
