"""Request members checked against botocore's model of the EventBridge API."""
from __future__ import annotations

import json

import pytest

from harness.emulators.eventbridge.models import SerializationException, ValidationException
from harness.emulators.eventbridge.shapes import check_request


def _check(operation: str, params: dict) -> None:  # type: ignore[type-arg]
    check_request(operation, params, json.dumps(params).encode())


def test_what_boto3_sends_passes() -> None:
    _check("PutEvents", {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "Time": 1700000000,
                                      "Resources": ["arn:aws:s3:::b"], "EventBusName": "b"}]})
    _check("PutTargets", {"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q",
                                                    "RetryPolicy": {"MaximumRetryAttempts": 0}}]})
    _check("ListRules", {"Limit": 100, "NextToken": None})  # null is an absent member
    _check("NotAnOperation", {"Anything": 1})  # unknown operations are answered elsewhere


@pytest.mark.parametrize(("operation", "params", "where"), [
    ("ListRules", {"Limit": "abc"}, "'Limit'"),
    ("ListRules", {"Limit": True}, "'Limit'"),
    ("PutEvents", {"Entries": [{"Resources": [5]}]}, "'Entries[0].Resources[0]'"),
    ("PutEvents", {"Entries": {"Source": "s"}}, "'Entries'"),
    ("PutTargets", {"Rule": "r", "Targets": [{"InputTransformer": {"InputPathsMap": {"a": 1}}}]},
     "'Targets[0].InputTransformer.InputPathsMap.a'"),
])
def test_a_member_of_the_wrong_json_type_is_a_serialization_exception_naming_where(
        operation: str, params: dict, where: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SerializationException, match=where.replace("[", r"\[").replace("]", r"\]")):
        _check(operation, params)


def test_an_integer_out_of_its_range_is_awss_validation_exception() -> None:
    with pytest.raises(ValidationException, match="Value '186' at 'targets.1.member.retryPolicy.maximumRetryAttempts'"
                                                  " failed to satisfy constraint: Member must have value greater than"
                                                  " or equal to 0 and less than or equal to 185"):
        _check("PutTargets", {"Rule": "r", "Targets": [{"Id": "t", "Arn": "a",
                                                        "RetryPolicy": {"MaximumRetryAttempts": 186}}]})


def test_a_lone_surrogate_is_a_serialization_exception_a_pair_is_not() -> None:
    with pytest.raises(SerializationException, match="surrogate"):
        check_request("ListRules", json.loads(b'{"NamePrefix": "a\\udc00"}'), b'{"NamePrefix": "a\\udc00"}')
    body = b'{"NamePrefix": "a\\ud83d\\ude00"}'
    check_request("ListRules", json.loads(body), body)
