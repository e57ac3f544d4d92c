"""The reference pipeline: the fixed one passes everything; each of the article's bugs fails its oracle."""
from __future__ import annotations

import json

import pytest

from streamharness.scenarios.order_aggregator.contract import (ACCOUNT_CHECK, DETAIL_TYPE, FAILED, IN_STOCK, PASSED,
                                                 REJECTED_DETAIL_TYPE)
from streamharness.scenarios.order_aggregator.generator import EPOCH, Order, OrderLine, OrderPlan, Write, generate_orders
from streamharness.scenarios.order_aggregator.oracles import evaluate
from streamharness.scenarios.order_aggregator.reference import AS_PUBLISHED, BUGS, FIXED, Behaviour, record_id, simulate

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


# Batches of 2: [A/AC, B/AC] [B/IS, A/IS] -- A's last check is second in its batch.
INTERLEAVED = _plan(("A", AC, PASSED), ("B", AC, PASSED), ("B", IS, PASSED), ("A", IS, PASSED))
GENERATED = generate_orders(150, seed=21)


def _verdicts(plan: OrderPlan, behaviour: Behaviour, **kwargs: int) -> dict[str, bool]:
    return {c.name: c.passed for c in evaluate(plan, **simulate(plan, behaviour=behaviour, **kwargs).as_kwargs())}


def test_fixed_pipeline_on_a_hand_built_plan() -> None:
    obs = simulate(INTERLEAVED, batch_size=2)
    assert [i["order_id"] for i in obs.invoices] == ["B", "A"]
    assert obs.invoice_times == (("B", 3.5), ("A", 3.5))
    assert obs.records_processed == obs.records_delivered == tuple(record_id(i) for i in range(4))
    sent = [(e["after_write"], json.loads(e["detail"])) for e in obs.aggregated_events]
    assert sent == [(2, {"order_id": "A", "events": {AC: PASSED}}), (2, {"order_id": "B", "events": {AC: PASSED}}),
                    (4, {"order_id": "B", "events": {AC: PASSED, IS: PASSED}}),
                    (4, {"order_id": "A", "events": {AC: PASSED, IS: PASSED}})]
    assert [c["items_read"] for c in obs.api_calls if c["operation"] == "Query"] == [1, 1, 2, 2]
    assert obs.rejected == ()
    assert all(_verdicts(INTERLEAVED, FIXED, batch_size=2).values())


def test_bug_records_first_only() -> None:
    obs = simulate(INTERLEAVED, batch_size=2, behaviour=BUGS["records_first_only"])
    assert obs.records_processed == (record_id(0), record_id(2))
    assert [i["order_id"] for i in obs.invoices] == ["B"]  # A was only ever aggregated with one check
    checks = {c.name: c for c in evaluate(INTERLEAVED, **obs.as_kwargs())}
    assert not checks["records_handled"].passed
    assert checks["records_handled"].actual == {"processed": 2, "unprocessed": 2, "unknown": 0}
    assert not checks["one_invoice_per_eligible_order"].passed
    assert checks["one_invoice_per_eligible_order"].examples[0]["order_id"] == "A"
    assert not checks["aggregated_detail_matches"].passed  # A's last aggregate is stale
    assert checks["cost_bound"].passed and checks["no_invoice_before_both_checks"].passed


def test_bug_scan() -> None:
    obs = simulate(INTERLEAVED, batch_size=2, behaviour=BUGS["scan"])
    assert [c["items_read"] for c in obs.api_calls if c["operation"] == "Scan"] == [2, 2, 4, 4]  # the whole table
    verdicts = _verdicts(INTERLEAVED, BUGS["scan"], batch_size=2)
    assert verdicts.pop("cost_bound") is False
    assert all(verdicts.values())


def test_bug_string_detail() -> None:
    obs = simulate(INTERLEAVED, batch_size=2, behaviour=BUGS["string_detail"])
    assert {e["detail"] for e in obs.aggregated_events} == {"json.dumps(event_status)"}
    assert not any(e["accepted"] for e in obs.aggregated_events)  # MalformedDetail
    assert obs.invoices == ()
    puts = [c for c in obs.api_calls if c["operation"] == "PutEvents"]
    assert all(c["failed"] == c["entries"] for c in puts)
    verdicts = _verdicts(INTERLEAVED, BUGS["string_detail"], batch_size=2)
    assert verdicts == {"one_invoice_per_eligible_order": False, "aggregated_detail_matches": False,
                        "no_invoice_before_both_checks": True, "records_handled": True, "cost_bound": True,
                        "rejections": True, "aggregated_event_count": True}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_bug_fails_on_a_generated_plan(bug: str) -> None:
    verdicts = _verdicts(GENERATED, BUGS[bug], batch_size=10, lag=1)
    failing = {name for name, ok in verdicts.items() if not ok}
    expected = {"records_first_only": {"records_handled", "one_invoice_per_eligible_order"},
                "scan": {"cost_bound"},
                "string_detail": {"aggregated_detail_matches", "one_invoice_per_eligible_order"}}[bug]
    assert expected <= failing
    assert verdicts["aggregated_event_count"] is True
    if bug == "scan":
        assert failing == {"cost_bound"}  # slow, but otherwise right


def test_as_published_fails_everything_it_should() -> None:
    checks = {c.name: c for c in evaluate(GENERATED, **simulate(GENERATED, behaviour=AS_PUBLISHED).as_kwargs())}
    assert "rejections" not in checks  # the article has no failure path
    assert {n for n, c in checks.items() if not c.passed} == {
        "one_invoice_per_eligible_order", "aggregated_detail_matches", "records_handled", "cost_bound"}
    assert checks["one_invoice_per_eligible_order"].actual["invoices"] == 0
    assert checks["aggregated_detail_matches"].actual["invalid_details"] == checks["aggregated_event_count"].actual
    assert checks["cost_bound"].actual["scans"] > 0


def test_fixed_passes_on_a_generated_plan_with_any_batching() -> None:
    for batch_size, lag in ((1, 0), (2, 3), (10, 0), (100, 7), (10_000, 0)):
        assert all(_verdicts(GENERATED, FIXED, batch_size=batch_size, lag=lag).values()), (batch_size, lag)


def test_article_rule_invoices_failed_orders() -> None:
    plan = _plan(("A", AC, PASSED), ("A", IS, FAILED), ("B", AC, PASSED), ("B", IS, PASSED))
    obs = simulate(plan, batch_size=1, behaviour=Behaviour(rule="article"))
    assert "A" in {i["order_id"] for i in obs.invoices}
    checks = {c.name: c for c in evaluate(plan, **obs.as_kwargs())}
    assert not checks["one_invoice_per_eligible_order"].passed
    assert checks["one_invoice_per_eligible_order"].examples[0]["reason"] == "failed check: In Stock"
    assert not checks["no_invoice_before_both_checks"].passed


def test_non_idempotent_invoice_duplicates() -> None:
    # A's duplicate In Stock write re-aggregates a both-PASSED order
    plan = _plan(("A", AC, PASSED), ("A", IS, PASSED), ("A", IS, PASSED))
    obs = simulate(plan, batch_size=1, behaviour=Behaviour(idempotent_invoice=False))
    assert [i["order_id"] for i in obs.invoices] == ["A", "A"]
    check = evaluate(plan, **obs.as_kwargs())[0]
    assert not check.passed and check.actual["duplicated"] == 1
    fixed = simulate(plan, batch_size=1)
    assert [i["order_id"] for i in fixed.invoices] == ["A"]
    assert [c["conditional_check_failed"] for c in fixed.api_calls if c["operation"] == "PutItem"] == [False, True]


def test_rejected_events_and_transient_failures() -> None:
    # B fails In Stock, then passes it: with batch_size 1 it is rejected, then invoiced.
    plan = _plan(("B", AC, PASSED), ("B", IS, FAILED), ("B", IS, PASSED), ("C", AC, FAILED))
    obs = simulate(plan, batch_size=1)
    assert obs.rejected == ("B", "C")
    rejected = [json.loads(e["detail"]) for e in obs.aggregated_events if e["detail_type"] == REJECTED_DETAIL_TYPE]
    assert rejected[0] == {"order_id": "B", "failed_checks": [IS], "events": {AC: PASSED, IS: FAILED}}
    assert [i["order_id"] for i in obs.invoices] == ["B"]
    assert all(c.passed for c in evaluate(plan, **obs.as_kwargs()))
    # with one batch, the table is final before the aggregator reads it: B is never rejected
    assert simulate(plan, batch_size=4).rejected == ("C",)
    assert sum(e["detail_type"] == DETAIL_TYPE for e in obs.aggregated_events) == 4


def test_lag_lets_the_table_move_on() -> None:
    obs = simulate(INTERLEAVED, batch_size=1, lag=2)
    assert [e["after_write"] for e in obs.aggregated_events] == [3, 4, 4, 4]
    assert json.loads(obs.aggregated_events[0]["detail"])["events"] == {AC: PASSED}  # A's In Stock is write 4


def test_argument_validation() -> None:
    with pytest.raises(ValueError, match="batch_size must be an integer between 1 and 10000"):
        simulate(INTERLEAVED, batch_size=0)
    with pytest.raises(ValueError, match="lag must be an integer >= 0"):
        simulate(INTERLEAVED, lag=-1)
    with pytest.raises(ValueError, match="records must be one of"):
        Behaviour(records="some")
    with pytest.raises(ValueError, match="rule must be one of"):
        Behaviour(rule="exists")


def test_observation_round_trips_through_json() -> None:
    obs = simulate(GENERATED, behaviour=AS_PUBLISHED)
    kwargs = json.loads(json.dumps(obs.as_kwargs()))
    again = {c.name: c.to_dict() for c in evaluate(GENERATED, **kwargs)}
    assert again == {c.name: c.to_dict() for c in evaluate(GENERATED, **obs.as_kwargs())}
