"""Time to Live deletions as AWS streams them, and a way to expire items now.

On AWS an item deleted by TTL appears in the stream as a REMOVE whose record carries
``userIdentity: {"type": "Service", "principalId": "dynamodb.amazonaws.com"}``; a business delete
has no ``userIdentity``. Two sources of TTL deletions exist here:

- DynamoDB Local's own sweeper, whose records say ``eventName: "UNKNOWN_TO_SDK_VERSION"`` and carry
  no identity: :func:`harness.runtime.streams.wire.to_wire` rewrites them to AWS's record. The sweeper
  is slow and not tunable (measured: 3 expired items of 5 deleted after 10 s, 50 of 100 after 48 s;
  it scans 20 items per 10 s), so tests cannot wait for it.
- :func:`expire_now`, which deletes the items whose TTL has passed at ``now`` (a conditional
  DeleteItem each) and leaves a *ticket* per deletion. A reader that reads a REMOVE matching a
  ticket (same table, same key and, when the record has an OldImage, the same TTL value) binds the
  ticket to that record's sequence number and marks it; every other reader of the stream (one per
  mapping) finds the binding by sequence number, so every mapping sees the same record.

Limit: with a KEYS_ONLY or NEW_IMAGE stream, a business delete of the same key written *before*
``expire_now`` and not yet read by any mapping would take the ticket (nothing in such a record
tells the two deletions apart). Items whose TTL is more than five years in the past are not
deleted, as on AWS and in DynamoDB Local.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from harness.runtime.streams.wire import TTL_IDENTITY, image_to_wire

#: AWS leaves alone items whose TTL is more than five years in the past
FIVE_YEARS_S = int(5 * 365.25 * 86_400)

_lock = threading.Lock()
#: (table ARN, key JSON) -> (TTL attribute, its value as JSON) of deletions not yet seen in the stream, oldest first
_pending: dict[tuple[str, str], list[tuple[str, str]]] = {}
#: (table ARN, sequence number) of REMOVE records that are TTL deletions
_bound: set[tuple[str, str]] = set()


def _key(keys: Mapping[str, Any]) -> str:
    return json.dumps(keys, sort_keys=True, separators=(",", ":"))


def table_arn_of_stream(stream_arn: str) -> str:
    return stream_arn.split("/stream/", 1)[0]


def mark_ttl_deletions(records: Sequence[MutableMapping[str, Any]], stream_arn: str) -> None:
    """Give the REMOVE records that :func:`expire_now` caused AWS's TTL ``userIdentity`` (in place)."""
    if not _pending and not _bound:
        return
    table = table_arn_of_stream(stream_arn)
    with _lock:
        for record in records:
            if record.get("eventName") != "REMOVE" or "userIdentity" in record:
                continue
            ddb = record.get("dynamodb") or {}
            seq = ddb.get("SequenceNumber", "")
            if (table, seq) not in _bound and not _claim(table, ddb):
                continue
            _bound.add((table, seq))
            record["userIdentity"] = dict(TTL_IDENTITY)


def _claim(table: str, ddb: Mapping[str, Any]) -> bool:
    ticket = (table, _key(ddb.get("Keys") or {}))
    waiting = _pending.get(ticket)
    if not waiting:
        return False
    old = ddb.get("OldImage")
    index = 0 if old is None else next(
        (i for i, (attribute, value) in enumerate(waiting) if json.dumps(old.get(attribute), sort_keys=True) == value),
        None)
    if index is None:
        return False
    waiting.pop(index)
    if not waiting:
        del _pending[ticket]
    return True


def expire_now(dynamodb: Any, table_name: str, now: float | None = None) -> int:
    """Delete every item of ``table_name`` whose TTL attribute is at or before ``now`` (default: the
    clock), as DynamoDB's TTL process would, so that its stream records are AWS's TTL REMOVEs.
    ``dynamodb`` is a boto3 DynamoDB client. Returns how many items were deleted.

    Raises ValueError when the table has no TTL enabled. An item changed meanwhile (its TTL value
    no longer the one read) is left alone.
    """
    ttl = dynamodb.describe_time_to_live(TableName=table_name).get("TimeToLiveDescription") or {}
    attribute = ttl.get("AttributeName")
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING") or not attribute:
        raise ValueError(f"table {table_name} has no Time to Live enabled (DescribeTimeToLive: "
                         f"{ttl.get('TimeToLiveStatus', 'DISABLED')}); enable it with the table's ttl_attribute")
    table = dynamodb.describe_table(TableName=table_name)["Table"]
    key_names = [k["AttributeName"] for k in table["KeySchema"]]
    now_s = int(time.time() if now is None else now)
    oldest = now_s - FIVE_YEARS_S
    scan: dict[str, Any] = {
        "TableName": table_name, "ConsistentRead": True, "FilterExpression": "#ttl BETWEEN :oldest AND :now",
        "ExpressionAttributeNames": {"#ttl": attribute},
        "ExpressionAttributeValues": {":oldest": {"N": str(oldest)}, ":now": {"N": str(now_s)}}}
    deleted = 0
    while True:
        page = dynamodb.scan(**scan)
        for item in page.get("Items", []):
            deleted += _delete(dynamodb, table_name, table["TableArn"], attribute, item, key_names)
        if "LastEvaluatedKey" not in page:
            return deleted
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _delete(dynamodb: Any, table_name: str, table_arn: str, attribute: str, item: Mapping[str, Any],
            key_names: Sequence[str]) -> int:
    keys = {k: item[k] for k in key_names}
    ticket = (table_arn, _key(image_to_wire(keys)))  # as the reader will see the record's Keys
    ttl_value = (attribute, json.dumps(item[attribute], sort_keys=True))
    with _lock:  # before the delete: a reader may read its record before DeleteItem returns
        _pending.setdefault(ticket, []).append(ttl_value)
    try:
        dynamodb.delete_item(TableName=table_name, Key=keys, ConditionExpression="#ttl = :v",
                             ExpressionAttributeNames={"#ttl": attribute},
                             ExpressionAttributeValues={":v": item[attribute]})
    except ClientError as e:
        with _lock:
            waiting = _pending.get(ticket)
            if waiting and ttl_value in waiting:
                waiting.remove(ttl_value)
                if not waiting:
                    del _pending[ticket]
        if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return 0  # changed or deleted meanwhile (e.g. by DynamoDB Local's own sweeper)
        raise
    return 1


__all__ = ["expire_now", "mark_ttl_deletions"]
