"""The order-aggregator scenario end to end: what the fixed pipeline did, and the article's aggregator
failing on each of its bugs at once (the bug table's test runs each bug alone); each run's trace file
alone gives the same report again (``harness judge``)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from judged_runs import run_and_judge, shared_run

from harness.backends import EmbeddedBackend
from streamharness.scenarios.order_aggregator.scenario import OrderAggregator, OrderAggregatorConfig


@pytest.fixture(scope="module")
def as_published(backend: EmbeddedBackend, tmp_path_factory: pytest.TempPathFactory) -> dict:
    config = OrderAggregatorConfig(orders=40, seed=5, variant="as_published")
    return run_and_judge(backend, OrderAggregator(), config, tmp_path_factory.mktemp("traces")).to_dict()


def _check(report: dict, name: str) -> dict:
    return next(c for c in report["checks_detail"] if c["name"] == name)


def test_the_fixed_pipeline_invoices_each_eligible_order_with_queries(backend: EmbeddedBackend) -> None:
    report = shared_run(backend, OrderAggregator())[0].to_dict()
    assert report["invoices"] == report["eligible"] > 0
    assert report["records_processed"] == report["records_delivered"] > 0
    assert {c["name"] for c in report["checks_detail"]} >= {"rejections", "cost_bound", "records_handled"}
    assert "aggregator: dynamodb.Query" in report["api_calls"] and not any("Scan" in k for k in report["api_calls"])
    assert report["mapping_stats"]["in_flight"] == 0


def test_reading_only_records_0_fails_records_handled(as_published: dict) -> None:
    check = _check(as_published, "records_handled")
    assert not check["passed"] and check["actual"]["unprocessed"] > 0


def test_the_scan_fails_the_cost_bound(as_published: dict) -> None:
    check = _check(as_published, "cost_bound")
    assert not check["passed"] and check["actual"]["scans"] > 0
    scan = as_published["api_calls"]["aggregator: dynamodb.Scan"]
    assert scan["items_scanned"] > scan["items_read"]  # the filter hides what the Scan paid for


def test_the_string_detail_fails_the_detail_check_and_every_invoice(as_published: dict) -> None:
    detail = _check(as_published, "aggregated_detail_matches")
    assert not detail["passed"] and detail["actual"]["invalid_details"] > 0
    assert as_published["aggregated_events_rejected_by_bus"] == as_published["aggregated_events"] > 0
    invoices = _check(as_published, "one_invoice_per_eligible_order")
    assert not invoices["passed"] and invoices["actual"]["invoices"] == 0 and invoices["actual"]["missing"] > 0


def test_cli_exit_codes_follow_the_verdict_and_judge_prints_the_same_report(tmp_path: Path) -> None:
    out, trace, again = tmp_path / "r.json", tmp_path / "t.jsonl", tmp_path / "j.json"
    harness = [sys.executable, "-m", "harness.cli"]
    done = subprocess.run([*harness, "run", "order-aggregator", "--orders", "20", "--variant", "as_published",
                           "--json", str(out), "--trace", str(trace)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 1, done.stderr
    assert "AWS calls made by the functions" in done.stdout
    report = json.loads(out.read_text())
    assert report["scenario"] == "order-aggregator" and report["passed"] is False
    assert set(report["timings"]) >= {"startup_s", "run_s"}
    judged = subprocess.run([*harness, "judge", str(trace), "--json", str(again)], capture_output=True, text=True,
                            timeout=120)
    assert judged.returncode == 1, judged.stderr
    assert judged.stdout == done.stdout
    assert json.loads(again.read_text()) == report
