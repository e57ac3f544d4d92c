"""Handlers for the EventBridge integration tests (a handler module, like a user's: no tests here).

Each harness run imports it afresh, so CALLS belongs to one run (see conftest.module_state).
"""
from __future__ import annotations

import json
import os
import time
from typing import Any

CALLS: list[Any] = []


def record(event: Any, context: Any) -> dict[str, Any]:
    CALLS.append(event)
    return {"seen": len(CALLS)}


def always_fails(event: Any, context: Any) -> None:
    CALLS.append(event)
    raise ValueError("poison")


def slow(event: Any, context: Any) -> None:
    time.sleep(float(os.environ.get("SLOW_S", "0.5")))
    CALLS.append(event)


def publish(event: Any, context: Any) -> None:
    """Puts an event on the bus named by $BUS with plain boto3: AWS_ENDPOINT_URL_EVENTBRIDGE reaches the harness."""
    import boto3

    response = boto3.client("events").put_events(Entries=[{
        "Source": "from-handler", "DetailType": "Relayed", "EventBusName": os.environ["BUS"],
        "Detail": json.dumps({"relayed": event["detail"], "by": context.function_name})}])
    assert response["FailedEntryCount"] == 0, response
    CALLS.append(event)
