"""Live-mode oracles of order-aggregator (Locust writes while the pipeline runs): the ground truth is
rebuilt from the stream, then fed hand-written right and wrong answers."""
from __future__ import annotations

import json
from typing import Any

from streamharness.scenarios.order_aggregator.contract import ACCOUNT_CHECK, DETAIL_TYPE, FAILED, IN_STOCK, PASSED
from streamharness.scenarios.order_aggregator.live import evaluate_live, stream_writes

A, B = ACCOUNT_CHECK, IN_STOCK
# O1: both PASSED -> invoiced; O2: A FAILED -> rejected, never invoiced; O3: A FAILED, re-checked PASSED, B PASSED
WRITES = [("O1", A, PASSED, 1.0), ("O2", A, FAILED, 1.05), ("O3", A, FAILED, 1.1), ("O3", A, PASSED, 1.2),
          ("O1", B, PASSED, 2.0), ("O3", B, PASSED, 1.3), ("O2", B, PASSED, 2.5)]


def _records(writes: list[tuple[str, str, str, float | None]]) -> list[dict[str, Any]]:
    out, seen = [], set()
    for n, (oid, check, status, sent) in enumerate(writes):
        image = {"order_id": {"S": oid}, "event_name": {"S": check}, "status": {"S": status}}
        if sent is not None:
            image["sent_at"] = {"N": repr(sent)}
        out.append({"eventID": f"e{n}", "eventName": "MODIFY" if (oid, check) in seen else "INSERT",
                    "dynamodb": {"SequenceNumber": str(100 + n), "NewImage": image}})
        seen.add((oid, check))
    return out


def _aggregated(oid: str, events: dict[str, str]) -> dict[str, Any]:
    return {"detail": json.dumps({"order_id": oid, "events": events}), "detail_type": DETAIL_TYPE, "accepted": True}


RECORDS = _records(WRITES)
IDS = [r["eventID"] for r in RECORDS]
GOOD: dict[str, Any] = dict(
    invoices=["O1", "O3"], invoice_times=[("O3", 1.4), ("O1", 2.1)],
    aggregated_events=[_aggregated("O1", {A: PASSED}), _aggregated("O2", {A: FAILED}),
                       _aggregated("O3", {A: PASSED, B: PASSED}), _aggregated("O1", {A: PASSED, B: PASSED}),
                       _aggregated("O2", {A: FAILED, B: PASSED})],
    rejected=["O2", "O3"], records_delivered=IDS, records_processed=IDS,
    api_calls=[{"service": "dynamodb", "operation": "Query", "items_read": 2}] * 5,
    table_items={("O1", A): PASSED, ("O1", B): PASSED, ("O2", A): FAILED, ("O2", B): PASSED, ("O3", A): PASSED,
                 ("O3", B): PASSED},
    change_records=7, writes_ok=7, writes_failed=0)


def _failed(records: list[dict[str, Any]] = RECORDS, **changes: Any) -> list[str]:
    return [c.name for c in evaluate_live(stream_writes(records), **{**GOOD, **changes}) if not c.passed]


def test_a_right_live_run_passes_and_judges_every_check() -> None:
    checks = evaluate_live(stream_writes(RECORDS), **GOOD)
    assert [c.name for c in checks if not c.passed] == []
    assert {"one_invoice_per_eligible_order", "aggregated_detail_matches", "no_invoice_before_both_checks",
            "records_handled", "cost_bound", "rejections", "table_matches_stream", "writes_accounted"} <= \
        {c.name for c in checks}


def test_the_stream_is_read_once_in_sequence_order() -> None:
    retried = list(reversed(RECORDS)) + RECORDS[:3]  # a retried batch delivers its records again
    assert stream_writes(retried) == stream_writes(RECORDS)
    assert _failed(retried) == []


def test_each_wrong_answer_fails_its_own_check() -> None:
    assert _failed(invoices=["O1", "O1", "O3"]) == ["one_invoice_per_eligible_order"]  # a second invoice
    assert _failed(invoices=["O1"], invoice_times=[("O1", 2.1)]) == ["one_invoice_per_eligible_order"]
    assert _failed(invoice_times=[("O3", 1.4), ("O1", 1.5)]) == ["no_invoice_before_both_checks"]  # before B sent
    stale = GOOD["aggregated_events"][:3] + GOOD["aggregated_events"][4:]  # O1 never aggregated in its final state
    assert _failed(aggregated_events=stale) == ["aggregated_detail_matches"]
    assert _failed(records_processed=IDS[:-1]) == ["records_handled"]
    assert _failed(api_calls=[{"service": "dynamodb", "operation": "Scan", "items_read": 7}]) == ["cost_bound"]
    assert _failed(rejected=["O3"]) == ["rejections"]  # O2 ends FAILED: must be rejected
    assert _failed(table_items={**GOOD["table_items"], ("O2", A): PASSED}) == ["table_matches_stream"]
    lost = dict(GOOD["table_items"])
    del lost[("O1", B)]
    assert _failed(table_items=lost) == ["table_matches_stream"]
    assert _failed(writes_ok=8) == ["writes_accounted"]  # an accepted write the stream never saw
    assert _failed(writes_ok=6, writes_failed=1) == []  # a failed call may have been applied


def test_a_record_lost_before_the_aggregator_fails_the_accounting_and_the_table() -> None:
    kept = RECORDS[:4] + RECORDS[5:]  # O1's In Stock write applied, its record never delivered
    ids = [r["eventID"] for r in kept]
    failed = _failed(kept, change_records=6, records_delivered=ids, records_processed=ids,
                     aggregated_events=GOOD["aggregated_events"][:3] + GOOD["aggregated_events"][4:],
                     invoices=["O3"], invoice_times=[("O3", 1.4)])
    assert failed == ["table_matches_stream", "writes_accounted"]


def test_writes_that_break_the_plans_contract_or_carry_no_time_are_named() -> None:
    broken = _records(WRITES + [("O1", A, FAILED, 3.0)])  # FAILED after both PASSED: two writers on one order
    assert _failed(broken, change_records=8, writes_ok=8) == ["stream_is_an_order_plan"]
    untimed = _records([(oid, c, s, None) for oid, c, s, _ in WRITES])
    assert "writes_carry_sent_at" in _failed(untimed)
