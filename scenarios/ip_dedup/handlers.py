"""The detector Lambda, written as a user would write it: plain boto3, configuration from the environment.

``detector`` is correct. ``detector_forgets_delete`` is the classic bug: without the delete the IP's
next packet is a MODIFY (filtered out), so a returning IP is never checked again.
"""
from __future__ import annotations

import itertools
import json
import os
import time
from typing import Any

import boto3

from streamharness.scenarios.ip_dedup.blocklist import Blocklist

TABLE_NAME = os.environ["TABLE_NAME"]
ALERTS_QUEUE_URL = os.environ["ALERTS_QUEUE_URL"]
with open(os.environ["BLOCKLIST_PATH"]) as f:
    BLOCKLIST = Blocklist.from_json(f.read())

BATCH_WRITE_MAX = 25

dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")


def _check(record: dict[str, Any]) -> str:
    ip = record["dynamodb"]["Keys"]["ip"]["S"]
    dangerous = BLOCKLIST.is_dangerous_ip(ip)
    # one structured log line per check: the oracle counts these, as a metric filter would
    print(json.dumps({"event": "ip_checked", "ip": ip, "dangerous": dangerous}))
    if dangerous:
        sqs.send_message(QueueUrl=ALERTS_QUEUE_URL, MessageBody=json.dumps(
            {"ip": ip, "sequence_number": record["dynamodb"]["SequenceNumber"]}))
    return ip


def detector(event: dict[str, Any], context: Any) -> dict[str, int]:
    ips = [_check(record) for record in event["Records"]]
    _delete(ips)
    return {"checked": len(ips)}


def _delete(ips: list[str]) -> None:
    """Delete the checked IPs' items, 25 per BatchWriteItem (its maximum; one key once per request),
    one call per 25 deletes instead of one each; what comes back unprocessed is sent again after a backoff."""
    keys = list(dict.fromkeys(ips))
    for i in range(0, len(keys), BATCH_WRITE_MAX):
        requests = [{"DeleteRequest": {"Key": {"ip": {"S": ip}}}} for ip in keys[i:i + BATCH_WRITE_MAX]]
        for attempt in itertools.count():
            unprocessed = dynamodb.batch_write_item(RequestItems={TABLE_NAME: requests}).get("UnprocessedItems", {})
            requests = unprocessed.get(TABLE_NAME, [])
            if not requests:
                break
            time.sleep(min(1.0, 0.05 * 2 ** attempt))


def detector_forgets_delete(event: dict[str, Any], context: Any) -> dict[str, int]:
    for record in event["Records"]:
        _check(record)  # planted: no delete_item, so the IP's next packet is a MODIFY
    return {"checked": len(event["Records"])}

