"""Each oracle passes on what a correct event lake observes and fails, with its likely cause, on a wrong one."""
from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from streamharness.scenarios.eventlake.generator import generate_plan
from streamharness.scenarios.eventlake.ingestion import ingest, ingest_server_timestamp, ingest_unconditional
from streamharness.scenarios.eventlake.oracles import CAUSES, evaluate
from streamharness.scenarios.eventlake.reference import simulate

PLAN = generate_plan(200, 20, 5, duplicate_rate=0.3)


def _failed(**kwargs: Any) -> set[str]:
    return {c.name for c in evaluate(PLAN, **kwargs) if not c.passed}


def test_a_correct_run_passes_every_check() -> None:
    checks = evaluate(PLAN, **simulate(PLAN).as_kwargs())
    assert [c.name for c in checks if not c.passed] == []
    assert {c.name for c in checks} == set(CAUSES)


def test_an_unconditional_put_fails_no_modify_duplicates_and_replay() -> None:
    assert _failed(**simulate(PLAN, overwrite=True).as_kwargs()) == {"no_modify", "duplicates_rejected",
                                                                     "replay_equality"}


def test_keying_on_arrival_time_fails_duplicates_rejected_and_exactly_once() -> None:
    assert _failed(**simulate(PLAN, server_time=True).as_kwargs()) == {"duplicates_rejected", "consumed_exactly_once",
                                                                       "projection_matches_reference"}


def test_a_consumer_handling_remove_fails_the_ttl_check() -> None:
    assert _failed(**simulate(PLAN, handles_remove=True).as_kwargs()) == {
        "ttl_not_business_delete", "replay_equality", "projection_matches_reference"}


def test_a_failed_check_names_its_likely_cause() -> None:
    check = next(c for c in evaluate(PLAN, **simulate(PLAN, overwrite=True).as_kwargs()) if c.name == "no_modify")
    assert "Likely cause:" in check.detail and "attribute_not_exists" in check.detail
    assert check.examples and "modified" in check.examples[0]


def test_a_record_applied_twice_or_missed_fails_exactly_once() -> None:
    seen = simulate(PLAN).as_kwargs()
    keys = list(seen["applied"]["type-counts"])
    failed = _failed(**{**seen, "applied": {**seen["applied"], "type-counts": keys[1:] + keys[:2]}})
    assert failed == {"consumed_exactly_once"}


def test_ttl_removes_never_seen_fail_the_ttl_check() -> None:
    seen = simulate(PLAN).as_kwargs()
    assert _failed(**{**seen, "ttl_removes": {"type-counts": 0, "entity-totals": 0}}) == {"ttl_not_business_delete"}


def test_a_projection_changed_by_the_expiry_fails_the_ttl_check_even_when_all_else_agrees() -> None:
    seen = simulate(PLAN).as_kwargs()
    row = next(iter(seen["projections"]))
    before = {**seen["projections"], row: {k: v + 1 for k, v in seen["projections"][row].items()}}
    check = next(c for c in evaluate(PLAN, **{**seen, "before_expiry": before}) if c.name == "ttl_not_business_delete")
    assert not check.passed and check.examples[0]["row"] == row


def test_a_store_missing_an_event_fails_replay() -> None:
    seen = simulate(PLAN).as_kwargs()
    assert _failed(**{**seen, "store": seen["store"][1:]}) == {"replay_equality"}


class _Table:
    """A stand-in for the DynamoDB client: PutItem with attribute_not_exists(event_id) on the key."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def put_item(self, TableName: str, Item: dict[str, Any], ConditionExpression: str | None = None) -> None:
        key = (Item["event_id"]["S"], Item["timestamp"]["S"])
        if ConditionExpression == "attribute_not_exists(event_id)" and key in self.items:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "PutItem")
        self.items[key] = Item


@pytest.mark.parametrize("fn, second, stored", [(ingest, 409, 1), (ingest_unconditional, 201, 1),
                                               (ingest_server_timestamp, 201, 2)])
def test_ingestion_answers(fn: Any, second: int, stored: int) -> None:
    table, first = _Table(), PLAN.of_kind("first")[0]
    assert fn(first.request(0), table, "t")["statusCode"] == 201
    assert fn(first.request(0), table, "t")["statusCode"] == second
    assert fn(PLAN.of_kind("invalid")[0].request(0), table, "t")["statusCode"] == 400 and len(table.items) == stored
