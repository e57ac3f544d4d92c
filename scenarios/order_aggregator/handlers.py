"""The order pipeline's Lambda functions, written as users write them: plain boto3, module-level clients,
configuration from the environment (EVENTS_TABLE, EVENT_BUS_NAME, INVOICES_TABLE). Nothing here knows
about the harness; deploy this file to Lambda as it is.

Aggregators (triggered by the Events table's stream, BatchSize > 1):

- ``as_published``: the article's code with its three bugs kept on purpose --
  1. it reads only ``event['Records'][0]``: every other record of the batch is dropped, so an order
     whose last check arrives second in a batch is never aggregated in its final state;
  2. it Scans the whole Events table with a FilterExpression on order_id: a Scan reads (and bills)
     every item and only then filters, so each record costs the size of the table (and, unpaginated,
     it misses whatever lies beyond the first 1 MB page);
  3. it sends ``Detail='json.dumps(event_status)'`` -- the quoted *string*, not the call. EventBridge
     accepts only a JSON object as Detail, so PutEvents answers HTTP 200 with ``FailedEntryCount: 1``
     and ``ErrorCode: MalformedDetail`` for the entry; the handler never looks at FailedEntryCount
     (neither does the article), so every aggregated event is lost silently and no invoice is made.
- ``fixed``: handles every record of the batch, Queries the order's items by key (ConsistentRead, so
  the write that produced the record is seen), sends the real JSON detail, also raises an "Order
  Rejected" event for an order with a FAILED check, and raises if any entry failed so the event
  source mapping retries the batch.
- one bug each, on top of ``fixed`` (the bug table's variants): ``records_first_only``, ``scan``,
  ``literal_detail``, ``ignores_failed_entries`` (FailedEntryCount never read: an entry the bus
  rejects is lost silently).

Invoice functions (targets of the bus rule; they receive EventBridge's envelope):

- ``invoice``: conditional PutItem (``attribute_not_exists(order_id)``): a duplicate aggregated event
  (a retried batch, a duplicate or re-aggregated check) never creates a second invoice.
- ``invoice_as_published``: an unconditional PutItem: every matching event is one more invoice (the
  item is overwritten, but each call is an invoice issued), so a check re-sent after both passed, which
  the aggregator aggregates again, invoices the order twice.

Each function prints one JSON line per unit of work (``record_processed``, ``invoice_created``,
``invoice_exists``), as a metric filter would count them; in ``as_published`` that line is the only
addition to the article's code.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from decimal import Decimal
from collections.abc import Callable
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

EVENTS_TABLE = os.environ.get("EVENTS_TABLE", "Events")
EVENT_BUS_NAME = os.environ.get("EVENT_BUS_NAME", "default")
INVOICES_TABLE = os.environ.get("INVOICES_TABLE", "Invoices")

SOURCE = "orders.aggregator"
DETAIL_TYPE = "Order Events Aggregated"
REJECTED_DETAIL_TYPE = "Order Rejected"
CHECKS = ("Account Check", "In Stock")
MAX_ENTRIES_PER_PUT = 10  # PutEvents takes 1-10 entries

dynamodb = boto3.resource("dynamodb")
events = boto3.client("events")
events_table = dynamodb.Table(EVENTS_TABLE)
invoices_table = dynamodb.Table(INVOICES_TABLE)


def _log(**fields: Any) -> None:
    print(json.dumps(fields, default=str))


def _log_processed(record: dict[str, Any], order_id: str) -> None:
    _log(event="record_processed", event_id=record.get("eventID"), order_id=order_id,
         sequence_number=record.get("dynamodb", {}).get("SequenceNumber"), event_name=record.get("eventName"))


# ----- the article's aggregator -----------------------------------------------------------------

def as_published(event, context):
    record = event['Records'][0]  # BUG 1: only the first record of the batch
    order_id = record['dynamodb']['Keys']['order_id']['S']

    # BUG 2: a Scan of the whole table, filtered afterwards (and never paginated)
    response = events_table.scan(FilterExpression=Attr('order_id').eq(order_id))
    event_status = {}
    for item in response['Items']:
        event_status[item['event_name']] = item['status']

    # BUG 3: the literal string, not json.dumps(event_status). EventBridge rejects the entry with
    # MalformedDetail (FailedEntryCount 1, HTTP 200); nobody checks, so the event is silently lost.
    events.put_events(
        Entries=[
            {
                'Source': SOURCE,
                'DetailType': DETAIL_TYPE,
                'Detail': 'json.dumps(event_status)',
                'EventBusName': EVENT_BUS_NAME,
            }
        ]
    )
    _log_processed(record, order_id)  # instrumentation, not in the article
    return {'statusCode': 200}


# ----- the corrected aggregator -----------------------------------------------------------------

class PutEventsFailed(Exception):
    """Some entries were not accepted by EventBridge; raising makes the event source mapping retry the
    batch (the invoice function is idempotent, so re-sent events are harmless)."""

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        self.failures = failures
        codes = sorted({f.get("ErrorCode") or "?" for f in failures})
        super().__init__(f"PutEvents failed {len(failures)} entries ({', '.join(codes)}): "
                         + "; ".join(f"{f.get('DetailType')} for {f.get('order_id')}: {f.get('ErrorMessage')}"
                                     for f in failures[:5]))


def order_events(order_id: str) -> dict[str, str]:
    """``{event_name: status}`` of every item of the order, read by key, all pages, strongly consistent."""
    kwargs: dict[str, Any] = {"KeyConditionExpression": Key("order_id").eq(order_id), "ConsistentRead": True}
    items: list[dict[str, Any]] = []
    while True:
        page = events_table.query(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    statuses = {item["event_name"]: item["status"] for item in items}
    ordered = {name: statuses[name] for name in CHECKS if name in statuses}
    ordered.update({k: v for k, v in sorted(statuses.items()) if k not in ordered})
    return ordered


def _entry(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": EVENT_BUS_NAME}


def _put_all(entries: list[dict[str, Any]]) -> None:
    failures: list[dict[str, Any]] = []
    for start in range(0, len(entries), MAX_ENTRIES_PER_PUT):
        chunk = entries[start:start + MAX_ENTRIES_PER_PUT]
        response = events.put_events(Entries=chunk)
        if response.get("FailedEntryCount", 0):
            for sent, result in zip(chunk, response["Entries"]):
                if "ErrorCode" in result:
                    failures.append({"DetailType": sent["DetailType"],
                                     "order_id": json.loads(sent["Detail"]).get("order_id"),
                                     "ErrorCode": result["ErrorCode"], "ErrorMessage": result.get("ErrorMessage")})
    if failures:
        raise PutEventsFailed(failures)


def _aggregate(records: list[dict[str, Any]], *, read: Callable[[str], dict[str, str]] = order_events,
               entry: Callable[[str, dict[str, Any]], dict[str, Any]] = _entry,
               put: Callable[[list[dict[str, Any]]], None] = _put_all) -> dict[str, int]:
    """One aggregated event per order of the batch (and a rejection for an order with a FAILED check);
    the single-bug variants below swap one of the three steps for a faulty one."""
    order_ids = list(dict.fromkeys(r["dynamodb"]["Keys"]["order_id"]["S"] for r in records))  # once per order
    entries = []
    for order_id in order_ids:
        statuses = read(order_id)
        entries.append(entry(DETAIL_TYPE, {"order_id": order_id, "events": statuses}))
        failed = [name for name in CHECKS if statuses.get(name) == "FAILED"]
        if failed:
            entries.append(entry(REJECTED_DETAIL_TYPE, {"order_id": order_id, "failed_checks": failed,
                                                        "events": statuses}))
    put(entries)
    for record in records:
        _log_processed(record, record["dynamodb"]["Keys"]["order_id"]["S"])
    return {"records": len(records), "orders": len(order_ids), "entries": len(entries)}


def fixed(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _aggregate(event["Records"])


# ----- the article's bugs, one at a time on top of the corrected aggregator ------------------------

def records_first_only(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _aggregate(event["Records"][:1])  # planted: only Records[0], as the article reads the batch


def _scanned_events(order_id: str) -> dict[str, str]:
    response = events_table.scan(FilterExpression=Attr("order_id").eq(order_id))  # planted: a Scan per record
    return {item["event_name"]: item["status"] for item in response["Items"]}


def scan(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _aggregate(event["Records"], read=_scanned_events)


def _put_unchecked(entries: list[dict[str, Any]]) -> None:
    for start in range(0, len(entries), MAX_ENTRIES_PER_PUT):
        events.put_events(Entries=entries[start:start + MAX_ENTRIES_PER_PUT])  # planted: FailedEntryCount unread


def ignores_failed_entries(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _aggregate(event["Records"], put=_put_unchecked)


def _literal_entry(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {**_entry(detail_type, detail), "Detail": "json.dumps(event_status)"}  # planted: the quoted string


def literal_detail(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The article's Detail line alone. FailedEntryCount is not read here either: read, it would fail every
    batch (MalformedDetail) and retry it for ever, a stall rather than a report."""
    return _aggregate(event["Records"], entry=_literal_entry, put=_put_unchecked)


# ----- invoice processing -----------------------------------------------------------------------

def _invoice_item(event: dict[str, Any]) -> dict[str, Any]:
    detail = event.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("order_id"), str):
        raise ValueError(f"not an aggregated order event: detail={detail!r}")
    item: dict[str, Any] = {
        "order_id": detail["order_id"],
        "invoice_id": "INV-" + uuid.uuid4().hex[:16].upper(),
        "created_at": Decimal(repr(time.time())),
        "checks": dict(detail.get("events") or {}),
    }
    if event.get("id"):
        item["event_id"] = event["id"]  # the EventBridge event that caused it
    return item


def _created(item: dict[str, Any]) -> dict[str, Any]:
    _log(event="invoice_created", order_id=item["order_id"], invoice_id=item["invoice_id"],
         created_at=float(item["created_at"]), event_id=item.get("event_id"))
    return {"order_id": item["order_id"], "invoice_id": item["invoice_id"], "created": True}


def invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    item = _invoice_item(event)
    try:
        invoices_table.put_item(Item=item, ConditionExpression="attribute_not_exists(order_id)")
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        _log(event="invoice_exists", order_id=item["order_id"], event_id=item.get("event_id"))
        return {"order_id": item["order_id"], "created": False}
    return _created(item)


def invoice_as_published(event: dict[str, Any], context: Any) -> dict[str, Any]:
    item = _invoice_item(event)
    invoices_table.put_item(Item=item)  # no condition: every matching event is one more invoice
    return _created(item)
