"""SNS's query protocol (form-encoded ``Action=Publish&...``, XML responses) -> the model.
Parsing and XML come from botocore's service model (:mod:`harness.emulators.query`)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.emulators import query
from harness.emulators.protocol import Operations, required
from harness.emulators.ids import new_id
from harness.emulators.sns.exceptions import InvalidAction, InvalidParameter, SnsError
from harness.emulators.sns.models import SnsModel

CONTENT_TYPE = "text/xml"
PAGE = 100

Operation = Callable[[SnsModel, Mapping[str, Any]], dict[str, Any]]
operation: Operations[Operation] = Operations()
OPERATIONS = operation.handlers


def _required(p: Mapping[str, Any], name: str) -> Any:
    return required(p, name, lambda n: InvalidParameter(f"Invalid parameter: {n}"))


def _page(items: list[Any], p: Mapping[str, Any], key: str) -> dict[str, Any]:
    start = int(p.get("NextToken") or 0)
    out: dict[str, Any] = {key: items[start:start + PAGE]}
    if start + PAGE < len(items):
        out["NextToken"] = str(start + PAGE)
    return out


class SnsApi:
    """The HTTP-free request handler: ``handle(form body) -> (status, body bytes)``."""

    def __init__(self, model: SnsModel) -> None:
        self.model = model

    def handle(self, body: bytes) -> tuple[int, bytes]:
        request_id = new_id()
        try:
            form = query.parse_form(body)
            action = form.get("Action", "")
            op = operation.get(action)
            if op is None:
                raise InvalidAction(f"Action {action or '(none)'} is not served by the streamharness SNS endpoint "
                                    f"(served: {operation.names})")
            try:
                params = query.parse_params("sns", action, form)
            except (ValueError, TypeError) as e:
                raise InvalidParameter(f"Invalid parameter: {e}") from None
            return 200, query.render("sns", action, op(self.model, params), request_id)
        except SnsError as e:
            return e.status, query.render_error("sns", e.code, e.message, e.sender_fault, request_id)


@operation("CreateTopic")
def create_topic(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return {"TopicArn": m.create_topic(p.get("Name"), p.get("Attributes"), p.get("Tags"))}


@operation("DeleteTopic")
def delete_topic(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.delete_topic(_required(p, "TopicArn"))
    return {}


@operation("ListTopics")
def list_topics(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return _page([{"TopicArn": arn} for arn in m.list_topics()], p, "Topics")


@operation("GetTopicAttributes")
def get_topic_attributes(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return {"Attributes": m.get_topic_attributes(_required(p, "TopicArn"))}


@operation("SetTopicAttributes")
def set_topic_attributes(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.set_topic_attributes(_required(p, "TopicArn"), _required(p, "AttributeName"), p.get("AttributeValue"))
    return {}


@operation("Subscribe")
def subscribe(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return {"SubscriptionArn": m.subscribe(_required(p, "TopicArn"), p.get("Protocol"), p.get("Endpoint"),
                                           p.get("Attributes"))}


@operation("Unsubscribe")
def unsubscribe(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.unsubscribe(_required(p, "SubscriptionArn"))
    return {}


@operation("ListSubscriptions")
def list_subscriptions(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return _page(m.list_subscriptions(), p, "Subscriptions")


@operation("ListSubscriptionsByTopic")
def list_subscriptions_by_topic(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return _page(m.list_subscriptions(_required(p, "TopicArn")), p, "Subscriptions")


@operation("GetSubscriptionAttributes")
def get_subscription_attributes(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return {"Attributes": m.get_subscription_attributes(_required(p, "SubscriptionArn"))}


@operation("SetSubscriptionAttributes")
def set_subscription_attributes(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.set_subscription_attributes(_required(p, "SubscriptionArn"), _required(p, "AttributeName"),
                                  p.get("AttributeValue"))
    return {}


@operation("Publish")
def publish(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    if p.get("TargetArn") is None and p.get("TopicArn") is None:
        raise InvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
    return m.publish(p.get("TopicArn") or p.get("TargetArn"), p.get("Message"), p.get("Subject"),
                     p.get("MessageStructure"), p.get("MessageAttributes"), p.get("MessageGroupId"),
                     p.get("MessageDeduplicationId"))


@operation("PublishBatch")
def publish_batch(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return m.publish_batch(_required(p, "TopicArn"), p.get("PublishBatchRequestEntries") or [])


@operation("TagResource")
def tag_resource(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.tag_resource(_required(p, "ResourceArn"), p.get("Tags") or [])
    return {}


@operation("UntagResource")
def untag_resource(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    m.untag_resource(_required(p, "ResourceArn"), p.get("TagKeys") or [])
    return {}


@operation("ListTagsForResource")
def list_tags_for_resource(m: SnsModel, p: Mapping[str, Any]) -> dict[str, Any]:
    return {"Tags": m.list_tags_for_resource(_required(p, "ResourceArn"))}


__all__ = ["CONTENT_TYPE", "OPERATIONS", "SnsApi"]
