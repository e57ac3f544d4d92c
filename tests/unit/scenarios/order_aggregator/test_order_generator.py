"""The order plan: deterministic, every kind of write present, and honest about its ground truth."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from streamharness.scenarios.order_aggregator.contract import ACCOUNT_CHECK, CHECKS, FAILED, IN_STOCK, PASSED
from streamharness.scenarios.order_aggregator.generator import EPOCH, Order, OrderLine, OrderPlan, Write, generate_orders

AC, IS = ACCOUNT_CHECK, IN_STOCK


def _order(oid: str) -> Order:
    return Order(oid, "CUST-1", "Ada Lovelace", "ada@example.com", (OrderLine("SKU-A", "Mug", 2, 1299),))


def _plan(*writes: tuple[str, str, str]) -> OrderPlan:
    """Writes as ``(order_id, check, status)``; kinds are derived like the generator does."""
    ids = list(dict.fromkeys(w[0] for w in writes))
    seen: dict[tuple[str, str], str] = {}
    built = []
    for i, (oid, check, status) in enumerate(writes):
        prev = seen.get((oid, check))
        kind = "first" if prev is None else ("duplicate" if prev == status else "recheck")
        seen[(oid, check)] = status
        built.append(Write(i, oid, check, status, EPOCH + i, kind))
    return OrderPlan(seed=0, orders=tuple(_order(o) for o in ids), writes=tuple(built))


def test_same_seed_same_plan_different_seed_different() -> None:
    a, b, c = generate_orders(60, seed=11), generate_orders(60, seed=11), generate_orders(60, seed=12)
    assert a == b and a.writes == b.writes and a.orders == b.orders
    assert a != c and a.writes != c.writes


def test_does_not_touch_global_random_state() -> None:
    random.seed(99)
    before = random.getstate()
    generate_orders(50, seed=1)
    assert random.getstate() == before


def test_every_kind_of_write_shows_up() -> None:
    plan = generate_orders(400, seed=3)
    s = plan.summary()
    assert s["orders"] == 400 and s["writes"] == len(plan.writes) > 400
    assert s["eligible"] and s["must_reject"] and s["missing_check"] and s["duplicates"] and s["rechecks"] and s["late"]
    kinds = Counter(w.kind for w in plan.writes)
    assert kinds["duplicate"] == s["duplicates"] and kinds["recheck"] == s["rechecks"]
    flips = Counter((prev, w.status) for w, prev in _previous_status(plan) if w.kind == "recheck")
    assert flips[(FAILED, PASSED)] and flips[(PASSED, FAILED)]  # re-checks both ways
    first_checks = Counter(next(w.event_name for w in plan.writes if w.order_id == o.order_id) for o in plan.orders)
    assert first_checks[AC] > 100 and first_checks[IS] > 100  # random order of the two sources


def _previous_status(plan: OrderPlan) -> list[tuple[Write, str | None]]:
    last: dict[tuple[str, str], str] = {}
    out = []
    for w in plan.writes:
        out.append((w, last.get((w.order_id, w.event_name))))
        last[(w.order_id, w.event_name)] = w.status
    return out


def test_kinds_agree_with_the_statuses() -> None:
    for w, prev in _previous_status(generate_orders(300, seed=5)):
        expected = "first" if prev is None else ("duplicate" if prev == w.status else "recheck")
        assert w.kind == expected, w


def test_late_writes_arrive_after_other_orders_events() -> None:
    plan = generate_orders(300, seed=7, late_rate=0.5, late_gap=4)
    late = [w for w in plan.writes if w.late]
    assert late
    for w in late:
        own = [x.seq for x in plan.writes if x.order_id == w.order_id]
        assert w.seq == own[-1]  # it is the order's last write
        start = own[-2] if len(own) > 1 else -1
        others = {x.order_id for x in plan.writes[start + 1:w.seq]}
        assert others and w.order_id not in others  # other orders' writes in between
        # checked on time, delivered late: an earlier checked_at than a write it now follows
        assert any(x.checked_at > w.checked_at for x in plan.writes[start + 1:w.seq])
    assert not any(w.late for w in generate_orders(300, seed=7, late_rate=0).writes)


def test_checked_at_distinct_so_every_write_is_one_stream_record() -> None:
    plan = generate_orders(500, seed=8)
    assert len({w.checked_at for w in plan.writes}) == len(plan.writes)
    names = plan.expected_event_names()
    assert names.count("INSERT") == sum(len(t.final) for t in plan.truth.values())
    assert names.count("MODIFY") == len(plan.writes) - names.count("INSERT")
    assert all(EPOCH <= w.checked_at < EPOCH + len(plan.writes) for w in plan.writes)


def test_no_failed_after_both_passed() -> None:
    """The invariant that makes the truth timing-independent, at high re-check rates."""
    plan = generate_orders(800, seed=9, recheck_rate=1.0, fail_rate=0.5, duplicate_rate=0.5)
    for order in plan.orders:
        ever_both = False
        for _, events in plan.states(order.order_id):
            both = all(events.get(c) == PASSED for c in CHECKS)
            assert not (ever_both and not both), order.order_id
            ever_both = ever_both or both
        assert ever_both == plan.truth[order.order_id].should_invoice


def test_truth_matches_the_final_writes() -> None:
    plan = generate_orders(300, seed=10)
    for order in plan.orders:
        oid = order.order_id
        own = [w for w in plan.writes if w.order_id == oid]
        assert own, "every order has at least one write"
        final = {}
        for w in own:
            final[w.event_name] = w.status
        truth = plan.truth[oid]
        assert truth.final == final == plan.final_events(oid)
        assert truth.should_invoice == (final.get(AC) == PASSED and final.get(IS) == PASSED)
        assert truth.should_reject == (FAILED in final.values())
        assert truth.may_reject == any(w.status == FAILED for w in own)
        assert truth.writes == len(own)
    assert plan.eligible_orders() == {o for o, t in plan.truth.items() if t.should_invoice}


def test_missing_checks_follow_the_rate() -> None:
    none = generate_orders(200, seed=1, missing_rate=0)
    assert all(len(t.final) == 2 for t in none.truth.values())
    every = generate_orders(200, seed=1, missing_rate=1)
    assert all(len(t.final) == 1 for t in every.truth.values())
    assert not every.eligible_orders()
    clean = generate_orders(200, seed=1, missing_rate=0, fail_rate=0, recheck_rate=0)
    assert clean.eligible_orders() == {o.order_id for o in clean.orders}
    assert not any(w.status == FAILED for w in clean.writes)


def test_orders_carry_consistent_money_and_unique_ids() -> None:
    plan = generate_orders(1000, seed=2, max_lines=3)
    assert len({o.order_id for o in plan.orders}) == 1000
    for order in plan.orders:
        assert 1 <= len(order.lines) <= 3
        assert order.total_cents == sum(line.quantity * line.unit_price_cents for line in order.lines) > 0
        d = order.to_dict()
        assert d["total"] == f"{order.total_cents // 100}.{order.total_cents % 100:02d}"
    assert len({o.customer_id for o in plan.orders}) < 1000  # customers come back


def test_states_and_state_after() -> None:
    plan = _plan(("A", AC, PASSED), ("B", IS, FAILED), ("A", IS, FAILED), ("A", IS, PASSED), ("B", IS, PASSED))
    assert plan.states("A") == [(1, {AC: PASSED}), (3, {AC: PASSED, IS: FAILED}), (4, {AC: PASSED, IS: PASSED})]
    assert plan.states("nope") == []
    assert plan.state_after(0) == {}
    assert plan.state_after(3) == {"A": {AC: PASSED, IS: FAILED}, "B": {IS: FAILED}}
    assert plan.expected_event_names() == ["INSERT", "INSERT", "INSERT", "MODIFY", "MODIFY"]
    assert plan.truth["A"].should_invoice and plan.truth["A"].may_reject and not plan.truth["A"].should_reject
    assert plan.truth["B"].reason == "missing check: Account Check"
    assert plan.truth["A"].rechecks == 1 and plan.truth["B"].rechecks == 1


def test_timed_writes_and_update_item() -> None:
    plan = _plan(("A", AC, PASSED), ("A", IS, FAILED))
    assert plan.timed_writes([1.0, 2.5]) == [("A", AC, PASSED, 1.0), ("A", IS, FAILED, 2.5)]
    with pytest.raises(ValueError, match="one time per write: 2 writes, 1 times"):
        plan.timed_writes([1.0])
    ac = plan.update_item_kwargs(plan.writes[0], "sh-events")
    assert ac["TableName"] == "sh-events"
    assert ac["Key"] == {"order_id": {"S": "A"}, "event_name": {"S": AC}}
    assert ac["ExpressionAttributeNames"] == {"#s": "status"}  # status is a reserved word
    assert ac["ExpressionAttributeValues"][":s"] == {"S": PASSED}
    assert ac["ExpressionAttributeValues"][":a"] == {"N": "25.98"}
    stock = plan.update_item_kwargs(plan.writes[1], "sh-events")
    assert stock["ExpressionAttributeValues"][":k"] == {"L": [{"S": "SKU-A"}]}
    assert stock["ExpressionAttributeValues"][":q"] == {"N": "2"}


@pytest.mark.parametrize(("writes", "match"), [
    ([Write(1, "A", AC, PASSED, 1.0)], "seq must equal its position"),
    ([Write(0, "Z", AC, PASSED, 1.0)], "unknown order"),
    ([Write(0, "A", "Payment", PASSED, 1.0)], "event_name must be one of"),
    ([Write(0, "A", AC, "OK", 1.0)], "status must be one of"),
    ([Write(0, "A", AC, PASSED, 1.0, kind="retry")], "kind must be one of"),
    ([Write(0, "A", AC, PASSED, 1.0), Write(1, "A", AC, PASSED, 1.0)], "checked_at 1.0 already used"),
    ([Write(0, "A", AC, PASSED, 1.0), Write(1, "A", IS, PASSED, 2.0), Write(2, "A", IS, FAILED, 3.0)],
     "FAILED after both checks PASSED"),
])
def test_plan_refuses_inconsistent_writes(writes: list[Write], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        OrderPlan(seed=0, orders=(_order("A"),), writes=tuple(writes))


def test_plan_refuses_duplicate_orders() -> None:
    with pytest.raises(ValueError, match="order ids must be unique"):
        OrderPlan(seed=0, orders=(_order("A"), _order("A")), writes=())


def test_minimal_plan() -> None:
    plan = generate_orders(1, seed=0)
    assert len(plan.orders) == 1 and 1 <= len(plan.writes)
    assert plan.params["orders"] == 1


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"orders": 0}, r"orders must be an integer between 1 and 1000000, got 0"),
    ({"orders": 2.0}, r"orders must be an integer between 1 and 1000000, got 2.0"),
    ({"orders": True}, r"orders must be an integer"),
    ({"seed": "7"}, r"seed must be an integer, got '7'"),
    ({"seed": None}, r"seed must be an integer, got None"),
    ({"fail_rate": 1.5}, r"fail_rate must be a number between 0 and 1, got 1.5"),
    ({"missing_rate": -0.1}, r"missing_rate must be a number between 0 and 1"),
    ({"duplicate_rate": float("nan")}, r"duplicate_rate must be a number between 0 and 1"),
    ({"recheck_rate": "0.1"}, r"recheck_rate must be a number between 0 and 1"),
    ({"late_rate": 2}, r"late_rate must be a number between 0 and 1, got 2"),
    ({"concurrency": 0}, r"concurrency must be an integer >= 1, got 0"),
    ({"late_gap": 0}, r"late_gap must be an integer >= 1, got 0"),
    ({"max_lines": 0}, r"max_lines must be an integer between 1 and 50, got 0"),
])
def test_argument_validation(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"orders": 10, "seed": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        generate_orders(**args)  # type: ignore[arg-type]
