"""RecordFilter on realistic DynamoDB stream records (as Lambda sees them, after to_wire)."""
from __future__ import annotations

import json
from typing import Any

import pytest

from harness.runtime.esm.filtering import RecordFilter
from harness.topology import FilterCriteria

ARN = "arn:aws:dynamodb:eu-west-1:000000000000:table/orders/stream/2024-01-01T00:00:00.000"


def record(event: str, new: dict[str, Any] | None, old: dict[str, Any] | None, seq: str = "100") -> dict[str, Any]:
    ddb: dict[str, Any] = {"ApproximateCreationDateTime": 1704067200, "Keys": {"pk": {"S": "order#1"}},
                           "SequenceNumber": seq, "SizeBytes": 60, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if new is not None:
        ddb["NewImage"] = new
    if old is not None:
        ddb["OldImage"] = old
    return {"eventID": f"id-{seq}", "eventName": event, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-1", "eventSourceARN": ARN, "dynamodb": ddb}


OPEN = {"pk": {"S": "order#1"}, "status": {"S": "open"}, "qty": {"N": "10"}, "tags": {"SS": ["a", "b"]}}
CLOSED = {"pk": {"S": "order#1"}, "status": {"S": "closed"}, "qty": {"N": "3"}}

INSERT = record("INSERT", OPEN, None, "100")
MODIFY = record("MODIFY", CLOSED, OPEN, "101")
REMOVE = record("REMOVE", None, CLOSED, "102")
ALL = {"INSERT": INSERT, "MODIFY": MODIFY, "REMOVE": REMOVE}


def passing(*patterns: Any) -> set[str]:
    f = RecordFilter(FilterCriteria(tuple(patterns)))
    assert f.active
    return {name for name, rec in ALL.items() if f.matches(rec)}


def test_no_criteria_passes_everything() -> None:
    f = RecordFilter(None)
    assert not f.active
    assert all(f.matches(r) for r in ALL.values())
    assert f.matches({})


def test_event_name_filter() -> None:
    assert passing({"eventName": ["INSERT"]}) == {"INSERT"}
    assert passing({"eventName": ["INSERT", "REMOVE"]}) == {"INSERT", "REMOVE"}


def test_filters_are_ored() -> None:
    assert passing({"eventName": ["INSERT"]}, {"eventName": ["REMOVE"]}) == {"INSERT", "REMOVE"}
    assert passing({"eventName": ["NOPE"]}, {"dynamodb": {"NewImage": {"status": {"S": ["closed"]}}}}) == {"MODIFY"}


def test_fields_of_one_filter_are_anded() -> None:
    both = {"eventName": ["MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}
    assert passing(both) == set()  # MODIFY's new status is closed; INSERT's open status is not a MODIFY
    assert passing({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}) == {"INSERT"}
    old_and_new = {"dynamodb": {"OldImage": {"status": {"S": ["open"]}}, "NewImage": {"status": {"S": ["closed"]}}}}
    assert passing(old_and_new) == {"MODIFY"}  # an open -> closed transition


def test_new_image_string_attribute() -> None:
    assert passing({"dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}) == {"INSERT"}
    assert passing({"dynamodb": {"OldImage": {"status": {"S": ["closed"]}}}}) == {"REMOVE"}


def test_pattern_given_as_json_string_behaves_like_the_mapping() -> None:
    p = {"dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}
    assert passing(json.dumps(p)) == passing(p)


def test_numeric_filter_on_n_value_never_matches() -> None:
    # The classic pitfall: DynamoDB's N values are JSON strings in the record ({"N": "10"}), and numeric
    # matching applies to JSON numbers only, so a numeric filter on an N attribute matches nothing.
    assert passing({"dynamodb": {"NewImage": {"qty": {"N": [{"numeric": [">", 0]}]}}}}) == set()
    assert passing({"dynamodb": {"NewImage": {"qty": {"N": [{"numeric": ["=", 10]}]}}}}) == set()
    assert passing({"dynamodb": {"NewImage": {"qty": {"N": [10]}}}}) == set()  # number 10 is not "10"
    # What does work: the exact string, or a string operator.
    assert passing({"dynamodb": {"NewImage": {"qty": {"N": ["10"]}}}}) == {"INSERT"}
    assert passing({"dynamodb": {"NewImage": {"qty": {"N": [{"prefix": "1"}]}}}}) == {"INSERT"}


def test_numeric_filter_matches_real_json_numbers() -> None:
    f = RecordFilter(FilterCriteria(({"dynamodb": {"SizeBytes": [{"numeric": [">", 50]}]}},)))
    assert f.matches(INSERT)  # SizeBytes is a JSON number in the record
    assert not f.matches({**INSERT, "dynamodb": {**INSERT["dynamodb"], "SizeBytes": 50}})


def test_prefix_on_keys() -> None:
    assert passing({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "order#"}]}}}}) == set(ALL)
    assert passing({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "user#"}]}}}}) == set()
    assert passing({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "Order#"}]}}}}) == set()  # case-sensitive


def test_exists_false_on_old_image_leaf_selects_inserts() -> None:
    # exists works on leaf values: only an INSERT has no OldImage.pk.S
    assert passing({"dynamodb": {"OldImage": {"pk": {"S": [{"exists": False}]}}}}) == {"INSERT"}
    assert passing({"dynamodb": {"OldImage": {"pk": {"S": [{"exists": True}]}}}}) == {"MODIFY", "REMOVE"}
    assert passing({"dynamodb": {"NewImage": {"pk": {"S": [{"exists": False}]}}}}) == {"REMOVE"}


def test_exists_on_an_intermediate_node_is_the_other_pitfall() -> None:
    # OldImage is an object, not a leaf: exists true never matches it, exists false matches every record.
    assert passing({"dynamodb": {"OldImage": [{"exists": True}]}}) == set()
    assert passing({"dynamodb": {"OldImage": [{"exists": False}]}}) == set(ALL)


def test_anything_but_and_string_sets() -> None:
    assert passing({"eventName": [{"anything-but": ["REMOVE"]}]}) == {"INSERT", "MODIFY"}
    assert passing({"dynamodb": {"NewImage": {"tags": {"SS": ["b"]}}}}) == {"INSERT"}  # any element of an array


@pytest.mark.parametrize("rec", [INSERT, MODIFY, REMOVE])
def test_matching_does_not_mutate_the_record(rec: dict[str, Any]) -> None:
    before = json.dumps(rec, sort_keys=True)
    RecordFilter(FilterCriteria(({"eventName": ["INSERT"]}, {"dynamodb": {"OldImage": [{"exists": False}]}}))
                 ).matches(rec)
    assert json.dumps(rec, sort_keys=True) == before
