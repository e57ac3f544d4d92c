"""Reports that survive CI logs: nothing cut in a narrow non-terminal, each failed check's likely causes,
and the accounting check every scenario report carries, passing or failing, in terminal and JSON."""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from rich.console import Console

from harness.cli.report import render
from harness.oracles import check_equal
from harness.oracles.accounting import accounting_check
from harness.scenario import Report, observe
from harness.scenario.driver import evaluate
from scenarios.ip_dedup.scenario import IpDedup
from scenarios.order_aggregator.scenario import OrderAggregator

sys.path.insert(0, str(Path(__file__).parents[1] / "scenario"))  # toy_scenario, a user's scenario
from toy_scenario import Toy, ToyConfig, toy_trace  # noqa: E402

LONG = [f"10.0.{i}.{i}" for i in range(40)]


def _ci_log(report: Report, width: int = 80) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=False)
    assert not console.is_terminal
    render(report, console)
    return out.getvalue()


def _report(*checks: object) -> Report:
    return Report(scenario="s", variant="v", backend="embedded", seed=1, checks=tuple(checks))  # type: ignore[arg-type]


def test_a_narrow_non_terminal_log_has_every_expected_and_actual_value_in_full() -> None:
    check = check_equal("alerts", LONG, LONG[:-1], detail="1 missing")
    log = _ci_log(_report(check))
    assert json.dumps(LONG) in log and json.dumps(LONG[:-1]) in log, log
    assert "s: FAILED" in log


def test_a_failed_check_names_its_likely_causes_in_terminal_and_json() -> None:
    failed = check_equal("records_handled", 10, 1)
    passed = check_equal("cost_bound", 0, 0)
    report = _report(failed, passed).explained(OrderAggregator.causes)
    log = _ci_log(report)
    assert "likely cause: the handler processed fewer records than it was given, e.g. it reads only Records[0]" \
        in log, log
    assert log.count("likely cause:") == len(OrderAggregator.causes["records_handled"])  # not under a passing check
    detail = {c["name"]: c for c in report.to_dict()["checks_detail"]}
    assert detail["records_handled"]["causes"] == list(OrderAggregator.causes["records_handled"])
    assert detail["cost_bound"]["causes"] == []
    assert Report.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_the_scenarios_causes_name_their_own_checks() -> None:
    assert "later packets of an IP are MODIFYs" in " ".join(IpDedup.causes["dedup_count"])
    assert set(IpDedup.causes) == {"insert_only", "dedup_count", "per_ip_alternation", "alerts", "table_empty"}
    assert set(OrderAggregator.causes) == {"one_invoice_per_eligible_order", "aggregated_detail_matches",
                                           "no_invoice_before_both_checks", "records_handled", "cost_bound",
                                           "rejections"}


STATS = {"seen": 5, "succeeded": 3, "filtered": 2, "given_up": 0, "dropped": 0, "batches": 2, "in_flight": 0}
TARGET = {"accepted": 4, "succeeded": 3, "dead_lettered": 1, "dropped": 0}


def _judged(mapping_stats: dict[str, dict[str, int]], target_stats: dict[str, dict[str, int]]) -> Report:
    config = ToyConfig()
    trace = toy_trace(config)
    observe(trace, "mapping_stats", mapping_stats)
    observe(trace, "target_stats", target_stats)
    return evaluate(Toy(), trace, config, Toy().generate(config))


def test_every_scenario_report_carries_a_passing_accounting_check_with_the_numbers() -> None:
    report = _judged({"m": STATS}, {"r -> t": TARGET})
    check = report.check("accounting")
    assert check.passed and report.passed
    assert check.actual == {"mapping m": {"seen": 5, "succeeded": 3, "filtered": 2, "given_up": 0, "dropped": 0},
                            "target r -> t": {"accepted": 4, "delivered": 3, "dead_lettered": 1, "dropped": 0}}


def test_an_unbalanced_mapping_or_target_fails_the_report_naming_the_numbers() -> None:
    report = _judged({"m": {**STATS, "seen": 6}}, {"r -> t": {**TARGET, "accepted": 5}})
    check = report.check("accounting")
    assert not check.passed and not report.passed
    assert "mapping m: seen 6 != succeeded 3 + filtered 2 + given_up 0 + dropped 0" in check.detail
    assert "target r -> t: accepted 5 != delivered 3 + dead-lettered 1 + dropped 0" in check.detail
    assert check.causes and "in flight" in check.causes[0]
    assert "likely cause: the run ended before drain() returned" in _ci_log(report)


def test_the_accounting_check_alone() -> None:
    assert accounting_check({}).passed
    assert not accounting_check({"m": {**STATS, "filtered": 1}}).passed
