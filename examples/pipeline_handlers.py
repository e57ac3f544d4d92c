"""The handler of examples/pipeline.yaml: each new order becomes an "Order Placed" event on the shop bus."""
from __future__ import annotations

import json
import os
from typing import Any

import boto3

events = boto3.client("events")  # reaches the harness's backend: its endpoint is in the environment


def announce(event: dict[str, Any], context: Any) -> None:
    entries = []
    for record in event["Records"]:
        item = record["dynamodb"]["NewImage"]
        detail = {"order_id": item["order_id"]["S"], "total": int(item["total"]["N"])}
        entries.append({"Source": "shop.orders", "DetailType": "Order Placed", "Detail": json.dumps(detail),
                        "EventBusName": os.environ["BUS"]})
    for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
        response = events.put_events(Entries=entries[start:start + 10])
        if response["FailedEntryCount"]:
            raise RuntimeError(f"PutEvents rejected entries: {response['Entries']}")
