"""TTL deletions in stream records: DynamoDB Local's rewritten to AWS's, expire_now's marked exactly."""
from __future__ import annotations

import copy
import json
from typing import Any

from botocore.exceptions import ClientError

from harness.patterns import compile_pattern
from harness.runtime.streams.ttl import expire_now, mark_ttl_deletions
from harness.runtime.streams.wire import to_wire

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t"
STREAM_ARN = TABLE_ARN + "/stream/2026-01-01T00:00:00.000"
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def _remove(key: str, seq: str, expires_at: str | None = None) -> dict[str, Any]:
    ddb: dict[str, Any] = {"Keys": {"k": {"S": key}}, "SequenceNumber": seq}
    if expires_at is not None:
        ddb["OldImage"] = {"k": {"S": key}, "exp": {"N": expires_at}}
    return {"eventName": "REMOVE", "dynamodb": ddb}


class FakeTable:
    """The four DynamoDB calls expire_now makes, over a dict."""

    def __init__(self, items: dict[str, str]) -> None:
        self.items = items  # key -> TTL value
        self.deleted: list[str] = []

    def describe_time_to_live(self, TableName: str) -> dict[str, Any]:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}}

    def describe_table(self, TableName: str) -> dict[str, Any]:
        return {"Table": {"TableArn": TABLE_ARN, "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]}}

    def scan(self, ExpressionAttributeValues: dict[str, Any], **_: Any) -> dict[str, Any]:
        lo, hi = (int(ExpressionAttributeValues[v]["N"]) for v in (":oldest", ":now"))
        return {"Items": [{"k": {"S": k}, "exp": {"N": v}} for k, v in self.items.items() if lo <= int(v) <= hi]}

    def delete_item(self, Key: dict[str, Any], ExpressionAttributeValues: dict[str, Any], **_: Any) -> None:
        key = Key["k"]["S"]
        if self.items.get(key) != ExpressionAttributeValues[":v"]["N"]:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "DeleteItem")
        del self.items[key]
        self.deleted.append(key)


def test_dynamodb_locals_ttl_record_becomes_a_remove_with_the_service_identity() -> None:
    wire = to_wire({"eventName": "UNKNOWN_TO_SDK_VERSION", "dynamodb": {"Keys": {"k": {"S": "a"}}}})
    assert wire["eventName"] == "REMOVE" and wire["userIdentity"] == TTL_IDENTITY
    assert compile_pattern('{"eventName": ["REMOVE"]}', dialect="lambda").matches(wire)
    assert compile_pattern('{"userIdentity": {"principalId": ["dynamodb.amazonaws.com"]}}',
                           dialect="lambda").matches(wire)


def test_boto3s_identity_takes_lambdas_field_names() -> None:
    wire = to_wire({"eventName": "REMOVE", "userIdentity": {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"},
                    "dynamodb": {}})
    assert wire["userIdentity"] == TTL_IDENTITY


def test_expire_now_deletes_only_what_expired_within_five_years() -> None:
    now = 2_000_000_000
    table = FakeTable({"past": str(now - 1), "due": str(now), "future": str(now + 1), "ancient": str(now - 6 * 31_557_600)})
    assert expire_now(table, "t", now=now) == 2
    assert sorted(table.deleted) == ["due", "past"] and set(table.items) == {"future", "ancient"}


def test_exactly_the_removes_expire_now_caused_are_marked_for_every_reader() -> None:
    now = 2_000_000_100
    table = FakeTable({"x1": str(now - 5), "x2": str(now - 5)})
    expire_now(table, "t", now=now)
    # the stream: a business delete of another key, the two TTL deletions, a later business delete of x1
    stream = [_remove("other", "1", "5"), _remove("x1", "2", str(now - 5)), _remove("x2", "3"),
              _remove("x1", "4", "7")]
    readers = [copy.deepcopy(stream), copy.deepcopy(stream)]
    for records in readers:  # one reader per mapping, each reading the whole stream
        mark_ttl_deletions(records, STREAM_ARN)
        marked = [r["dynamodb"]["SequenceNumber"] for r in records if r.get("userIdentity") == TTL_IDENTITY]
        assert marked == ["2", "3"], json.dumps(records)


def test_a_binary_key_is_matched_as_the_record_carries_it() -> None:
    class BinaryKeyTable(FakeTable):
        def scan(self, **_: Any) -> dict[str, Any]:
            return {"Items": [{"k": {"B": b"\x00\xff"}, "exp": {"N": "1"}}]}

        def delete_item(self, **_: Any) -> None:
            pass

    expire_now(BinaryKeyTable({}), "t", now=2_000_000_000)
    records = [to_wire({"eventName": "REMOVE", "dynamodb": {"Keys": {"k": {"B": b"\x00\xff"}}, "SequenceNumber": "9"}})]
    mark_ttl_deletions(records, STREAM_ARN)
    assert records[0]["userIdentity"] == TTL_IDENTITY
