"""The plan is deterministic and carries a ground truth the oracles can rely on."""
from __future__ import annotations

import pytest

from streamharness.scenarios.eventlake.generator import AMOUNT_TYPES, Attempt, IngestionPlan, generate_plan
from streamharness.scenarios.eventlake.ingestion import validate

ANCHOR = 1_800_000_000


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    assert generate_plan(80, 10, 3) == generate_plan(80, 10, 3)
    assert generate_plan(80, 10, 3) != generate_plan(80, 10, 4)


def test_every_kind_of_attempt_is_generated_at_default_rates() -> None:
    summary = generate_plan(300, 40, 7).summary()
    assert summary["events"] == 300 and summary["entities"] == 40 and summary["invalid_attempts"] == 8
    assert summary["retry_attempts"] > 0 and summary["conflict_attempts"] > 0 and summary["expiring_events"] > 0


def test_duplicates_follow_their_event_and_never_target_an_expiring_one() -> None:
    plan = generate_plan(300, 40, 7, duplicate_rate=0.5)
    first_at = {a.event.key: i for i, a in enumerate(plan.attempts) if a.kind == "first"}
    for i, a in enumerate(plan.attempts):
        if a.kind in ("retry", "conflict"):
            assert first_at[a.event.key] < i and not a.event.expires
    originals = {e.key: e for e in plan.events}
    for a in plan.of_kind("conflict"):
        assert a.event.event_type in AMOUNT_TYPES and a.event.amount_cents != originals[a.event.key].amount_cents
    for a in plan.of_kind("retry"):
        assert a.event == originals[a.event.key]


def test_first_attempts_are_valid_and_invalid_ones_are_refused_by_validation() -> None:
    plan = generate_plan(100, 10, 2)
    assert all(validate(a.request(ANCHOR)) == [] for a in plan.of_kind("first"))
    assert all(validate(a.request(ANCHOR)) for a in plan.of_kind("invalid"))


def test_ttls_in_the_past_are_relative_to_the_anchor() -> None:
    plan = generate_plan(200, 10, 2)
    for e in plan.events:
        expires_at = e.request(ANCHOR).get("expires_at")
        assert (expires_at is not None and expires_at <= ANCHOR) is e.expires
    expired, retained = {e.key for e in plan.expired}, {e.key for e in plan.retained}
    assert expired and expired | retained == {e.key for e in plan.events} and not expired & retained


def test_a_hand_built_plan_must_send_an_event_before_its_duplicate() -> None:
    event = generate_plan(1, 1, 1).events[0]
    with pytest.raises(ValueError, match="before its first attempt"):
        IngestionPlan((Attempt("retry", event), Attempt("first", event)))
