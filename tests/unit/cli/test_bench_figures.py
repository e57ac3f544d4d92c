"""``harness bench``'s pure parts: goals and verdicts, ratios, where scaling saturates, --only, the table and
bench.json's schema, and how ``harness load``'s JSON is read."""
from __future__ import annotations

import json

import pytest
from rich.console import Console

from harness.cli.bench.figures import (ERROR, FAIL, NO_GOAL, PASS, SCHEMA, Figure, Goal, missing, notes,
                                       parse_sections, ratio, saturation, table, to_json)
from harness.cli.bench.loads import MeasurementFailed, read_load_json
from harness.cli.bench.machine import busy_fraction


def _fig(value: object, goal: Goal | None = None, backend: str = "embedded", key: str = "k") -> Figure:
    return Figure(2, key, "a figure", backend, value, "events/s", goal)


@pytest.mark.parametrize(("value", "goal", "verdict"), [
    (0.81, Goal(">=", 0.8), PASS), (0.8, Goal(">=", 0.8), PASS), (0.79, Goal(">=", 0.8), FAIL),
    (99.9, Goal("<", 100), PASS), (100, Goal("<", 100), FAIL), (True, Goal("==", True), PASS),
    (False, Goal("==", True), FAIL), (12.0, None, NO_GOAL), (None, Goal("<", 1.0), ERROR), (None, None, ERROR),
])
def test_a_figure_is_judged_by_its_goal(value: object, goal: Goal | None, verdict: str) -> None:
    assert _fig(value, goal).verdict == verdict


def test_a_goal_with_an_unknown_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="'=>'"):
        Goal("=>", 1)


def test_ratio_is_rounded_and_none_without_both_sides() -> None:
    assert ratio(674, 839) == 0.803
    assert ratio(1, 3, digits=2) == 0.33
    assert ratio(None, 5) is None and ratio(5, None) is None and ratio(5, 0) is None


def test_saturation_is_the_worker_count_after_which_a_step_gains_less_than_ten_percent() -> None:
    assert saturation({1: 300.0, 2: 500.0, 4: 520.0}) == 2
    assert saturation({1: 300.0, 2: 310.0, 4: 600.0}) == 1
    assert saturation({4: 520.0, 1: 300.0, 2: 500.0}) == 2  # order of measurement does not matter
    assert saturation({1: 300.0, 2: 600.0, 4: 1200.0}) is None
    assert saturation({1: 300.0, 2: None, 4: 320.0}) == 1  # a run that failed is left out
    assert saturation({1: 300.0}) is None and saturation({}) is None


def test_only_takes_section_numbers_and_names_the_sections_when_wrong() -> None:
    assert parse_sections("6,1,3") == [1, 3, 6]
    assert parse_sections("2, 2") == [2]
    assert parse_sections(None) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match=r"'7' is not a section.*--compare localstack"):
        parse_sections("1,7")
    with pytest.raises(ValueError, match="'x'"):
        parse_sections("x")


def test_the_table_puts_backends_side_by_side_with_the_goal_and_each_verdict() -> None:
    figures = [_fig(600.0, Goal(">=", 500), "embedded", "rate"), _fig(100.0, Goal(">=", 500), "localstack", "rate"),
               missing(4, "cold", "cold start", "embedded", "the process died", "s", Goal("<", 1.0))]
    console = Console(record=True, width=200)
    console.print(table(figures))
    text = console.export_text()
    header = next(line for line in text.splitlines() if "figure" in line)
    assert header.index("embedded") < header.index("localstack") < header.index("goal") < header.index("verdict")
    row = next(line for line in text.splitlines() if "a figure" in line)
    assert "600.0 events/s" in row and "100.0 events/s" in row and ">= 500" in row
    assert "embedded:pass localstack:fail" in row
    assert "embedded:error" in next(line for line in text.splitlines() if "cold start" in line)
    assert notes(figures) == ["embedded cold: could not be measured: the process died"]


def test_bench_json_has_every_figure_with_goal_and_verdict_and_the_values_per_backend() -> None:
    figures = [_fig(0.9, Goal(">=", 0.8), key="e2e_ratio_to_ceiling"), _fig(12.5, key="latency_p50_ms"),
               _fig(0.3, Goal(">=", 0.8), "localstack", "e2e_ratio_to_ceiling"),
               missing(6, "sqs_ratio", "SQS / accepted", "embedded", "timed out", goal=Goal(">=", 0.5))]
    doc = to_json(figures, machine={"cpus": 2}, settings={"quick": True}, duration_s=12.345)
    assert json.loads(json.dumps(doc)) == doc  # plain JSON
    assert set(doc) == {"schema", "machine", "settings", "duration_s", "goals", "values", "figures"}
    assert doc["schema"] == SCHEMA and doc["duration_s"] == 12.3
    assert doc["goals"] == {"passed": 1, "failed": 1, "not_measured": 1}
    assert doc["values"] == {"embedded": {"e2e_ratio_to_ceiling": 0.9, "latency_p50_ms": 12.5, "sqs_ratio": None},
                             "localstack": {"e2e_ratio_to_ceiling": 0.3}}
    first = doc["figures"][0]
    assert set(first) == {"section", "key", "label", "backend", "value", "unit", "goal", "verdict", "detail", "error"}
    assert first["goal"] == {"op": ">=", "bound": 0.8} and first["verdict"] == PASS
    assert doc["figures"][1]["goal"] is None and doc["figures"][1]["verdict"] == NO_GOAL
    assert doc["figures"][3]["verdict"] == ERROR and doc["figures"][3]["error"] == "timed out"


def test_harness_loads_json_is_read_for_rate_verdict_latency_and_failed_checks() -> None:
    doc = {"passed": False, "timings": {"events_per_s": 412.5, "end_to_end_s": 21.0, "startup_s": 2.5,
                                        "latency_ms": {"p50": 4.0, "p95": 9.0, "p99": 30.0}},
           "load": {"succeeded": 8662}, "checks_detail": [{"name": "alerts", "passed": True},
                                                          {"name": "table_empty", "passed": False}]}
    run = read_load_json(doc, workers=2, backend="embedded", cpu=0.97)
    assert (run.events_per_s, run.passed, run.accepted, run.cpu_busy) == (412.5, False, 8662, 0.97)
    assert run.latency_ms["p99"] == 30.0 and run.failed_checks == ["table_empty"]
    with pytest.raises(MeasurementFailed, match=r"no timings.events_per_s \(keys: passed, load\)"):
        read_load_json({"passed": True, "load": {}}, workers=1, backend="embedded")


def test_busy_fraction_is_busy_time_over_all_time_between_two_readings() -> None:
    assert busy_fraction((100, 400), (250, 600)) == 0.75
    assert busy_fraction(None, (1, 2)) is None and busy_fraction((5, 10), (5, 10)) is None
