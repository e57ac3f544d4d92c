"""The article's stream processor, as a fixture: every stream record becomes an event on the bus."""
from __future__ import annotations

import json
import os
from typing import Any

import boto3

events = boto3.client("events")


def lambda_handler(event: dict[str, Any], context: Any) -> str:
    entries = []
    for record in event["Records"]:
        table_arn = record["eventSourceARN"].split("/stream")[0]
        entries.append({"Source": "my-service.database", "Resources": [table_arn], "DetailType": record["eventName"],
                        "Detail": json.dumps(record), "EventBusName": os.environ["EVENT_BUS"]})
    events.put_events(Entries=entries)
    return "ok"
