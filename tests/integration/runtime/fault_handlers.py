"""Handlers for the fault-injection and replay tests: each reads the item its record names and sends
one event per record, as users' stream handlers do (module-level clients, env config)."""
from __future__ import annotations

import json
import os
from typing import Any

import boto3

TABLE = os.environ.get("TABLE", "items")
ddb = boto3.client("dynamodb")
events = boto3.client("events")


def forward(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """GetItem per record, one PutEvents for the batch; raises if the bus rejected an entry (so the
    mapping retries)."""
    entries = []
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["k"]["S"]
        item = ddb.get_item(TableName=TABLE, Key={"k": {"S": key}}, ConsistentRead=True).get("Item", {})
        print(json.dumps({"event": "forwarded", "k": key}))
        entries.append({"Source": "tests.faults", "DetailType": "forwarded",
                        "Detail": json.dumps({"k": key, "colour": item.get("colour", {}).get("S")})})
    response = events.put_events(Entries=entries)
    if response.get("FailedEntryCount"):
        codes = sorted({e.get("ErrorCode") for e in response["Entries"] if e.get("ErrorCode")})
        raise RuntimeError(f"PutEvents rejected {response['FailedEntryCount']} entries: {codes}")
    return {"forwarded": len(entries)}


def check(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails on an item whose colour (read from the table, not the record) is "red"."""
    seen = []
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["k"]["S"]
        item = ddb.get_item(TableName=TABLE, Key={"k": {"S": key}}, ConsistentRead=True)["Item"]
        if item["colour"]["S"] == "red":
            raise ValueError(f"item {key} is red (request {context.aws_request_id})")
        seen.append(f"{key}:{item['colour']['S']}")
    return {"checked": seen}
