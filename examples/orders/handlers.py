"""The handler behind examples/topology.yaml: reacts to paid orders and to deletions.

It reports the records it could not process through ``batchItemFailures`` (the mapping enables
ReportBatchItemFailures), so only those are retried and, after MaximumRetryAttempts, reported to the
order-failures queue.
"""
from __future__ import annotations

import json
import os
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_deserialize = TypeDeserializer().deserialize


def _image(record: dict[str, Any], which: str) -> dict[str, Any]:
    return {k: _deserialize(v) for k, v in record["dynamodb"].get(which, {}).items()}


def on_order_change(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event["Records"]:
        try:
            if record["eventName"] == "REMOVE":
                order = _image(record, "OldImage") or _image(record, "Keys")
                print(json.dumps({"event": "order_removed", "order_id": order.get("order_id")}))
                continue
            order = _image(record, "NewImage")
            if order.get("total") is None:
                raise ValueError(f"order {order.get('order_id')} has no total")
            print(json.dumps({"event": "order_paid", "order_id": order["order_id"], "total": str(order["total"]),
                              "table": os.environ["ORDERS_TABLE"]}))
        except Exception as e:  # report the record, keep going with the others
            print(json.dumps({"event": "order_failed", "error": str(e)}))
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}
