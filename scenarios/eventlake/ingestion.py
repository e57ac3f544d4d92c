"""The ingestion function producers call: validate the event, store it once, never overwrite it.

``ingest`` answers like an HTTP API: 201 stored, 409 an event with this event_id and timestamp is
already stored (a retry or a reused id: the store is immutable), 400 the request is malformed.

Two planted bugs, both the article's Python ingestion: ``ingest_unconditional`` writes with no
condition, so a second event with the same key silently replaces the first (a MODIFY in the stream)
and the producer is told 201; ``ingest_server_timestamp`` keys the event on the time it arrives
(``timestamp = datetime.now()``), so a retried event gets another key and is stored twice, condition
or not.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

MAX_ID_LENGTH = 256


def validate(request: Any) -> list[str]:
    """What is wrong with the request (empty when it is a well-formed event)."""
    if not isinstance(request, dict):
        return ["the request is not a JSON object"]
    problems = []
    for name in ("event_id", "event_type", "timestamp"):
        value = request.get(name)
        if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
            problems.append(f"{name} must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    timestamp = request.get("timestamp")
    if isinstance(timestamp, str) and timestamp:
        try:
            if datetime.fromisoformat(timestamp).utcoffset() is None:
                problems.append("timestamp must carry its UTC offset (e.g. 2024-09-01T10:00:00Z)")
        except ValueError:
            problems.append(f"timestamp {timestamp!r} is not ISO-8601")
    if not isinstance(request.get("event_payload"), dict):
        problems.append("event_payload must be a JSON object")
    expires_at = request.get("expires_at")
    if expires_at is not None and (not isinstance(expires_at, int) or isinstance(expires_at, bool) or expires_at < 0):
        problems.append("expires_at must be epoch seconds")
    return problems


def to_item(request: dict[str, Any]) -> dict[str, Any]:
    """The stored item: the article's four attributes (the payload as a JSON string) and the TTL if any."""
    item = {"event_id": {"S": request["event_id"]}, "timestamp": {"S": request["timestamp"]},
            "event_type": {"S": request["event_type"]},
            "event_payload": {"S": json.dumps(request["event_payload"], sort_keys=True)}}
    if request.get("expires_at") is not None:
        item["expires_at"] = {"N": str(request["expires_at"])}
    return item


def _response(status: int, message: str) -> dict[str, Any]:
    return {"statusCode": status, "body": json.dumps({"message": message})}


def _put_once(request: dict[str, Any], dynamodb: Any, table_name: str) -> dict[str, Any]:
    """Store the event unless its key is already stored (then 409)."""
    try:
        dynamodb.put_item(TableName=table_name, Item=to_item(request),
                          ConditionExpression="attribute_not_exists(event_id)")
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return _response(409, f"event {request['event_id']} at {request['timestamp']} is already stored")
    return _response(201, "stored")


def ingest(request: Any, dynamodb: Any, table_name: str) -> dict[str, Any]:
    problems = validate(request)
    if problems:
        return _response(400, "; ".join(problems))
    return _put_once(request, dynamodb, table_name)


def ingest_unconditional(request: Any, dynamodb: Any, table_name: str) -> dict[str, Any]:
    problems = validate(request)
    if problems:
        return _response(400, "; ".join(problems))
    dynamodb.put_item(TableName=table_name, Item=to_item(request))
    return _response(201, "stored")


def ingest_server_timestamp(request: Any, dynamodb: Any, table_name: str) -> dict[str, Any]:
    problems = validate(request)
    if problems:
        return _response(400, "; ".join(problems))
    request = {**request, "timestamp": datetime.now(UTC).isoformat()}
    return _put_once(request, dynamodb, table_name)
