"""``harness bench --quick`` end to end on two of its sections: it measures, prints the table and writes
bench.json with every figure's value, goal and verdict (no timing is asserted: the figures depend on the machine)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HARNESS = [sys.executable, "-m", "harness.cli"]


def test_bench_quick_measures_cold_start_and_putevents_to_sqs_and_writes_their_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([*HARNESS, "bench", "--quick", "--only", "4,6", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["schema"] == "streamharness.bench/1"
    assert doc["settings"]["quick"] is True and doc["settings"]["sections"] == [4, 6]
    assert doc["machine"]["cpus"] and "load_average" in doc["machine"]
    figures = {f["key"]: f for f in doc["figures"]}
    assert set(figures) == {"cold_start_s", "cold_start_process_s", "putevents_accepted_per_s",
                            "sqs_target_entries_per_s", "sqs_ratio"}
    assert {f["section"] for f in figures.values()} == {4, 6}
    assert all(f["backend"] == "embedded" and f["value"] is not None for f in figures.values())
    assert figures["cold_start_s"]["goal"] == {"op": "<", "bound": 1.0}
    assert figures["sqs_ratio"]["goal"] == {"op": ">=", "bound": 0.5}
    assert figures["cold_start_s"]["verdict"] in ("pass", "fail") and figures["sqs_ratio"]["verdict"] in ("pass", "fail")
    assert "1,000 of 1,000 entries in the queue" in figures["sqs_target_entries_per_s"]["detail"]
    assert doc["values"]["embedded"]["sqs_ratio"] == figures["sqs_ratio"]["value"]
    assert "harness bench" in done.stdout and "SQS target / accepted" in done.stdout


def test_bench_refuses_a_section_that_does_not_exist(tmp_path: Path) -> None:
    done = subprocess.run([*HARNESS, "bench", "--only", "1,9", "--out", str(tmp_path / "b.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "'9' is not a section" in done.stderr
    assert not (tmp_path / "b.json").exists()
