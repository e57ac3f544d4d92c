"""The SNS model, pure: topics, subscriptions, filter policies and fan-out into the SQS model."""
from __future__ import annotations

import json
from typing import Any

import pytest

from harness.emulators.sns import exceptions as ex
from harness.emulators.sns.models import SnsModel
from harness.emulators.sqs.models import SqsModel


@pytest.fixture
def sns() -> SnsModel:
    return SnsModel(SqsModel())


def queue(sns: SnsModel, name: str, **attributes: str) -> tuple[str, str]:
    url = sns.sqs.create_queue(name, attributes)
    return url, sns.sqs.get_queue_attributes(url, ["QueueArn"])["QueueArn"]


def drain(sns: SnsModel, url: str) -> list[dict[str, Any]]:
    out = []
    while got := sns.sqs.receive_message(url, 10, wait_seconds=0, message_attribute_names=["All"],
                                         attribute_names=["All"]):
        out += got
        for m in got:
            sns.sqs.delete_message(url, m["ReceiptHandle"])
    return out


def s(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def n(value: str) -> dict[str, str]:
    return {"DataType": "Number", "StringValue": value}


def test_fan_out_with_a_message_attributes_filter_policy(sns: SnsModel) -> None:
    topic = sns.create_topic("t")
    all_url, all_arn = queue(sns, "all")
    big_url, big_arn = queue(sns, "big")
    sns.subscribe(topic, "sqs", all_arn, {"RawMessageDelivery": "true"})
    sns.subscribe(topic, "sqs", big_arn, {"RawMessageDelivery": "true", "FilterPolicy": json.dumps(
        {"size": ["big"], "price": [{"numeric": [">", 100]}], "tags": ["red"]})})
    sns.publish(topic, "1", attributes={"size": s("big"), "price": n("150"), "tags": {"DataType": "String.Array",
                                                                                   "StringValue": '["red","blue"]'}})
    sns.publish(topic, "2", attributes={"size": s("big"), "price": n("50"), "tags": {"DataType": "String.Array",
                                                                                  "StringValue": '["red"]'}})
    sns.publish(topic, "3", attributes={"size": s("big"), "price": s("150"), "tags": s("red")})  # price is text
    sns.publish(topic, "4")  # no attributes
    assert sorted(m["Body"] for m in drain(sns, all_url)) == ["1", "2", "3", "4"]
    [big] = drain(sns, big_url)
    assert big["Body"] == "1" and big["MessageAttributes"]["price"] == n("150")  # raw: attributes carried over


def test_a_message_body_filter_policy_matches_nested_json(sns: SnsModel) -> None:
    topic = sns.create_topic("t")
    url, arn = queue(sns, "q")
    sns.subscribe(topic, "sqs", arn, {"RawMessageDelivery": "true", "FilterPolicyScope": "MessageBody",
                                      "FilterPolicy": json.dumps({"order": {"state": [{"anything-but": "void"}]}})})
    for body in ({"order": {"state": "paid"}}, {"order": {"state": "void"}}, {"other": 1}):
        sns.publish(topic, json.dumps(body))
    sns.publish(topic, "not json")
    assert [json.loads(m["Body"]) for m in drain(sns, url)] == [{"order": {"state": "paid"}}]


def test_filter_policies_are_validated(sns: SnsModel) -> None:
    topic = sns.create_topic("t")
    _, arn = queue(sns, "q")
    with pytest.raises(ex.InvalidParameter, match="FilterPolicy"):
        sns.subscribe(topic, "sqs", arn, {"FilterPolicy": json.dumps({"a": [{"wildcard": "x*"}]})})
    with pytest.raises(ex.InvalidParameter, match="nested"):
        sns.subscribe(topic, "sqs", arn, {"FilterPolicy": json.dumps({"a": {"b": ["c"]}})})


def test_the_notification_envelope_when_delivery_is_not_raw(sns: SnsModel) -> None:
    topic = sns.create_topic("t")
    url, arn = queue(sns, "q")
    sub = sns.subscribe(topic, "sqs", arn)
    out = sns.publish(topic, "hello", subject="Greeting", attributes={"k": s("v"), "n": n("3")})
    [m] = drain(sns, url)
    envelope = json.loads(m["Body"])
    assert envelope["Type"] == "Notification" and envelope["MessageId"] == out["MessageId"]
    assert envelope["TopicArn"] == topic and envelope["Subject"] == "Greeting" and envelope["Message"] == "hello"
    assert envelope["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}, "n": {"Type": "Number",
                                                                                        "Value": "3"}}
    assert envelope["SignatureVersion"] == "1" and sub in envelope["UnsubscribeURL"]
    assert envelope["Timestamp"].endswith("Z") and "MessageAttributes" not in m  # attributes only in the envelope
    sns.set_subscription_attributes(sub, "RawMessageDelivery", "true")
    sns.publish(topic, "raw now")
    assert [m["Body"] for m in drain(sns, url)] == ["raw now"]


def test_message_structure_json_sends_the_sqs_entry_or_the_default(sns: SnsModel) -> None:
    topic = sns.create_topic("t")
    url, arn = queue(sns, "q")
    sns.subscribe(topic, "sqs", arn, {"RawMessageDelivery": "true"})
    sns.publish(topic, json.dumps({"default": "d", "sqs": "for queues"}), message_structure="json")
    sns.publish(topic, json.dumps({"default": "d"}), message_structure="json")
    assert [m["Body"] for m in drain(sns, url)] == ["for queues", "d"]
    with pytest.raises(ex.InvalidParameter, match="No default entry"):
        sns.publish(topic, json.dumps({"sqs": "x"}), message_structure="json")


def test_publish_bounds_and_errors(sns: SnsModel) -> None:
    topic = sns.create_topic("t")
    sns.publish(topic, "x" * 262_144)
    with pytest.raises(ex.InvalidParameter, match="too long"):
        sns.publish(topic, "x" * 262_140, attributes={"ab": s("xyz")})
    with pytest.raises(ex.InvalidParameter, match="Empty message"):
        sns.publish(topic, "")
    with pytest.raises(ex.NotFound):
        sns.publish(topic + "-gone", "x")


def test_publish_batch_answers_per_entry_and_is_bounded(sns: SnsModel) -> None:
    topic = sns.create_topic("t")
    out = sns.publish_batch(topic, [{"Id": "a", "Message": "1"}, {"Id": "b", "Message": ""}])
    assert [e["Id"] for e in out["Successful"]] == ["a"] and out["Failed"][0]["Code"] == "InvalidParameter"
    with pytest.raises(ex.TooManyEntriesInBatchRequest):
        sns.publish_batch(topic, [{"Id": str(i), "Message": "x"} for i in range(11)])
    with pytest.raises(ex.BatchEntryIdsNotDistinct):
        sns.publish_batch(topic, [{"Id": "a", "Message": "x"}, {"Id": "a", "Message": "y"}])
    with pytest.raises(ex.EmptyBatchRequest):
        sns.publish_batch(topic, [])


def test_topics_are_idempotent_tagged_listed_and_deleted(sns: SnsModel) -> None:
    topic = sns.create_topic("t", {"DisplayName": "T"}, [{"Key": "team", "Value": "a"}])
    assert sns.create_topic("t", {"DisplayName": "T"}) == topic
    with pytest.raises(ex.InvalidParameter, match="different attributes"):
        sns.create_topic("t", {"DisplayName": "other"})
    with pytest.raises(ex.InvalidParameter, match="Topic Name"):
        sns.create_topic("t.fifo")
    sns.tag_resource(topic, [{"Key": "env", "Value": "x"}])
    sns.untag_resource(topic, ["team"])
    assert sns.list_tags_for_resource(topic) == [{"Key": "env", "Value": "x"}]
    attrs = sns.get_topic_attributes(topic)
    assert attrs["DisplayName"] == "T" and attrs["TopicArn"] == topic
    _, arn = queue(sns, "q")
    sub = sns.subscribe(topic, "sqs", arn)
    assert sns.list_topics() == [topic] and attrs["SubscriptionsConfirmed"] == "0"
    sns.delete_topic(topic)
    assert sns.list_topics() == [] and sns.list_subscriptions() == []
    with pytest.raises(ex.NotFound):
        sns.get_subscription_attributes(sub)


def test_subscriptions_are_idempotent_and_only_sqs_is_served(sns: SnsModel) -> None:
    topic = sns.create_topic("t")
    url, arn = queue(sns, "q")
    sub = sns.subscribe(topic, "sqs", arn)
    assert sns.subscribe(topic, "sqs", arn) == sub
    assert sns.list_subscriptions(topic) == [{"SubscriptionArn": sub, "Owner": sns.account_id, "Protocol": "sqs",
                                              "Endpoint": arn, "TopicArn": topic}]
    with pytest.raises(ex.InvalidParameter, match="sqs protocol only, not lambda"):
        sns.subscribe(topic, "lambda", "arn:aws:lambda:us-east-1:123456789012:function:f")
    with pytest.raises(ex.InvalidParameter, match="does not support this protocol"):
        sns.subscribe(topic, "pigeon", "x")
    sns.unsubscribe(sub)
    sns.publish(topic, "nobody listens")
    assert drain(sns, url) == []


def test_fifo_topic_to_fifo_queue_keeps_groups_and_deduplicates(sns: SnsModel) -> None:
    topic = sns.create_topic("t.fifo", {"FifoTopic": "true"})
    url, arn = queue(sns, "q.fifo", FifoQueue="true")
    sns.subscribe(topic, "sqs", arn, {"RawMessageDelivery": "true"})
    with pytest.raises(ex.InvalidParameter, match="MessageGroupId"):
        sns.publish(topic, "x", dedup_id="d")
    first = sns.publish(topic, "a", group_id="g", dedup_id="1")
    sns.publish(topic, "a again", group_id="g", dedup_id="1")
    sns.publish(topic, "b", group_id="g", dedup_id="2")
    got = drain(sns, url)
    assert [m["Body"] for m in got] == ["a", "b"] and "SequenceNumber" in first
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"g"}


def test_a_fifo_topic_deduplicates_before_delivering_to_a_standard_queue(sns: SnsModel) -> None:
    topic = sns.create_topic("t.fifo", {"FifoTopic": "true", "ContentBasedDeduplication": "true"})
    url, arn = queue(sns, "std")
    sns.subscribe(topic, "sqs", arn, {"RawMessageDelivery": "true"})
    for _ in range(2):
        sns.publish(topic, "once", group_id="g")
    assert [m["Body"] for m in drain(sns, url)] == ["once"] and sns.undelivered == 0


def test_a_deleted_queue_counts_as_undelivered(sns: SnsModel) -> None:
    topic = sns.create_topic("t")
    url, arn = queue(sns, "q")
    sns.subscribe(topic, "sqs", arn)
    sns.sqs.delete_queue(url)
    sns.publish(topic, "lost")
    assert sns.undelivered == 1
