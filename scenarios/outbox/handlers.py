"""The outbox pipeline's functions: producer, publisher, consumer.

A correlation id travels with every event: the producer gets it as the ``x-correlation-id`` header and
stores it in the outbox item; the publisher sends it as the ``correlation_id`` message attribute; the
consumer logs it. Each function prints one JSON line per unit of work, carrying the correlation id, so
one id finds an event in every hop's log.
"""
from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import boto3

ACCEPTED_CURRENCIES = frozenset({"EUR", "GBP", "USD"})


@cache
def _cached_client(service: str, endpoint: str | None) -> Any:
    return boto3.client(service)


def _client(service: str) -> Any:
    """One client per service and endpoint, made on first use, as a function's init code would (a client per
    invocation costs more than the call it makes)."""
    return _cached_client(service, os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}"))


def _log(**fields: Any) -> None:
    print(json.dumps(fields, default=str))


class CorruptPayload(ValueError):
    """An outbox item whose payload is not the JSON object it should be."""


class Unprocessable(ValueError):
    """A message the consumer cannot act on (it fails on every receive)."""


def producer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The order service's write: one outbox item per domain event (an API Gateway-shaped request)."""
    cid = event["headers"]["x-correlation-id"]
    body = event["body"]
    _client("dynamodb").put_item(TableName=os.environ["OUTBOX_TABLE"], **outbox_write(cid, body))
    _log(event="outbox_written", correlation_id=cid, order_id=body["order_id"], seq=body["seq"])
    return {"statusCode": 202, "headers": {"x-correlation-id": cid}}


def outbox_write(cid: str, body: dict[str, Any]) -> dict[str, Any]:
    """The producer's PutItem arguments but the table: the outbox item, written once."""
    return {"Item": {"order_id": {"S": body["order_id"]}, "seq": {"N": str(body["seq"])},
                     "event_type": {"S": body["event_type"]}, "correlation_id": {"S": cid},
                     "payload": {"S": body["payload"]}},
            "ConditionExpression": "attribute_not_exists(order_id)"}


def _message(record: dict[str, Any]) -> dict[str, Any]:
    image = record["dynamodb"]["NewImage"]
    oid, seq, cid = image["order_id"]["S"], int(image["seq"]["N"]), image["correlation_id"]["S"]
    try:
        payload = json.loads(image["payload"]["S"])
        if not isinstance(payload, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:
        raise CorruptPayload(f"corrupt payload in outbox item {oid}#{seq} (correlation id {cid}): {e}") from None
    return {"order_id": oid, "seq": seq, "correlation_id": cid, "event_type": image["event_type"]["S"],
            "body": json.dumps(payload)}


def publisher(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Stream records -> messages, in stream order. The whole batch is parsed before anything is sent, so a
    failing batch sent nothing and its retry (or a bisected half) sends no duplicate."""
    messages = [_message(r) for r in event["Records"] if r["eventName"] == "INSERT"]
    for m in messages:
        _send(m)
    return {"published": len(messages)}


def _send(m: dict[str, Any]) -> None:
    """One message to the topic (fan-out) or the queue, the correlation id and event type as its attributes."""
    topic = os.environ.get("TOPIC_ARN")
    client = _client("sns" if topic else "sqs")
    attributes = {"correlation_id": {"DataType": "String", "StringValue": m["correlation_id"]},
                  "event_type": {"DataType": "String", "StringValue": m["event_type"]}}
    if topic:
        sent = client.publish(TopicArn=topic, Message=m["body"], MessageAttributes=attributes)
    else:
        sent = client.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=m["body"],
                                   MessageAttributes=attributes)
    _log(event="published", correlation_id=m["correlation_id"], order_id=m["order_id"], seq=m["seq"],
         message_id=sent["MessageId"], to="topic" if topic else "queue")


def consumer(event: dict[str, Any], context: Any) -> None:
    """An SQS-triggered consumer (batch size 1): acts on the order event, or fails so SQS redelivers."""
    for r in event["Records"]:
        cid = r["messageAttributes"]["correlation_id"]["stringValue"]
        body = json.loads(r["body"])
        fields = {"correlation_id": cid, "message_id": r["messageId"], "order_id": body["order_id"],
                  "queue": r["eventSourceARN"].rsplit(":", 1)[-1],
                  "receive_count": int(r["attributes"]["ApproximateReceiveCount"])}
        if body["currency"] not in ACCEPTED_CURRENCIES:
            _log(event="consume_failed", **fields)
            raise Unprocessable(f"order {body['order_id']}: currency {body['currency']} not accepted "
                                f"(correlation id {cid})")
        _log(event="consumed", type=body["type"], **fields)
