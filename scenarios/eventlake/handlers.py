"""The stream consumers, written as a user would write them: plain boto3, configuration from the environment.

Both read every record of the event store's stream and act on INSERTs only, as the article's consumer
does: an event is never changed, and a REMOVE is the store's retention (TTL) at work, not a business
fact, so it must leave the projections alone. Each keeps one projection in the projections table and
logs one ``event_applied`` line per event it applied (the oracles count them) and one ``record_ignored``
line per record it skipped.

- ``type_counts``: ``type#<event_type>`` -> events of that type.
- ``entity_totals``: ``entity#<entity_id>`` -> events about the entity and the sum of their amounts.
- ``entity_totals_handles_remove`` is the planted bug: it takes a REMOVE for a deletion of the event and
  subtracts it, so every TTL expiry erases history from the projection.
"""
from __future__ import annotations

import json
import os
from typing import Any

import boto3

PROJECTIONS_TABLE = os.environ["PROJECTIONS_TABLE"]
CONSUMER = os.environ["CONSUMER"]

dynamodb = boto3.client("dynamodb")


def _event(image: dict[str, Any]) -> dict[str, Any]:
    payload = json.loads(image["event_payload"]["S"])
    return {"event_id": image["event_id"]["S"], "timestamp": image["timestamp"]["S"],
            "event_type": image["event_type"]["S"], "entity_id": payload["entity_id"],
            "amount_cents": int(payload.get("amount_cents", 0))}


def _add(name: str, events: int, amount_cents: int | None = None) -> None:
    values = {":n": {"N": str(events)}}
    expression = "ADD events :n"
    if amount_cents is not None:
        values[":a"] = {"N": str(amount_cents)}
        expression += ", amount_cents :a"
    dynamodb.update_item(TableName=PROJECTIONS_TABLE, Key={"name": {"S": name}}, UpdateExpression=expression,
                         ExpressionAttributeValues=values)


def _log(kind: str, record: dict[str, Any], **fields: Any) -> None:
    keys = record["dynamodb"]["Keys"]
    print(json.dumps({"event": kind, "consumer": CONSUMER, "key": f"{keys['event_id']['S']}|{keys['timestamp']['S']}",
                      "event_name": record["eventName"], **fields}))


def _ignore(record: dict[str, Any]) -> None:
    _log("record_ignored", record, user_identity=record.get("userIdentity"))


def type_counts(event: dict[str, Any], context: Any) -> dict[str, int]:
    for record in event["Records"]:
        if record["eventName"] != "INSERT":
            _ignore(record)
            continue
        e = _event(record["dynamodb"]["NewImage"])
        _add(f"type#{e['event_type']}", 1)
        _log("event_applied", record)
    return {"records": len(event["Records"])}


def entity_totals(event: dict[str, Any], context: Any) -> dict[str, int]:
    for record in event["Records"]:
        if record["eventName"] != "INSERT":
            _ignore(record)
            continue
        e = _event(record["dynamodb"]["NewImage"])
        _add(f"entity#{e['entity_id']}", 1, e["amount_cents"])
        _log("event_applied", record)
    return {"records": len(event["Records"])}


def entity_totals_handles_remove(event: dict[str, Any], context: Any) -> dict[str, int]:
    for record in event["Records"]:
        if record["eventName"] == "INSERT":
            e = _event(record["dynamodb"]["NewImage"])
            _add(f"entity#{e['entity_id']}", 1, e["amount_cents"])
            _log("event_applied", record)
        elif record["eventName"] == "REMOVE":
            e = _event(record["dynamodb"]["OldImage"])
            _add(f"entity#{e['entity_id']}", -1, -e["amount_cents"])
            _log("event_removed", record)
        else:
            _ignore(record)
    return {"records": len(event["Records"])}
