"""The generator's own truth agrees with the reference model of the table, and is deterministic."""
from __future__ import annotations

from streamharness.scenarios.table_to_bus import reference
from streamharness.scenarios.table_to_bus.generator import generate_plan


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    assert generate_plan(6, 10, 20, 5, seed=3) == generate_plan(6, 10, 20, 5, seed=3)
    assert generate_plan(6, 10, 20, 5, seed=3) != generate_plan(6, 10, 20, 5, seed=4)


def test_the_truth_of_each_write_is_the_change_the_reference_derives() -> None:
    for seed in range(5):
        plan = generate_plan(8, 20, 40, 15, seed=seed)
        changes = reference.changes(plan.writes)
        assert [(w.pk, w.sk, w.event, w.changed) for w in plan.writes if w.event] == \
            [(c.pk, c.sk, c.event, c.changed) for c in changes]
        assert reference.member_counts(changes) == {k: v for k, v in plan.members.items() if v}


def test_the_plan_has_no_op_writes_deletes_and_members_of_several_customers() -> None:
    plan = generate_plan(20, 60, 80, 20, seed=7)
    events = [w.event for w in plan.writes]
    assert events.count(None) > 0 and events.count("REMOVE") > 0 and events.count("MODIFY") > 0
    assert len(plan.members) > 5
    assert plan.summary()["changes"] == len(reference.changes(plan.writes))
