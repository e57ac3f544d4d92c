"""Properties: for any valid plan and any batching, the ideal pipeline passes every oracle, and each of
the article's bugs is caught whenever the plan gives it a chance to show."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamharness.scenarios.order_aggregator.contract import CHECKS, FAILED, PASSED
from streamharness.scenarios.order_aggregator.generator import OrderPlan, generate_orders
from streamharness.scenarios.order_aggregator.oracles import evaluate
from streamharness.scenarios.order_aggregator.reference import AS_PUBLISHED, BUGS, FIXED, simulate

_rate = st.floats(0, 1)


@st.composite
def plans(draw: st.DrawFn) -> OrderPlan:
    return generate_orders(
        orders=draw(st.integers(1, 60)), seed=draw(st.integers(0, 2**32)),
        missing_rate=draw(_rate), fail_rate=draw(_rate), duplicate_rate=draw(_rate), recheck_rate=draw(_rate),
        late_rate=draw(_rate), concurrency=draw(st.integers(1, 8)), late_gap=draw(st.integers(1, 6)),
        max_lines=draw(st.integers(1, 4)))


_settings = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(plans(), st.integers(1, 25), st.integers(0, 6))
def test_ideal_pipeline_passes_every_oracle(plan: OrderPlan, batch_size: int, lag: int) -> None:
    checks = evaluate(plan, **simulate(plan, batch_size=batch_size, lag=lag, behaviour=FIXED).as_kwargs())
    assert all(c.passed for c in checks), [c.to_dict() for c in checks if not c.passed]


@_settings
@given(plans(), st.integers(1, 25), st.integers(0, 6))
def test_each_bug_is_caught_when_it_can_show(plan: OrderPlan, batch_size: int, lag: int) -> None:
    run = {name: {c.name: c.passed for c in evaluate(plan, **simulate(
        plan, batch_size=batch_size, lag=lag, behaviour=b).as_kwargs())} for name, b in BUGS.items()}
    multi_record_batches = batch_size > 1 and len(plan.writes) > 1
    assert run["records_first_only"]["records_handled"] is not multi_record_batches
    assert run["scan"]["cost_bound"] is False  # every batch scans
    assert run["string_detail"]["aggregated_detail_matches"] is False  # every order has a write, none aggregates
    assert run["string_detail"]["one_invoice_per_eligible_order"] is not bool(plan.eligible_orders())
    # a bug only ever breaks its own oracles
    assert all(v for k, v in run["scan"].items() if k != "cost_bound")
    assert run["string_detail"]["cost_bound"] and run["string_detail"]["records_handled"]
    assert run["records_first_only"]["cost_bound"]


@_settings
@given(plans())
def test_as_published_never_invoices_and_never_passes_aggregation(plan: OrderPlan) -> None:
    obs = simulate(plan, batch_size=10, behaviour=AS_PUBLISHED)
    assert obs.invoices == () and not any(e["accepted"] for e in obs.aggregated_events)
    verdicts = {c.name: c.passed for c in evaluate(plan, **obs.as_kwargs())}
    assert verdicts["aggregated_detail_matches"] is False and verdicts["cost_bound"] is False


@_settings
@given(plans())
def test_plan_invariants(plan: OrderPlan) -> None:
    assert [w.seq for w in plan.writes] == list(range(len(plan.writes)))
    assert len({w.checked_at for w in plan.writes}) == len(plan.writes)
    assert {w.order_id for w in plan.writes} == {o.order_id for o in plan.orders}  # every order has a write
    for oid, truth in plan.truth.items():
        states = [s for _, s in plan.states(oid)]
        both = [all(s.get(c) == PASSED for c in CHECKS) for s in states]
        assert both == sorted(both)  # once invoiceable, always invoiceable
        assert truth.should_invoice == any(both)
        assert truth.should_reject == (FAILED in truth.final.values())
        assert not (truth.should_invoice and truth.should_reject)
        assert truth.should_reject <= truth.may_reject
