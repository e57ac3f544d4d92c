"""The table-to-bus functions, written as users write them: plain boto3, module-level clients, settings
from the environment (EVENT_BUS, HISTORY_TABLE, COUNTS_TABLE). Nothing here knows about the harness.

Stream processors (the table's stream, BatchSize 100 by default):

- ``as_published``: the article's code as printed. Its docstring says batches hold at most 10 records,
  but an event source mapping's default BatchSize is 100, and PutEvents takes at most 10 entries: a
  batch of more than 10 records fails the whole call (ValidationException), the batch is retried
  until given up, and its records never reach the bus. It never reads FailedEntryCount, so an entry
  the bus rejects is lost silently. ``datetime.utcfromtimestamp`` is deprecated (Python 3.12) and
  returns a naive datetime (botocore reads it as UTC, so the time is right).
- ``decimal``: the gotcha the article's comment names, planted: the images deserialised with
  boto3's TypeDeserializer (to publish plain JSON) turn every number into ``Decimal``, which
  ``json.dumps`` refuses; every record of an item with a number fails its batch.
- ``fixed``: entries in chunks of 10, an aware UTC time, FailedEntryCount read; rejected entries are
  re-sent, and if any is still rejected the handler raises so the mapping retries the batch.
- ``ignores_failed_entries``: ``fixed`` without reading FailedEntryCount (the article's other bug, alone:
  in ``as_published`` the 10-entry failure comes first and hides it).

``history`` (target of the INSERT/MODIFY rule, with ``InputPath: $.detail``: it receives the stream
record) writes which attributes changed, and by whom, keyed by the record's eventID (a redelivery
overwrites the same item). ``count_members`` consumes the FIFO queue's messages (SQS event shape) and
keeps a count per customer, once per stream record.
"""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

EVENT_BUS = os.getenv("EVENT_BUS")
HISTORY_TABLE = os.getenv("HISTORY_TABLE", "History")
COUNTS_TABLE = os.getenv("COUNTS_TABLE", "Counts")

SOURCE = "my-service.database"
MAX_ENTRIES_PER_PUT = 10  # PutEvents takes 1-10 entries
RESEND_ATTEMPTS = 3

events_client = boto3.client("events")
dynamodb = boto3.resource("dynamodb")


# ----- the article's stream processor, as published -----------------------------------------------

def as_published(event, context):
    """This Lambda function takes DynamoDB stream events and publishes them to an
    EventBridge EventBus in batches (DynamoDB streams can be submitted in batches of a
    maximum of 10).
    """
    events_to_put = []
    for record in event["Records"]:
        print(f"Event: {record['eventName']}/{record['eventID']}")
        table_arn, _ = record["eventSourceARN"].split("/stream")
        events_to_put.append(
            {
                "Time": datetime.utcfromtimestamp(
                    record["dynamodb"]["ApproximateCreationDateTime"]
                ),
                "Source": "my-service.database",
                "Resources": [table_arn],
                "DetailType": record["eventName"],
                "Detail": json.dumps(record),  # Gotcha here: Decimal() objects require handling
                "EventBusName": EVENT_BUS,
            }
        )
    events_client.put_events(Entries=events_to_put)
    return "ok"


# ----- the Decimal gotcha, planted ----------------------------------------------------------------

_deserializer = TypeDeserializer()


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its keys and images as plain values (numbers become Decimal)."""
    ddb = dict(record["dynamodb"])
    for part in ("Keys", "NewImage", "OldImage"):
        if part in ddb:
            ddb[part] = {k: _deserializer.deserialize(v) for k, v in ddb[part].items()}
    return {**record, "dynamodb": ddb}


def decimal(event, context):
    return _publish(event["Records"], lambda record: json.dumps(_plain(record)))


# ----- the corrected stream processor -------------------------------------------------------------

class PutEventsFailed(Exception):
    """Entries still rejected after re-sending; raising makes the event source mapping retry the batch."""


def _entry(record: dict[str, Any], detail: str) -> dict[str, Any]:
    table_arn = record["eventSourceARN"].split("/stream")[0]
    return {"Time": datetime.fromtimestamp(record["dynamodb"]["ApproximateCreationDateTime"], tz=timezone.utc),
            "Source": SOURCE, "Resources": [table_arn], "DetailType": record["eventName"], "Detail": detail,
            "EventBusName": EVENT_BUS}


def _put_chunk(entries: list[dict[str, Any]]) -> None:
    """PutEvents, re-sending only the rejected entries (with a short backoff) before giving up."""
    for attempt in range(RESEND_ATTEMPTS):
        response = events_client.put_events(Entries=entries)
        if not response.get("FailedEntryCount"):
            return
        entries = [e for e, r in zip(entries, response["Entries"]) if r.get("ErrorCode")]
        time.sleep(0.05 * 2 ** attempt)
    codes = sorted({r.get("ErrorCode") for r in response["Entries"] if r.get("ErrorCode")})
    raise PutEventsFailed(f"PutEvents rejected {len(entries)} entries after {RESEND_ATTEMPTS} attempts: {codes}")


def _publish(records: list[dict[str, Any]], detail: Any) -> str:
    entries = [_entry(r, detail(r)) for r in records]
    for i in range(0, len(entries), MAX_ENTRIES_PER_PUT):
        _put_chunk(entries[i:i + MAX_ENTRIES_PER_PUT])
    return "ok"


def fixed(event, context):
    return _publish(event["Records"], json.dumps)


def ignores_failed_entries(event, context):
    """``fixed`` without reading FailedEntryCount: chunks of 10, but a rejected entry is lost silently."""
    entries = [_entry(r, json.dumps(r)) for r in event["Records"]]
    for i in range(0, len(entries), MAX_ENTRIES_PER_PUT):
        events_client.put_events(Entries=entries[i:i + MAX_ENTRIES_PER_PUT])  # planted: the response unread
    return "ok"


# ----- the history function (rule 1) ---------------------------------------------------------------

def changed_attributes(record: dict[str, Any]) -> list[str]:
    """Attribute names an INSERT sets, or a MODIFY adds, removes or changes."""
    old = record["dynamodb"].get("OldImage", {})
    new = record["dynamodb"].get("NewImage", {})
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def history(event, context):
    keys = event["dynamodb"]["Keys"]
    new = event["dynamodb"].get("NewImage", {})
    dynamodb.Table(HISTORY_TABLE).put_item(Item={
        "event_id": event["eventID"], "item_pk": keys["pk"]["S"], "item_sk": keys["sk"]["S"],
        "event_name": event["eventName"], "sequence_number": event["dynamodb"]["SequenceNumber"],
        "changed": changed_attributes(event), "changed_by": new.get("updated_by", {}).get("S", "unknown"),
    })
    return "ok"


# ----- the FIFO consumer (rule 2) -------------------------------------------------------------------

def count_members(event, context, client: Any = None, table_name: str | None = None):
    """Per message (a whole bus event): +1 for an INSERT, -1 for a REMOVE of the customer's member item,
    once per stream record (a marker item, written in the same transaction, makes a resent event a no-op).
    ``client`` and ``table_name`` let a poller outside Lambda hand in its own."""
    client = client or dynamodb.meta.client
    table_name = table_name or COUNTS_TABLE
    for message in event["Records"]:
        bus_event = json.loads(message["body"])
        record = bus_event["detail"]
        customer = record["dynamodb"]["Keys"]["pk"]["S"].removeprefix("OID#")
        delta = {"INSERT": 1, "REMOVE": -1}[record["eventName"]]
        try:
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": table_name, "Item": {"pk": {"S": f"EVENT#{record['eventID']}"}},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": table_name, "Key": {"pk": {"S": f"CUSTOMER#{customer}"}},
                            "UpdateExpression": "ADD members :d", "ExpressionAttributeValues": {":d": {"N": str(delta)}}}},
            ])
        except ClientError as e:
            reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
            if reasons[:1] != ["ConditionalCheckFailed"]:  # anything but "already counted" is retried
                raise
    return {"batchItemFailures": []}
