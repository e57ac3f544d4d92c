"""The reference model: projections of hand-made events, and a correct run's observation."""
from __future__ import annotations

from streamharness.scenarios.eventlake.generator import Event, generate_plan
from streamharness.scenarios.eventlake.reference import combine, project, project_items, simulate, stored


def _event(i: int, kind: str, entity: str, amount: int = 0, ttl: int | None = None) -> Event:
    payload = {"entity_id": entity, **({"amount_cents": amount} if amount else {})}
    return Event(f"e{i}", f"2026-01-0{i}T00:00:00.000Z", kind, payload, ttl)


def test_projections_count_types_and_sum_amounts_per_entity() -> None:
    events = [_event(1, "OrderPlaced", "a", 500), _event(2, "PaymentCaptured", "a", 500), _event(3, "UserSignedUp", "b")]
    assert project(events) == {"entity#a": {"events": 2, "amount_cents": 1000}, "entity#b": {"events": 1, "amount_cents": 0},
                               "type#OrderPlaced": {"events": 1}, "type#PaymentCaptured": {"events": 1},
                               "type#UserSignedUp": {"events": 1}}
    assert project_items([stored(e) for e in events]) == project(events)


def test_combine_adds_subtracts_and_drops_rows_that_come_to_zero() -> None:
    a, b = project([_event(1, "OrderPlaced", "a", 5)]), project([_event(2, "OrderPlaced", "b", 7)])
    assert combine(combine(a, b), b, sign=-1) == a


def test_a_correct_run_stores_once_rejects_duplicates_and_keeps_expired_events_in_the_projections() -> None:
    plan = generate_plan(200, 20, 5, duplicate_rate=0.3)
    seen = simulate(plan)
    assert [s for a, s in zip(plan.attempts, seen.statuses)] == [a.expected_status for a in plan.attempts]
    assert {name for _, name in seen.stream_records} == {"INSERT", "REMOVE"}
    assert sorted(i["event_id"] for i in seen.store) == sorted(e.event_id for e in plan.retained)
    assert seen.projections == project(plan.events)


def test_the_overwrite_model_replaces_a_conflicting_event_and_says_201() -> None:
    plan = generate_plan(200, 20, 5, duplicate_rate=0.3)
    seen = simulate(plan, overwrite=True)
    assert sum(1 for _, name in seen.stream_records if name == "MODIFY") == len(plan.of_kind("conflict")) > 0
    assert 409 not in seen.statuses
