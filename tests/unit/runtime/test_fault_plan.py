"""The fault plan: loading, validation, and decisions fixed by the seed (no backend)."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.runtime.faults import Fault, FaultPlan, FaultPlanError
from harness.runtime.faults.plan import event_token, matches, records_of

EXAMPLE = Path(__file__).parents[3] / "examples" / "faults.yaml"


def stream_event(*keys: str, status: str = "PASSED") -> dict:
    return {"Records": [{"eventID": f"random-{k}", "dynamodb": {
        "Keys": {"order_id": {"S": k}}, "NewImage": {"order_id": {"S": k}, "status": {"S": status}},
        "SequenceNumber": str(i)}} for i, k in enumerate(keys)]}  # noqa: E501


def test_the_example_plan_loads_and_round_trips() -> None:
    plan = FaultPlan.from_yaml(EXAMPLE)
    assert {f.kind for f in plan.faults} >= {"error", "throttle", "put_events_failure", "duplicate", "timeout"}
    assert FaultPlan.from_dict(plan.to_dict()) == plan


def test_chance_is_fixed_by_seed_fault_and_token() -> None:
    a, b = FaultPlan(seed=1), FaultPlan(seed=2)
    assert a.chance(0, "x") == FaultPlan(seed=1).chance(0, "x")
    assert len({a.chance(0, "x"), a.chance(1, "x"), a.chance(0, "y"), b.chance(0, "x")}) == 4
    hits = sum(a.chance(0, str(i)) < 0.25 for i in range(4000))
    assert 800 < hits < 1200  # a rate is a share, not all-or-nothing


def test_invocations_are_decided_on_their_records_not_on_made_up_ids() -> None:
    one, two = stream_event("o-1"), stream_event("o-1")
    two["Records"][0]["eventID"] = "another-random-id"
    assert event_token(one) == event_token(two)
    assert event_token(one) != event_token(stream_event("o-2"))


@pytest.mark.parametrize(("fault", "hit"), [
    (Fault("poison", key="o-2"), [False, True]),
    (Fault("error", where={"status": "FAILED"}), [True, False]),
    (Fault("error", key="o-1", where={"status": "PASSED"}), [False, False]),
])
def test_record_predicates(fault: Fault, hit: list[bool]) -> None:
    records = records_of(stream_event("o-1", status="FAILED")) + records_of(stream_event("o-2"))
    assert [matches(fault, r) for r in records] == hit


def test_eventbridge_detail_is_a_record() -> None:
    assert records_of({"detail-type": "x", "detail": {"order_id": "o-9"}}) == [{"order_id": "o-9"}]


@pytest.mark.parametrize(("spec", "says"), [
    ({"kind": "explode"}, "unknown kind"),
    ({"kind": "poison"}, "chosen by key or where"),
    ({"kind": "throttle", "service": "s3"}, "service must be one of"),
    ({"kind": "error", "rate": 2}, "rate must be within"),
    ({"kind": "error", "colour": "red"}, "unknown field(s) colour"),
    ({"kind": "backend_restart"}, "DynamoDB Local with -inMemory loses"),
])
def test_bad_plans_say_which_fault_and_why(spec: dict, says: str) -> None:
    with pytest.raises(FaultPlanError, match=r"faults\[0\]") as e:
        FaultPlan.from_dict({"faults": [spec]}, source="plan.yaml")
    assert says in str(e.value) and "plan.yaml" in str(e.value)


def test_throttle_codes_are_the_services_own() -> None:
    assert Fault("throttle", service="dynamodb").code == "ProvisionedThroughputExceededException"
    assert Fault("throttle", service="events").code == "ThrottlingException"
    assert Fault("put_events_failure").code == "InternalFailure"
