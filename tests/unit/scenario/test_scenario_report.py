"""The report's one JSON form reads back into an equal report, and keeps the flat layout readers know."""
from __future__ import annotations

import json

import pytest

from harness.oracles import Check
from harness.scenario import Report, api_call_table


def _report(**kw: object) -> Report:
    values: dict = dict(scenario="s", variant="v", backend="embedded", seed=7,
                        checks=(Check("a", True, 1, 1, "ok"), Check("b", False, {"x": 0}, {"x": 2}, "bad", [{"x": 2}])),
                        summary={"packets": 10, "stream_records": {"INSERT": 3}}, timings={"run_s": 1.5},
                        mapping_stats={"seen": 3}, warnings=("careful",))
    values.update(kw)
    return Report(**values)


def test_the_verdict_is_every_check_passing() -> None:
    assert not _report().passed and [c.name for c in _report().failed] == ["b"]
    assert _report(checks=(Check("a", True, 1, 1),)).passed


def test_json_form_is_flat_in_the_known_order_and_reads_back_equal() -> None:
    data = json.loads(json.dumps(_report().to_dict()))
    assert list(data) == ["scenario", "variant", "backend", "seed", "packets", "stream_records", "mapping_stats",
                          "passed", "checks_detail", "timings", "warnings"]
    assert data["passed"] is False and data["checks_detail"][1]["examples"] == [{"x": 2}]
    assert Report.from_dict(data) == _report()


def test_summary_keys_cannot_shadow_the_reports_fields() -> None:
    with pytest.raises(ValueError, match="collide"):
        _report(summary={"passed": True})


def test_check_lookup_names_the_known_checks() -> None:
    assert _report().check("b").actual == {"x": 2}
    with pytest.raises(KeyError, match="checks: a, b"):
        _report().check("c")


def test_api_call_table_sums_per_function_and_operation() -> None:
    calls = [{"function": "f", "service": "dynamodb", "operation": "Scan", "items_read": 2, "items_scanned": 9},
             {"function": "f", "service": "dynamodb", "operation": "Scan", "items_read": 1, "items_scanned": None},
             {"function": "g", "service": "sqs", "operation": "SendMessage"}]
    assert api_call_table(calls) == {
        "f: dynamodb.Scan": {"calls": 2, "items_read": 3, "items_scanned": 9, "items_written": 0},
        "g: sqs.SendMessage": {"calls": 1, "items_read": 0, "items_scanned": 0, "items_written": 0}}
