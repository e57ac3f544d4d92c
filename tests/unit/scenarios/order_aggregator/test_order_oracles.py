"""Each oracle passes on what a correct pipeline observes and fails on a realistic wrong run."""
from __future__ import annotations

import json

import pytest

from streamharness.scenarios.order_aggregator.contract import (ACCOUNT_CHECK, DETAIL_TYPE, FAILED, IN_STOCK, PASSED,
                                                 REJECTED_DETAIL_TYPE)
from streamharness.scenarios.order_aggregator.generator import EPOCH, Order, OrderLine, OrderPlan, Write
from streamharness.scenarios.order_aggregator.oracles import (after_write_from_times, aggregated_detail_matches,
                                                aggregated_event_count, cost_bound, evaluate,
                                                no_invoice_before_both_checks, one_invoice_per_eligible_order,
                                                records_handled, rejections)
from streamharness.scenarios.order_aggregator.reference import simulate

AC, IS = ACCOUNT_CHECK, IN_STOCK


def _plan(*writes: tuple[str, str, str]) -> OrderPlan:
    ids = list(dict.fromkeys(w[0] for w in writes))
    seen: dict[tuple[str, str], str] = {}
    built = []
    for i, (oid, check, status) in enumerate(writes):
        prev = seen.get((oid, check))
        seen[(oid, check)] = status
        built.append(Write(i, oid, check, status, EPOCH + i,
                           "first" if prev is None else ("duplicate" if prev == status else "recheck")))
    orders = tuple(Order(o, "CUST-1", "Ada Lovelace", "ada@example.com", (OrderLine("SKU-A", "Mug", 1, 999),))
                   for o in ids)
    return OrderPlan(seed=0, orders=orders, writes=tuple(built))


# A: both PASSED (with a duplicate).  B: In Stock FAILED then re-checked PASSED, so eligible.
# C: Account Check FAILED.  D: In Stock never arrives.
PLAN = _plan(
    ("A", AC, PASSED), ("B", IS, FAILED), ("C", AC, FAILED), ("A", IS, PASSED), ("D", AC, PASSED),
    ("B", AC, PASSED), ("C", IS, PASSED), ("A", IS, PASSED), ("B", IS, PASSED),
)


def _agg(oid: str, events: dict[str, str], after: int | None = None, **extra: object) -> dict[str, object]:
    event: dict[str, object] = {"detail_type": DETAIL_TYPE, "detail": json.dumps({"order_id": oid, "events": events})}
    if after is not None:
        event["after_write"] = after
    return event | extra


def test_plan_truth() -> None:
    assert PLAN.eligible_orders() == {"A", "B"}
    assert PLAN.reject_orders() == {"C"}
    assert {o: t.may_reject for o, t in PLAN.truth.items()} == {"A": False, "B": True, "C": True, "D": False}


# ----- one_invoice_per_eligible_order -----------------------------------------------------------

def test_one_invoice_each_passes() -> None:
    check = one_invoice_per_eligible_order(PLAN, ["B", "A"])
    assert check.passed and check.actual == {"invoices": 2, "missing": 0, "duplicated": 0, "spurious": 0}
    assert one_invoice_per_eligible_order(PLAN, [{"order_id": "A", "t": 1.0}, {"order_id": "B"}]).passed


def test_duplicate_invoices_are_counted() -> None:
    check = one_invoice_per_eligible_order(PLAN, ["A", "B", "A"])  # the table would still hold one item per order
    assert not check.passed
    assert check.actual == {"invoices": 3, "missing": 0, "duplicated": 1, "spurious": 0}
    assert check.examples == [{"order_id": "A", "problem": "duplicated", "invoices": 2, "reason": "eligible"}]


def test_missing_invoice() -> None:
    check = one_invoice_per_eligible_order(PLAN, ["A"])
    assert not check.passed and check.actual["missing"] == 1
    assert check.examples[0]["order_id"] == "B" and check.examples[0]["problem"] == "missing"
    assert not one_invoice_per_eligible_order(PLAN, []).passed


@pytest.mark.parametrize(("oid", "reason"), [
    ("C", "failed check: Account Check"),
    ("D", "missing check: In Stock"),
    ("ZZZ", "not an order of the plan"),
])
def test_spurious_invoice(oid: str, reason: str) -> None:
    check = one_invoice_per_eligible_order(PLAN, ["A", "B", oid])
    assert not check.passed and check.actual["spurious"] == 1
    assert check.examples[0]["order_id"] == oid and check.examples[0]["reason"] == reason


# ----- no_invoice_before_both_checks ------------------------------------------------------------

TIMED = PLAN.timed_writes([10.0 + i for i in range(len(PLAN.writes))])  # write i at t = 10 + i


def test_invoice_after_both_checks_passes() -> None:
    check = no_invoice_before_both_checks(TIMED, [("A", 13.0), ("B", 18.5)])
    assert check.passed and check.actual == {"before_both_written": 0, "before_both_passed": 0}


def test_invoice_before_the_second_check_was_written() -> None:
    check = no_invoice_before_both_checks(TIMED, [("A", 12.9)])  # A's In Stock lands at 13
    assert not check.passed and check.actual["before_both_written"] == 1
    assert check.examples[0] == {"order_id": "A", "invoice_t": 12.9, "problem": "before both checks were written",
                                 "missing": [IS]}
    assert not no_invoice_before_both_checks(TIMED, [("A", 1.0)]).passed  # before anything
    assert not no_invoice_before_both_checks(TIMED, [("nobody", 99.0)]).passed


def test_invoice_while_a_check_was_failed() -> None:
    # B: In Stock FAILED at 11, Account Check PASSED at 15, In Stock re-checked PASSED at 18.
    check = no_invoice_before_both_checks(TIMED, [("B", 16.0)])
    assert not check.passed and check.actual == {"before_both_written": 0, "before_both_passed": 1}
    assert check.examples[0]["statuses"] == {AC: PASSED, IS: FAILED}


def test_without_statuses_only_presence_is_judged() -> None:
    rows = [(o, n, t) for o, n, _, t in TIMED]
    assert no_invoice_before_both_checks(rows, [("B", 16.0)]).passed
    assert not no_invoice_before_both_checks(rows, [("A", 12.0)]).passed


def test_tolerance_and_equal_times() -> None:
    assert no_invoice_before_both_checks(TIMED, [("A", 13.0)]).passed  # same instant counts as after
    assert not no_invoice_before_both_checks(TIMED, [("A", 12.99)]).passed
    assert no_invoice_before_both_checks(TIMED, [("A", 12.99)], tolerance=0.05).passed


def test_malformed_write_rows_raise() -> None:
    with pytest.raises(ValueError, match="write 0: expected"):
        no_invoice_before_both_checks([("A", 1.0)], [])


# ----- aggregated_detail_matches ----------------------------------------------------------------

def _correct_events() -> list[dict[str, object]]:
    return [_agg("A", {AC: PASSED}, 1), _agg("B", {IS: FAILED}, 2), _agg("C", {AC: FAILED}, 3),
            _agg("A", {AC: PASSED, IS: PASSED}, 4), _agg("D", {AC: PASSED}, 5),
            _agg("B", {AC: PASSED, IS: FAILED}, 6), _agg("C", {AC: FAILED, IS: PASSED}, 7),
            _agg("A", {AC: PASSED, IS: PASSED}, 8), _agg("B", {AC: PASSED, IS: PASSED}, 9)]


def test_correct_aggregates_pass() -> None:
    check = aggregated_detail_matches(PLAN, _correct_events())
    assert check.passed, check.to_dict()
    assert check.actual == {"invalid_details": 0, "mismatched": 0, "orders_not_final": 0}


def test_detail_as_delivered_object_and_without_times() -> None:
    events = [{"detail-type": DETAIL_TYPE, "detail": {"order_id": o, "events": PLAN.final_events(o)}}
              for o in "ABCD"]
    assert aggregated_detail_matches(PLAN, events).passed
    entries = [{"DetailType": DETAIL_TYPE, "Detail": json.dumps({"order_id": o, "events": PLAN.final_events(o)})}
               for o in "ABCD"]
    assert aggregated_detail_matches(PLAN, entries).passed


def test_the_articles_string_detail_is_invalid() -> None:
    events = [{"detail_type": DETAIL_TYPE, "detail": "json.dumps(event_status)", "accepted": False}] * 4
    check = aggregated_detail_matches(PLAN, events)
    assert not check.passed
    assert check.actual == {"invalid_details": 4, "mismatched": 0, "orders_not_final": 4}
    assert check.examples[0]["detail"] == "json.dumps(event_status)"
    assert check.examples[0]["problem"].startswith("not JSON")
    assert {e["problem"] for e in check.examples if "order_id" in e} == {"never aggregated"}


@pytest.mark.parametrize(("detail", "why"), [
    (json.dumps(json.dumps({"order_id": "A", "events": {}})), "JSON str, not an object"),  # double-encoded
    ("[1, 2]", "JSON list, not an object"),
    (json.dumps({"events": {AC: PASSED}}), "no string 'order_id'"),
    (json.dumps({"order_id": "A", "events": [AC]}), "no 'events' object"),
    (json.dumps({"order_id": "A", "events": {AC: True}}), "'events' values must be status strings"),
    (None, "JSON NoneType, not an object"),
])
def test_other_invalid_details(detail: object, why: str) -> None:
    check = aggregated_detail_matches(PLAN, _correct_events() + [{"detail": detail}])
    assert not check.passed and check.actual["invalid_details"] == 1
    assert check.examples[0]["problem"] == why


def test_events_the_order_never_had() -> None:
    events = _correct_events() + [_agg("C", {AC: PASSED, IS: PASSED}, 9)]  # C's Account Check FAILED
    check = aggregated_detail_matches(PLAN, events)
    assert not check.passed and check.actual["mismatched"] == 1
    assert check.examples[0]["problem"] == "events the order never had by then"


def test_events_from_the_future_are_a_mismatch() -> None:
    # A's both-PASSED state exists only once 4 writes completed; sent after 2 it cannot be known
    events = _correct_events() + [_agg("A", {AC: PASSED, IS: PASSED}, 2)]
    check = aggregated_detail_matches(PLAN, events)
    assert not check.passed and check.actual["mismatched"] == 1
    assert check.examples[0]["states_by_then"] == [{AC: PASSED}]


def test_unknown_order_and_extra_keys() -> None:
    assert aggregated_detail_matches(PLAN, _correct_events() + [_agg("ZZZ", {AC: PASSED})]).actual["mismatched"] == 1
    extra = [{"detail": json.dumps({"order_id": o, "events": PLAN.final_events(o), "version": 2})} for o in "ABCD"]
    assert aggregated_detail_matches(PLAN, extra).passed


def test_stale_last_aggregate_fails() -> None:
    # Records[0]-only: B's last aggregation saw In Stock still FAILED
    events = [e for e in _correct_events() if e["after_write"] != 9]
    check = aggregated_detail_matches(PLAN, events)
    assert not check.passed and check.actual == {"invalid_details": 0, "mismatched": 0, "orders_not_final": 1}
    assert check.examples == [{"order_id": "B", "problem": "stale", "latest": {AC: PASSED, IS: FAILED},
                               "final": {AC: PASSED, IS: PASSED}}]


def test_missing_key_is_not_the_final_state() -> None:
    events = _correct_events() + [_agg("D", {AC: PASSED, IS: PASSED}, 9)]
    assert not aggregated_detail_matches(PLAN, events).passed  # D never had In Stock
    events = _correct_events()[:-1] + [_agg("B", {AC: PASSED}, 9)]  # a state B never had: mismatch
    assert aggregated_detail_matches(PLAN, events).actual["mismatched"] == 1


def test_rejected_entries_are_judged_but_do_not_count_as_delivered() -> None:
    events = _correct_events()
    events[-1] = events[-1] | {"accepted": False}  # e.g. throttled and never retried
    check = aggregated_detail_matches(PLAN, events)
    assert not check.passed and check.actual == {"invalid_details": 0, "mismatched": 0, "orders_not_final": 1}


def test_other_detail_types_are_ignored() -> None:
    rejected = {"detail_type": REJECTED_DETAIL_TYPE, "detail": json.dumps({"order_id": "C", "failed_checks": [AC]})}
    assert aggregated_detail_matches(PLAN, _correct_events() + [rejected]).passed


def test_after_write_from_times() -> None:
    times = [3.0, 1.0, 2.0]
    assert [after_write_from_times(times, t) for t in (0.5, 1.0, 2.5, 9.0)] == [0, 1, 2, 3]


# ----- aggregated_event_count -------------------------------------------------------------------

def test_count_is_informational() -> None:
    events = _correct_events() + [{"detail_type": REJECTED_DETAIL_TYPE, "detail": "{}"},
                                  {"detail_type": DETAIL_TYPE, "detail": "json.dumps(event_status)", "accepted": False}]
    check = aggregated_event_count(events)
    assert check.passed and check.expected is None and check.actual == 10
    assert "9 accepted" in check.detail and "for 4 orders" in check.detail
    assert check.examples == [{"detail_type": DETAIL_TYPE, "count": 10},
                              {"detail_type": REJECTED_DETAIL_TYPE, "count": 1}]
    assert aggregated_event_count([]).passed and aggregated_event_count([]).actual == 0


# ----- records_handled --------------------------------------------------------------------------

def test_records_handled_by_id() -> None:
    ids = [f"r{i}" for i in range(5)]
    assert records_handled(ids, list(reversed(ids))).passed
    assert records_handled(ids + ids[:2], ids).passed  # a retried batch delivers the same records again
    first_only = records_handled(ids, ids[:1])
    assert not first_only.passed
    assert first_only.actual == {"processed": 1, "unprocessed": 4, "unknown": 0}
    assert first_only.examples[0] == {"record": "r1", "problem": "delivered, never processed"}
    ghost = records_handled(ids, ids + ["x"])
    assert not ghost.passed and ghost.actual["unknown"] == 1


def test_records_handled_by_count() -> None:
    assert records_handled(7, 7).passed
    check = records_handled(7, 3)
    assert not check.passed and (check.expected, check.actual) == ({"processed": 7}, {"processed": 3})
    assert records_handled(3, ["a", "b", "c"]).passed
    with pytest.raises(TypeError):
        records_handled(True, 1)


# ----- cost_bound -------------------------------------------------------------------------------

def _call(op: str, items: int, **extra: object) -> dict[str, object]:
    return {"service": "dynamodb", "operation": op, "table": "events", "items_read": items, "request_id": "r"} | extra


def test_queries_within_bound_pass() -> None:
    calls = [_call("Query", 2), _call("Query", 1), _call("PutItem", 0, table="invoices"),
             {"service": "events", "operation": "PutEvents", "entries": 3}]
    check = cost_bound(calls, 2, 2)
    assert check.passed and check.actual == {"scans": 0, "items_read": 3}
    assert "Query x2" in check.detail and "PutEvents" not in check.detail


def test_a_scan_fails_even_on_a_small_table() -> None:
    check = cost_bound([_call("Scan", 2, request_id="req-1")], 1, 2)
    assert not check.passed and check.actual == {"scans": 1, "items_read": 2}
    assert check.examples[0] == {"problem": "Scan", "table": "events", "items_read": 2, "request_id": "req-1"}
    assert cost_bound([_call("Scan", 2)], 1, 2, allow_scan=True).passed


def test_whole_table_scans_blow_the_bound() -> None:
    calls = [_call("Scan", n) for n in (10, 400, 50)]
    check = cost_bound(calls, 3, 2, allow_scan=True)
    assert not check.passed and check.actual["items_read"] == 460
    assert check.examples[0]["items_read"] == 400  # worst first


def test_items_read_fallbacks_and_filters() -> None:
    calls = [{"operation": "Query", "ScannedCount": 3}, {"operation": "GetItem", "count": 1},
             _call("Query", 50, function="report")]
    check = cost_bound(calls, 2, 2, function="aggregator")
    assert check.passed and check.actual["items_read"] == 4
    assert not cost_bound(calls, 2, 2).passed
    assert cost_bound(calls, ["a", "b", "b"], 2, function="aggregator").passed  # ids: 2 distinct records


def test_no_records_means_no_reads() -> None:
    assert cost_bound([], 0, 2).passed
    assert not cost_bound([_call("Query", 1)], 0, 2).passed
    with pytest.raises(ValueError, match="max_items_read_per_record must be >= 0"):
        cost_bound([], 1, -1)


# ----- rejections -------------------------------------------------------------------------------

def test_rejections() -> None:
    assert rejections(PLAN, ["C"]).passed
    assert rejections(PLAN, ["C", "B", "C"]).passed  # B had a FAILED In Stock for a while
    missing = rejections(PLAN, [])
    assert not missing.passed and missing.examples[0]["order_id"] == "C"
    spurious = rejections(PLAN, ["C", "A"])
    assert not spurious.passed
    assert spurious.examples == [{"order_id": "A", "problem": "rejected without a FAILED check"}]


# ----- evaluate ---------------------------------------------------------------------------------

def test_evaluate_names_and_order() -> None:
    obs = simulate(PLAN, batch_size=2)
    checks = evaluate(PLAN, **obs.as_kwargs())
    assert [c.name for c in checks] == ["one_invoice_per_eligible_order", "aggregated_detail_matches",
                                        "no_invoice_before_both_checks", "records_handled", "cost_bound",
                                        "rejections", "aggregated_event_count"]
    assert all(c.passed for c in checks), [c.to_dict() for c in checks if not c.passed]
    kwargs = obs.as_kwargs() | {"rejected": None, "write_times": PLAN.timed_writes(obs.write_times)}
    assert "rejections" not in [c.name for c in evaluate(PLAN, **kwargs)]
    for check in checks:
        json.dumps(check.to_dict())
