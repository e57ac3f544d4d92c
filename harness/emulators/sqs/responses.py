"""SQS's JSON protocol (what boto3 >= 1.34 and AWS CLI v2 send): ``X-Amz-Target: AmazonSQS.<Op>``,
``application/x-amz-json-1.0`` -> the model.

Errors go out as AWS sends them: ``{"__type": "com.amazonaws.sqs#<Shape>", "message": ...}`` plus
the ``x-amzn-query-error: <Code>;Sender`` header, from which botocore takes ``Error.Code`` (e.g.
``AWS.SimpleQueueService.NonExistentQueue``) while the shape picks the modeled exception class.
The older query protocol (form-encoded ``Action=SendMessage``) is answered with an error that
says so.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from harness.emulators.protocol import Operations, json_request, required
from harness.emulators.sqs.exceptions import InvalidAction, MissingParameter, SerializationException, SqsError
from harness.emulators.sqs.models import SqsModel

TARGET_PREFIX = "AmazonSQS."
CONTENT_TYPE = "application/x-amz-json-1.0"

Operation = Callable[[SqsModel, Mapping[str, Any]], dict[str, Any]]
operation: Operations[Operation] = Operations()
OPERATIONS = operation.handlers


def _required(p: Mapping[str, Any], name: str) -> Any:
    return required(p, name, lambda n: MissingParameter(f"The request must contain the parameter {n}."))


def _b64(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Binary attribute values travel as base64 text in JSON."""
    return {k: ({**v, "BinaryValue": base64.b64encode(v["BinaryValue"]).decode()} if "BinaryValue" in v else dict(v))
            for k, v in attributes.items()}


class SqsApi:
    """The HTTP-free request handler: ``handle(target, body) -> (status, headers, body bytes)``."""

    def __init__(self, model: SqsModel) -> None:
        self.model = model

    def handle(self, target: str | None, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            _, op, params = json_request(operation, TARGET_PREFIX, target, body, unknown=InvalidAction,
                                         malformed=SerializationException)
            return 200, {}, json.dumps(op(self.model, params), separators=(",", ":")).encode()
        except SqsError as e:
            return error(e)


def error(e: SqsError) -> tuple[int, dict[str, str], bytes]:
    """AWS's JSON error, with the query protocol's code in ``x-amzn-query-error`` (botocore's Error.Code)."""
    return e.status, {"x-amzn-query-error": f"{e.code};{'Sender' if e.sender_fault else 'Receiver'}"}, \
        json.dumps({"__type": f"com.amazonaws.sqs#{e.type}", "message": e.message}).encode()


@operation("CreateQueue")
def create_queue(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return {"QueueUrl": m.create_queue(_required(p, "QueueName"), p.get("Attributes"), p.get("tags"))}


@operation("GetQueueUrl")
def get_queue_url(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return {"QueueUrl": m.get_queue_url(_required(p, "QueueName"), p.get("QueueOwnerAWSAccountId"))}


@operation("DeleteQueue")
def delete_queue(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.delete_queue(_required(p, "QueueUrl"))
    return {}


def _paged(urls: list[str], p: Mapping[str, Any]) -> dict[str, Any]:
    limit = p.get("MaxResults")
    if limit is None:
        return {"QueueUrls": urls[:1000]} if urls else {}
    start = int(p.get("NextToken") or 0)
    out: dict[str, Any] = {"QueueUrls": urls[start:start + int(limit)]}
    if start + int(limit) < len(urls):
        out["NextToken"] = str(start + int(limit))
    return out


@operation("ListQueues")
def list_queues(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return _paged(m.list_queues(p.get("QueueNamePrefix")), p)


@operation("ListDeadLetterSourceQueues")
def list_dead_letter_source_queues(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    out = _paged(m.list_dead_letter_source_queues(_required(p, "QueueUrl")), p)
    return {"queueUrls": out.pop("QueueUrls", []), **out}


@operation("GetQueueAttributes")
def get_queue_attributes(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    attributes = m.get_queue_attributes(_required(p, "QueueUrl"), p.get("AttributeNames") or [])
    return {"Attributes": attributes} if attributes else {}


@operation("SetQueueAttributes")
def set_queue_attributes(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.set_queue_attributes(_required(p, "QueueUrl"), _required(p, "Attributes"))
    return {}


@operation("PurgeQueue")
def purge_queue(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.purge_queue(_required(p, "QueueUrl"))
    return {}


@operation("TagQueue")
def tag_queue(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.tag_queue(_required(p, "QueueUrl"), _required(p, "Tags"))
    return {}


@operation("UntagQueue")
def untag_queue(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.untag_queue(_required(p, "QueueUrl"), _required(p, "TagKeys"))
    return {}


@operation("ListQueueTags")
def list_queue_tags(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    tags = m.list_queue_tags(_required(p, "QueueUrl"))
    return {"Tags": tags} if tags else {}


@operation("SendMessage")
def send_message(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return m.send_message(_required(p, "QueueUrl"), p.get("MessageBody"), p.get("DelaySeconds"),
                          p.get("MessageAttributes"), p.get("MessageSystemAttributes"), p.get("MessageGroupId"),
                          p.get("MessageDeduplicationId"))


@operation("SendMessageBatch")
def send_message_batch(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return m.send_message_batch(_required(p, "QueueUrl"), p.get("Entries") or [])


@operation("ReceiveMessage")
def receive_message(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    names = list(p.get("AttributeNames") or []) + list(p.get("MessageSystemAttributeNames") or [])
    messages = m.receive_message(_required(p, "QueueUrl"), p.get("MaxNumberOfMessages"), p.get("VisibilityTimeout"),
                                 p.get("WaitTimeSeconds"), names, p.get("MessageAttributeNames"))
    for msg in messages:
        if "MessageAttributes" in msg:
            msg["MessageAttributes"] = _b64(msg["MessageAttributes"])
    return {"Messages": messages} if messages else {}


@operation("DeleteMessage")
def delete_message(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.delete_message(_required(p, "QueueUrl"), _required(p, "ReceiptHandle"))
    return {}


@operation("DeleteMessageBatch")
def delete_message_batch(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return m.delete_message_batch(_required(p, "QueueUrl"), p.get("Entries") or [])


@operation("ChangeMessageVisibility")
def change_message_visibility(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.change_message_visibility(_required(p, "QueueUrl"), _required(p, "ReceiptHandle"), p.get("VisibilityTimeout"))
    return {}


@operation("ChangeMessageVisibilityBatch")
def change_message_visibility_batch(m: SqsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return m.change_message_visibility_batch(_required(p, "QueueUrl"), p.get("Entries") or [])


__all__ = ["CONTENT_TYPE", "OPERATIONS", "SqsApi", "TARGET_PREFIX", "error"]
