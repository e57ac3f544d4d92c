"""The ``harness`` command as a user runs it."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

HARNESS = [sys.executable, "-m", "harness.cli"]
HERE = Path(__file__).resolve().parents[1]  # tests/integration: esm_handlers.py


def _run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HARNESS, *args], capture_output=True, text=True, timeout=timeout)


def test_run_ip_dedup_writes_the_report_and_the_trace_and_judge_reads_it_back(tmp_path: Path) -> None:
    report_path, trace_path = tmp_path / "report.json", tmp_path / "trace.jsonl"
    done = _run("run", "ip-dedup", "--packets", "500", "--ips", "60", "--slots", "2", "--seed", "3",
                "--batch-size", "25", "--json", str(report_path), "--trace", str(trace_path))
    assert done.returncode == 0, done.stderr
    assert "ip-dedup: PASSED" in done.stdout
    report = json.loads(report_path.read_text())
    for key in ("scenario", "backend", "seed", "packets", "distinct_ips", "checks", "expected_checks",
                "stream_records", "delivered_event_names", "alerts", "passed", "checks_detail", "timings"):
        assert key in report, key
    assert set(report["timings"]) >= {"startup_s", "run_s", "latency_ms"}
    assert set(report["timings"]["latency_ms"]) == {"p50", "p95", "p99"}
    assert {c["name"] for c in report["checks_detail"]} == {
        "insert_only", "dedup_count", "per_ip_alternation", "alerts", "table_empty", "accounting"}
    kinds = {json.loads(line)["kind"] for line in trace_path.read_text().splitlines()}
    assert {"record", "filtered", "batch", "invoke", "result", "log", "checkpoint", "scenario", "observation"} <= kinds
    judged = _run("judge", str(trace_path), "--json", str(tmp_path / "judged.json"), timeout=120)
    assert judged.returncode == 0, judged.stderr
    assert judged.stdout == done.stdout
    assert json.loads((tmp_path / "judged.json").read_text()) == report


def test_run_exits_nonzero_when_a_check_fails_and_so_does_judge(tmp_path: Path) -> None:
    done = _run("run", "ip-dedup", "--packets", "300", "--ips", "30", "--slots", "2",
                "--variant", "forgets-delete", "--json", str(tmp_path / "r.json"), "--trace", str(tmp_path / "t.jsonl"))
    assert done.returncode == 1
    assert "FAIL" in done.stdout and "dedup_count" in done.stdout
    assert json.loads((tmp_path / "r.json").read_text())["passed"] is False
    judged = _run("judge", str(tmp_path / "t.jsonl"), timeout=120)
    assert judged.returncode == 1 and judged.stdout == done.stdout


def test_scenarios_lists_the_installed_ones() -> None:
    done = _run("scenarios", timeout=60)
    assert done.returncode == 0
    assert [line.split()[0] for line in done.stdout.splitlines()] == [
        "eventlake", "ip-dedup", "order-aggregator", "outbox-to-queue", "table-to-bus"]


def test_bad_arguments_are_usage_errors_naming_the_argument() -> None:
    done = _run("run", "ip-dedup", "--batch-size", "0")
    assert done.returncode == 2 and "--batch-size" in done.stderr
    done = _run("run", "ip-dedup", "--packets", "10", "--ips", "50")
    assert done.returncode == 2 and "ips" in done.stderr and "Traceback" not in done.stderr


def test_up_prints_the_exports_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    topo = tmp_path / "t.yaml"
    topo.write_text(
        "name: up-test\n"
        "tables:\n  - name: items\n    hash_key: k\n    stream_view_type: NEW_IMAGE\n"
        "functions:\n  - name: fn\n    handler: esm_handlers:record\n"
        "event_source_mappings:\n  - function: fn\n    source: items\n    BatchSize: 10\n")
    proc = subprocess.Popen([*HARNESS, "up", "--topology", str(topo), "--handlers", str(HERE)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    out = []
    for line in proc.stdout:
        out.append(line)
        if line.startswith("  mapping"):
            break
    text = "".join(out)
    assert "export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:" in text
    assert "export AWS_ENDPOINT_URL_DYNAMODB_STREAMS=" in text and "export AWS_REGION=us-east-1" in text
    assert "table items -> sh-items" in text
    env = dict(os.environ)
    env.update(line.removeprefix("export ").strip().split("=", 1) for line in out if line.startswith("export "))
    put = subprocess.run([sys.executable, "-c", "import boto3; boto3.client('dynamodb').put_item("
                          "TableName='sh-items', Item={'k': {'S': 'from-outside'}}); print('ok')"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert put.stdout.strip() == "ok", put.stderr
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 0
    assert "stopping" in proc.stdout.read()


UP_TOPOLOGY = (
    "name: up-live\n"
    "tables:\n  - name: items\n    hash_key: k\n    stream_view_type: NEW_IMAGE\n"
    "functions:\n  - name: good\n    handler: esm_handlers:record\n"
    "  - name: bad\n    handler: esm_handlers:always_fails\n"
    "event_source_mappings:\n  - function: good\n    source: items\n"
    "  - function: bad\n    source: items\n    MaximumRetryAttempts: 0\n")


def _lines_until(stream: Any, done: Callable[[str], bool], timeout: float) -> list[str]:
    """Lines read from ``stream`` until ``done(all text so far)``; a reader thread so a stall cannot hang."""
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in stream:
            lines.append(line)
            if done("".join(lines)):
                found.set()
                return
    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), "".join(lines)[-3000:]
    return lines


def test_up_shows_each_invocation_and_error_as_it_happens_and_streams_the_trace(tmp_path: Path) -> None:
    topo, trace = tmp_path / "t.yaml", tmp_path / "live.jsonl"
    topo.write_text(UP_TOPOLOGY)
    proc = subprocess.Popen([*HARNESS, "up", "--topology", str(topo), "--handlers", str(HERE), "--trace", str(trace)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        out = _lines_until(proc.stdout, lambda text: "running; Ctrl-C to stop" in text, 120)
        env = dict(os.environ)
        env.update(line.removeprefix("export ").strip().split("=", 1) for line in out if line.startswith("export "))
        put = subprocess.run([sys.executable, "-c", "import boto3; boto3.client('dynamodb').put_item("
                              "TableName='sh-items', Item={'k': {'S': 'one'}})"], env=env, timeout=60)
        assert put.returncode == 0
        live = "".join(_lines_until(proc.stdout, lambda t: " ms  ok" in t and "ERROR ValueError" in t and "give up" in t,
                                    30))
        assert re.search(r"good\s+batch of 1\s+[\d.]+ ms  ok", live), live
        assert re.search(r"bad\s+batch of 1\s+[\d.]+ ms  ERROR ValueError: poison", live), live
        assert 'esm_handlers.py", line' in live  # the handler's own traceback, once
        kinds = {json.loads(line)["kind"] for line in trace.read_text().splitlines()}  # written while running
        assert {"invoke", "result", "error", "give_up"} <= kinds
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        rest = proc.stdout.read()
        assert "stopping" in rest and "event source mappings" in rest and f"written to {trace}" in rest
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_handler_typo_is_one_error_line_with_close_matches_before_any_server_starts(tmp_path: Path) -> None:
    topo = tmp_path / "t.yaml"
    topo.write_text(UP_TOPOLOGY.replace("esm_handlers:always_fails", "esm_handlers:alway_fail"))
    env = dict(os.environ, STREAMHARNESS_DYNAMODB_LOCAL_DIR=str(tmp_path / "no-dynamodb-local-here"))
    done = subprocess.run([*HARNESS, "up", "--topology", str(topo), "--handlers", str(HERE)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("Error: function bad: handler 'esm_handlers:alway_fail'")
    assert "did you mean 'always_fails'" in done.stderr and "Traceback" not in done.stderr
    missing = subprocess.run([*HARNESS, "up", "--topology", str(topo)], env=env, capture_output=True, text=True,
                             timeout=60)  # without --handlers the module is not on the path
    assert missing.returncode == 2 and "no module named 'esm_handlers'" in missing.stderr


def test_test_filter_answers_true_or_false_and_rejects_invalid_patterns(tmp_path: Path) -> None:
    record = tmp_path / "r.json"
    record.write_text(json.dumps({"eventName": "MODIFY", "dynamodb": {"NewImage": {"s": {"S": "open"}}}}))
    yes = _run("test-filter", "--pattern", '{"dynamodb": {"NewImage": {"s": {"S": ["open"]}}}}',
               "--record", f"@{record}")
    no = _run("test-filter", "--pattern", '{"Filters": [{"Pattern": "{\\"eventName\\": [\\"INSERT\\"]}"}]}',
              "--record", f"@{record}")
    assert (yes.returncode, yes.stdout.strip()) == (0, "true")
    assert (no.returncode, no.stdout.strip()) == (0, "false")
    bad = _run("test-filter", "--pattern", '{"eventName": [{"nope": 1}]}', "--record", "{}")
    assert bad.returncode == 2 and "nope" in bad.stderr
