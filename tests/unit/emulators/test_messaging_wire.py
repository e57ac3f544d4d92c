"""SQS (JSON protocol) and SNS (query protocol) through boto3 against the harness's endpoint alone.

botocore does not check SQS's MD5s itself (the Java and JavaScript SDKs do), so the MD5s are
checked here against an implementation of AWS's algorithm written from its documentation."""
from __future__ import annotations

import hashlib
import json
import socket
import struct
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from harness.emulators.server import MessagingServer


def aws_attribute_md5(attributes: dict[str, dict[str, Any]]) -> str:
    def field(raw: bytes) -> bytes:
        return struct.pack(">I", len(raw)) + raw

    data = b""
    for name in sorted(attributes):
        a = attributes[name]
        data += field(name.encode()) + field(a["DataType"].encode())
        data += b"\x02" + field(a["BinaryValue"]) if "BinaryValue" in a else b"\x01" + field(a["StringValue"].encode())
    return hashlib.md5(data).hexdigest()


@pytest.fixture(scope="module")
def server() -> Iterator[MessagingServer]:
    s = MessagingServer("eu-west-1", "111122223333").start()
    yield s
    s.stop()


@pytest.fixture
def clients(server: MessagingServer) -> Iterator[tuple[Any, Any]]:
    server.reset()
    session = boto3.session.Session()
    kw = dict(endpoint_url=server.url, region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s")
    yield session.client("sqs", **kw), session.client("sns", **kw)


ATTRIBUTES = {"city": {"DataType": "String", "StringValue": "Zürich"}, "n": {"DataType": "Number", "StringValue": "7"},
              "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}


def test_sqs_round_trip_with_the_md5s_aws_computes(clients: tuple[Any, Any]) -> None:
    sqs, _ = clients
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "60"}, tags={"a": "b"})["QueueUrl"]
    assert url.endswith("/111122223333/q")
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo", MessageAttributes=ATTRIBUTES)
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo".encode()).hexdigest()
    assert sent["MD5OfMessageAttributes"] == aws_attribute_md5(ATTRIBUTES)
    [m] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"],
                              WaitTimeSeconds=1)["Messages"]
    assert m["Body"] == "héllo" and m["MessageAttributes"] == ATTRIBUTES
    assert m["MD5OfBody"] == sent["MD5OfMessageBody"] and m["MD5OfMessageAttributes"] == aws_attribute_md5(ATTRIBUTES)
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    [again] = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert again["Attributes"] == {"ApproximateReceiveCount": "2"}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"a": "b"}
    assert sqs.list_queues(QueueNamePrefix="q")["QueueUrls"] == [url]


def test_sqs_batches_and_errors_as_boto3_sees_them(clients: tuple[Any, Any]) -> None:
    sqs, _ = clients
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    out = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "1"},
                                                         {"Id": "b", "MessageBody": "2", "DelaySeconds": 901}])
    assert [e["Id"] for e in out["Successful"]] == ["a"]
    assert out["Failed"] == [{"Id": "b", "SenderFault": True, "Code": "InvalidParameterValue",
                              "Message": "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must "
                                         "be >= 0 and <= 900."}]
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.get_queue_url(QueueName="missing")
    assert e.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    with pytest.raises(sqs.exceptions.QueueNameExists):
        sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "3"})
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)])
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 262_145)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_fifo_over_the_wire(clients: tuple[Any, Any]) -> None:
    sqs, _ = clients
    url = sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true",
                                                           "ContentBasedDeduplication": "true"})["QueueUrl"]
    seqs = [sqs.send_message(QueueUrl=url, MessageBody=b, MessageGroupId="g")["SequenceNumber"] for b in "abc"]
    assert seqs == sorted(seqs)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["a", "b", "c"]


def test_sns_fan_out_through_the_query_protocol(clients: tuple[Any, Any]) -> None:
    sqs, sns = clients
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="t", Attributes={"DisplayName": "T"},
                             Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True, Attributes={
        "RawMessageDelivery": "true", "FilterPolicy": json.dumps({"kind": ["a"]})})["SubscriptionArn"]
    out = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "yes", "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "a"}}},
        {"Id": "2", "Message": "no", "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "b"}}}])
    assert sorted(e["Id"] for e in out["Successful"]) == ["1", "2"] and out["Failed"] == []
    [m] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert m["Body"] == "yes" and m["MessageAttributes"]["kind"]["StringValue"] == "a"
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true" and attrs["FilterPolicyScope"] == "MessageAttributes"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "T"
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [sub]
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [topic]
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn=topic + "x", Message="m")
    with pytest.raises(sns.exceptions.InvalidParameterException, match="sqs protocol only"):
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint="arn:aws:lambda:eu-west-1:111122223333:function:f")
    sns.unsubscribe(SubscriptionArn=sub)
    sns.delete_topic(TopicArn=topic)
    assert sns.list_topics()["Topics"] == []


def test_the_query_protocol_for_sqs_is_refused_with_a_reason(server: MessagingServer) -> None:
    request = urllib.request.Request(server.url, data=b"Action=ListQueues&Version=2012-11-05", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=k/20240101/eu-west-1/sqs/aws4_request, Signature=x"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(request, timeout=5)
    assert b"JSON protocol" in e.value.read()


def test_a_bad_content_length_is_an_sqs_400_at_once(server: MessagingServer) -> None:
    """The endpoint shares EventBridge's HTTP server (harness.emulators.http), and so its bounds."""

    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"POST / HTTP/1.1\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nContent-Length: -1\r\n\r\n")
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 400 ") and b"SerializationException" in head, head
