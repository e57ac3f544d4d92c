"""SNS's topics and subscriptions as plain objects; Publish fans out to SQS queues in-process.

Delivery goes through the SQS model's own ``send_message`` (the one the wire uses), so a
subscribed queue sees exactly what a SendMessage would have put there. Subscriptions of the
``sqs`` protocol are served; the others (lambda, http/s, email, sms, application) are refused at
Subscribe with an error that says so, rather than accepted and never delivered.

Filter policies are matched by :mod:`harness.patterns` in its ``sns`` dialect: with
FilterPolicyScope ``MessageAttributes`` (the default) against the message attributes (String as
text, Number as a number, String.Array as its JSON array; Binary never matches), with
``MessageBody`` against the message parsed as JSON. A message that matches no subscription, or
whose queue no longer exists, is dropped (AWS would retry, then drop it without a subscription
DLQ); ``undelivered`` counts those sends that failed.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.emulators.ids import new_id
from harness.emulators.sns.exceptions import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameter,
    NotFound,
    SnsError,
    TagLimitExceeded,
    TooManyEntriesInBatchRequest,
)
from harness.emulators.sqs.exceptions import SqsError
from harness.emulators.sqs.models import SqsModel
from harness.patterns import EventPattern, InvalidPatternError, compile_pattern

MAX_MESSAGE_BYTES = 262_144
MAX_BATCH_ENTRIES = 10
MAX_TAGS = 50
DEDUP_WINDOW_S = 300.0
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_TOPIC_ATTRIBUTES = ("DisplayName", "Policy", "DeliveryPolicy", "FifoTopic", "ContentBasedDeduplication",
                     "KmsMasterKeyId", "SignatureVersion", "TracingConfig", "ArchivePolicy", "FifoThroughputScope",
                     "DataProtectionPolicy")
_SUBSCRIPTION_ATTRIBUTES = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
                            "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy")
_UNSERVED_PROTOCOLS = ("lambda", "http", "https", "email", "email-json", "sms", "application", "firehose")


@dataclass(eq=False)
class Subscription:
    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    owner: str
    attributes: dict[str, str] = field(default_factory=dict)
    policy: EventPattern | None = None

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery", "false").lower() == "true"

    def describe(self) -> dict[str, str]:
        return {"SubscriptionArn": self.arn, "Owner": self.owner, "Protocol": self.protocol,
                "Endpoint": self.endpoint, "TopicArn": self.topic_arn}


@dataclass(eq=False)
class Topic:
    name: str
    arn: str
    attributes: dict[str, str]
    tags: dict[str, str]
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    dedup: dict[str, float] = field(default_factory=dict)
    sequence: int = 0

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoTopic") == "true"


def _iso_ms(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"


def _attribute_value(a: Mapping[str, Any]) -> Any:
    """A message attribute as a filter policy sees it (None: not matchable)."""
    data_type = a.get("DataType", "")
    value = a.get("StringValue")
    if data_type.startswith("Number"):
        number = float(value)  # type: ignore[arg-type]
        return int(number) if number.is_integer() and "." not in str(value) and "e" not in str(value).lower() \
            else number
    if data_type == "String.Array":
        try:
            return json.loads(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    return value if data_type.startswith("String") else None


def _check_batch(entries: Sequence[Mapping[str, Any]] | None) -> None:
    if not entries:
        raise EmptyBatchRequest("The batch request doesn't contain any entries.")
    if len(entries) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequest("The batch request contains more entries than permissible.")
    ids = [e.get("Id") for e in entries]
    for i in ids:
        if not isinstance(i, str) or not _BATCH_ID.match(i):
            raise InvalidBatchEntryId("The Id of a batch entry in a batch request doesn't abide by the specification.")
    if len(set(ids)) != len(ids):
        raise BatchEntryIdsNotDistinct("Two or more batch entries in the request have the same Id.")


class SnsModel:
    """Every topic and subscription of one account and region; ``reset()`` empties it."""

    def __init__(self, sqs: SqsModel, region: str = "us-east-1", account_id: str = "123456789012",
                 now: Callable[[], float] = time.time) -> None:
        self.sqs = sqs
        self.region = region
        self.account_id = account_id
        self.now = now
        self.lock = threading.Lock()
        self.topics: dict[str, Topic] = {}  # by ARN
        self.subscriptions: dict[str, Subscription] = {}  # by ARN
        self.undelivered = 0

    def reset(self) -> None:
        with self.lock:
            self.topics.clear()
            self.subscriptions.clear()
            self.undelivered = 0

    # -- topics -------------------------------------------------------------------------------------
    def topic(self, arn: str | None) -> Topic:
        if not arn:
            raise InvalidParameter("Invalid parameter: TopicArn")
        t = self.topics.get(arn)
        if t is None:
            raise NotFound("Topic does not exist")
        return t

    def create_topic(self, name: str | None, attributes: Mapping[str, str] | None = None,
                     tags: Sequence[Mapping[str, str]] | None = None) -> str:
        attributes = dict(attributes or {})
        fifo = attributes.get("FifoTopic", "false").lower() == "true"
        if not name or not _TOPIC_NAME.match(name[:-5] if name.endswith(".fifo") else name) or (
                name.endswith(".fifo") != fifo):
            raise InvalidParameter("Invalid parameter: Topic Name")
        for k in attributes:
            if k not in _TOPIC_ATTRIBUTES:
                raise InvalidParameter(f"Invalid parameter: Attributes Reason: Unknown attribute {k}")
        tag_map = self._tags(tags)
        arn = f"arn:aws:sns:{self.region}:{self.account_id}:{name}"
        with self.lock:
            existing = self.topics.get(arn)
            if existing is not None:
                if any(existing.attributes.get(k) != v for k, v in attributes.items()):
                    raise InvalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different "
                                           "attributes")
                if tag_map and tag_map != existing.tags:
                    raise InvalidParameter("Invalid parameter: Tags Reason: Topic already exists with different tags")
                return arn
            if fifo:
                attributes["FifoTopic"] = "true"
                attributes.setdefault("ContentBasedDeduplication", "false")
            self.topics[arn] = Topic(name, arn, attributes, tag_map)
            return arn

    def delete_topic(self, arn: str) -> None:
        with self.lock:
            t = self.topics.pop(arn, None)  # deleting a topic that does not exist succeeds
            if t is not None:
                for sub in t.subscriptions:
                    self.subscriptions.pop(sub, None)

    def list_topics(self) -> list[str]:
        with self.lock:
            return list(self.topics)

    def get_topic_attributes(self, arn: str) -> dict[str, str]:
        with self.lock:
            t = self.topic(arn)
            policy = json.dumps({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
                "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
                "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"], "Resource": arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": self.account_id}}}]})
            return {"TopicArn": arn, "Owner": self.account_id, "Policy": policy, "DisplayName": "",
                    "SubscriptionsConfirmed": str(len(t.subscriptions)), "SubscriptionsPending": "0",
                    "SubscriptionsDeleted": "0", "EffectiveDeliveryPolicy": json.dumps({"http": {
                        "defaultHealthyRetryPolicy": {"numRetries": 3, "numNoDelayRetries": 0, "minDelayTarget": 20,
                                                      "maxDelayTarget": 20, "numMinDelayRetries": 0,
                                                      "numMaxDelayRetries": 0, "backoffFunction": "linear"},
                        "disableSubscriptionOverrides": False}}), **t.attributes}

    def set_topic_attributes(self, arn: str, name: str, value: str | None) -> None:
        with self.lock:
            t = self.topic(arn)
            if name not in _TOPIC_ATTRIBUTES or name == "FifoTopic":
                raise InvalidParameter("Invalid parameter: AttributeName")
            t.attributes[name] = value or ""

    # -- tags -------------------------------------------------------------------------------------
    @staticmethod
    def _tags(tags: Sequence[Mapping[str, str]] | None) -> dict[str, str]:
        out = {t["Key"]: t.get("Value", "") for t in tags or ()}
        if len(out) > MAX_TAGS:
            raise TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")
        return out

    def tag_resource(self, arn: str, tags: Sequence[Mapping[str, str]]) -> None:
        with self.lock:
            t = self.topic(arn)
            merged = {**t.tags, **self._tags(tags)}
            if len(merged) > MAX_TAGS:
                raise TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")
            t.tags = merged

    def untag_resource(self, arn: str, keys: Sequence[str]) -> None:
        with self.lock:
            t = self.topic(arn)
            for k in keys:
                t.tags.pop(k, None)

    def list_tags_for_resource(self, arn: str) -> list[dict[str, str]]:
        with self.lock:
            return [{"Key": k, "Value": v} for k, v in self.topic(arn).tags.items()]

    # -- subscriptions ----------------------------------------------------------------------------
    def subscribe(self, topic_arn: str, protocol: str | None, endpoint: str | None,
                  attributes: Mapping[str, str] | None = None) -> str:
        attributes = {k: str(v) for k, v in (attributes or {}).items()}
        if not protocol:
            raise InvalidParameter("Invalid parameter: Protocol")
        if protocol in _UNSERVED_PROTOCOLS:
            raise InvalidParameter(f"Invalid parameter: Protocol Reason: the streamharness SNS endpoint delivers to "
                                   f"the sqs protocol only, not {protocol} (subscribe a queue, or use an EventBridge "
                                   f"rule with a Lambda target)")
        if protocol != "sqs":
            raise InvalidParameter(f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}")
        if not endpoint or not endpoint.startswith("arn:aws:sqs:") or len(endpoint.split(":")) != 6:
            raise InvalidParameter("Invalid parameter: SQS endpoint ARN")
        policy = self._check_subscription_attributes(attributes)
        with self.lock:
            t = self.topic(topic_arn)
            for sub in t.subscriptions.values():
                if sub.protocol == protocol and sub.endpoint == endpoint:
                    if any(sub.attributes.get(k) != v for k, v in attributes.items()):
                        raise InvalidParameter("Invalid parameter: Attributes Reason: Subscription already exists "
                                               "with different attributes")
                    return sub.arn
            sub = Subscription(f"{topic_arn}:{new_id()}", topic_arn, protocol, endpoint, self.account_id,
                               attributes, policy)
            t.subscriptions[sub.arn] = sub
            self.subscriptions[sub.arn] = sub
            return sub.arn

    def _check_subscription_attributes(self, attributes: Mapping[str, str],
                                       current: Subscription | None = None) -> EventPattern | None:
        for k, v in attributes.items():
            if k not in _SUBSCRIPTION_ATTRIBUTES:
                raise InvalidParameter("Invalid parameter: AttributeName")
            if k == "RawMessageDelivery" and v.lower() not in ("true", "false"):
                raise InvalidParameter("Invalid parameter: RawMessageDelivery: Invalid value [" + v +
                                       "]. Must be true or false.")
            if k == "FilterPolicyScope" and v not in ("MessageAttributes", "MessageBody"):
                raise InvalidParameter("Invalid parameter: FilterPolicyScope: Invalid filter policy scope")
        merged = {**(current.attributes if current else {}), **attributes}
        text = merged.get("FilterPolicy")
        if not text:
            return None
        try:
            policy = compile_pattern(text, dialect="sns")
        except InvalidPatternError as e:
            raise InvalidParameter(f"Invalid parameter: FilterPolicy: {e}") from None
        if merged.get("FilterPolicyScope", "MessageAttributes") == "MessageAttributes" and any(
                isinstance(v, dict) for k, v in policy.source.items() if k != "$or"):
            raise InvalidParameter("Invalid parameter: Filter policy scope MessageAttributes does not support nested "
                                   "filter policy")
        return policy

    def unsubscribe(self, arn: str) -> None:
        with self.lock:
            sub = self.subscriptions.pop(arn, None)
            if sub is None:
                raise NotFound("Subscription does not exist")
            t = self.topics.get(sub.topic_arn)
            if t is not None:
                t.subscriptions.pop(arn, None)

    def list_subscriptions(self, topic_arn: str | None = None) -> list[dict[str, str]]:
        with self.lock:
            subs = self.topic(topic_arn).subscriptions.values() if topic_arn else self.subscriptions.values()
            return [s.describe() for s in subs]

    def subscription(self, arn: str) -> Subscription:
        sub = self.subscriptions.get(arn)
        if sub is None:
            raise NotFound("Subscription does not exist")
        return sub

    def get_subscription_attributes(self, arn: str) -> dict[str, str]:
        with self.lock:
            sub = self.subscription(arn)
            out = {**sub.describe(), "PendingConfirmation": "false", "ConfirmationWasAuthenticated": "true",
                   "RawMessageDelivery": "false", **sub.attributes}
            if "FilterPolicy" in out:
                out.setdefault("FilterPolicyScope", "MessageAttributes")
            return out

    def set_subscription_attributes(self, arn: str, name: str, value: str | None) -> None:
        with self.lock:
            sub = self.subscription(arn)
            change = {name: value or ""}
            policy = self._check_subscription_attributes(change, sub)
            sub.attributes.update(change)
            if name == "FilterPolicy" and not value:
                sub.attributes.pop("FilterPolicy", None)
                policy = None
            sub.policy = policy

    # -- publishing -------------------------------------------------------------------------------
    def publish(self, topic_arn: str | None, message: str | None, subject: str | None = None,
                message_structure: str | None = None, attributes: Mapping[str, Any] | None = None,
                group_id: str | None = None, dedup_id: str | None = None) -> dict[str, str]:
        with self.lock:
            t = self.topic(topic_arn)
            subs = list(t.subscriptions.values())
            out, dedup_id = self._accept(t, message, subject, message_structure, attributes, group_id, dedup_id)
        if out.pop("_duplicate", None) is None:
            self._fan_out(t, subs, out["MessageId"], message, subject, message_structure, attributes or {},
                          group_id, dedup_id, out.get("SequenceNumber"))
        return out

    def publish_batch(self, topic_arn: str | None, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        _check_batch(entries)
        size = sum(len((e.get("Message") or "").encode()) for e in entries)
        if size > MAX_MESSAGE_BYTES:
            raise BatchRequestTooLong("The length of all the messages put together is more than the limit.")
        self.topic(topic_arn)
        ok, failed = [], []
        for e in entries:
            try:
                sent = self.publish(topic_arn, e.get("Message"), e.get("Subject"), e.get("MessageStructure"),
                                    e.get("MessageAttributes"), e.get("MessageGroupId"), e.get("MessageDeduplicationId"))
            except SnsError as err:
                failed.append({"Id": e["Id"], "Code": err.code, "Message": err.message, "SenderFault": True})
            else:
                ok.append({"Id": e["Id"], **sent})
        return {"Successful": ok, "Failed": failed}

    def _accept(self, t: Topic, message: str | None, subject: str | None, structure: str | None,
                attributes: Mapping[str, Any] | None, group_id: str | None,
                dedup_id: str | None) -> tuple[dict[str, Any], str | None]:
        """Validate a Publish (under the lock); for FIFO topics, number it and drop duplicates."""
        if message is None or message == "":
            raise InvalidParameter("Invalid parameter: Empty message")
        if subject is not None and (not subject or len(subject) > 100 or not subject.isprintable()):
            raise InvalidParameter("Invalid parameter: Subject")
        size = len(message.encode("utf-8"))
        for name, a in (attributes or {}).items():
            data_type = a.get("DataType", "")
            if data_type.split(".")[0] not in ("String", "Number", "Binary"):
                raise InvalidParameter(f"Invalid parameter: MessageAttributes Reason: The message attribute '{name}' "
                                       f"has an invalid message attribute type, the set of supported type prefixes "
                                       f"is Binary, Number, and String.")
            value = a.get("BinaryValue") if data_type.startswith("Binary") else a.get("StringValue")
            if value is None or len(value) == 0:
                raise InvalidParameter(f"Invalid parameter: MessageAttributes Reason: The message attribute '{name}' "
                                       f"must contain non-empty message attribute value for message attribute type "
                                       f"'{data_type}'.")
            size += len(name) + len(data_type) + len(value if isinstance(value, bytes) else value.encode())
        if size > MAX_MESSAGE_BYTES:
            raise InvalidParameter("Invalid parameter: Message too long")
        if structure is not None:
            if structure != "json":
                raise InvalidParameter("Invalid parameter: MessageStructure")
            try:
                per_protocol = json.loads(message)
            except ValueError:
                per_protocol = None
            if not isinstance(per_protocol, dict) or "default" not in per_protocol:
                raise InvalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body")
        out: dict[str, Any] = {"MessageId": new_id()}
        if not t.fifo:
            if dedup_id:
                raise InvalidParameter("Invalid parameter: MessageDeduplicationId Reason: The request includes "
                                       "MessageDeduplicationId parameter that is not valid for this topic type")
            return out, None
        if not group_id:
            raise InvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        if not dedup_id:
            if t.attributes.get("ContentBasedDeduplication") != "true":
                raise InvalidParameter("Invalid parameter: The topic should either have ContentBasedDeduplication "
                                       "enabled or MessageDeduplicationId provided explicitly")
            dedup_id = hashlib.sha256(message.encode()).hexdigest()
        now = self.now()
        t.dedup = {k: v for k, v in t.dedup.items() if v > now} if len(t.dedup) > 10_000 else t.dedup
        t.sequence += 1
        out["SequenceNumber"] = f"{t.sequence:020d}"
        if t.dedup.get(dedup_id, 0) > now:
            out["_duplicate"] = True
        else:
            t.dedup[dedup_id] = now + DEDUP_WINDOW_S
        return out, dedup_id

    def _fan_out(self, t: Topic, subs: Sequence[Subscription], message_id: str, message: str, subject: str | None,
                 structure: str | None, attributes: Mapping[str, Any], group_id: str | None, dedup_id: str | None,
                 sequence: str | None) -> None:
        text = json.loads(message).get("sqs", json.loads(message)["default"]) if structure == "json" else message
        if not isinstance(text, str):
            text = json.dumps(text)
        body_value: Any = None
        for sub in subs:
            if sub.policy is not None:
                if sub.attributes.get("FilterPolicyScope", "MessageAttributes") == "MessageBody":
                    if body_value is None:
                        try:
                            body_value = json.loads(text)
                        except ValueError:
                            body_value = False
                    if not isinstance(body_value, dict) or not sub.policy.matches(body_value):
                        continue
                else:
                    values = {k: _attribute_value(a) for k, a in attributes.items()}
                    if not sub.policy.matches({k: v for k, v in values.items() if v is not None}):
                        continue
            if sub.raw:
                body, sqs_attributes = text, attributes
            else:
                body, sqs_attributes = self._envelope(t, sub, message_id, text, subject, attributes, sequence), None
            to_fifo = sub.endpoint.endswith(".fifo")  # a FIFO topic may also deliver to standard queues
            try:
                self.sqs.send_message(sub.endpoint, body, attributes=sqs_attributes,
                                      group_id=group_id if to_fifo else None, dedup_id=dedup_id if to_fifo else None,
                                      sender_id=self.account_id)
            except SqsError:
                with self.lock:
                    self.undelivered += 1

    def _envelope(self, t: Topic, sub: Subscription, message_id: str, message: str, subject: str | None,
                  attributes: Mapping[str, Any], sequence: str | None) -> str:
        """The JSON notification SNS delivers when RawMessageDelivery is off."""
        host = f"https://sns.{self.region}.amazonaws.com"
        envelope: dict[str, Any] = {"Type": "Notification", "MessageId": message_id}
        if sequence is not None:
            envelope["SequenceNumber"] = sequence
        envelope["TopicArn"] = t.arn
        if subject is not None:
            envelope["Subject"] = subject
        envelope.update({"Message": message, "Timestamp": _iso_ms(self.now()), "SignatureVersion": "1",
                         "Signature": base64.b64encode(hashlib.sha256(message_id.encode()).digest()).decode(),
                         "SigningCertURL": f"{host}/SimpleNotificationService-streamharness.pem",
                         "UnsubscribeURL": f"{host}/?Action=Unsubscribe&SubscriptionArn={sub.arn}"})
        if attributes:
            envelope["MessageAttributes"] = {
                k: {"Type": a["DataType"], "Value": base64.b64encode(a["BinaryValue"]).decode()
                    if isinstance(a.get("BinaryValue"), bytes) else a.get("BinaryValue", a.get("StringValue"))}
                for k, a in attributes.items()}
        return json.dumps(envelope)


__all__ = ["SnsModel", "Subscription", "Topic"]
