"""The SQS model, pure: a clock the test moves, no HTTP."""
from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from harness.emulators.sqs import exceptions as ex
from harness.emulators.sqs.models import SqsModel, md5_of_attributes, md5_of_body

ATTRS = {"city": {"DataType": "String", "StringValue": "Any City"},
         "count": {"DataType": "Number", "StringValue": "230.000000000000000001"},
         "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"},
         "u": {"DataType": "String.custom", "StringValue": "héllo ✓"}}


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sqs(clock: Clock) -> SqsModel:
    return SqsModel(now=clock)


def receive(sqs: SqsModel, url: str, n: int = 10, **kw: Any) -> list[dict[str, Any]]:
    kw.setdefault("wait_seconds", 0)
    return sqs.receive_message(url, n, attribute_names=["All"], message_attribute_names=["All"], **kw)


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


# -- MD5s ---------------------------------------------------------------------------------------
def test_md5s_are_computed_as_aws_does() -> None:
    # vectors cross-checked against an independent implementation (moto's)
    assert md5_of_body("Hello, wörld") == "7a9a26856d34d405b7b9de827773b008"
    assert md5_of_attributes(ATTRS) == "e8328a041006b2a5465eae81dfbcdcc0"


def test_send_and_receive_report_the_md5s_of_what_they_carry(sqs: SqsModel) -> None:
    url = sqs.create_queue("q")
    sent = sqs.send_message(url, "Hello, wörld", attributes=ATTRS)
    assert sent["MD5OfMessageBody"] == "7a9a26856d34d405b7b9de827773b008"
    assert sent["MD5OfMessageAttributes"] == "e8328a041006b2a5465eae81dfbcdcc0"
    [m] = receive(sqs, url)
    assert m["MD5OfBody"] == sent["MD5OfMessageBody"] and m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert m["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01\x02"


def test_message_attribute_names_select_and_the_md5_covers_only_those_returned(sqs: SqsModel) -> None:
    url = sqs.create_queue("q")
    geo = {"geo.lat": {"DataType": "Number", "StringValue": "1.5"}}
    sqs.send_message(url, "b", attributes={**ATTRS, **geo})
    [m] = sqs.receive_message(url, 1, visibility_timeout=0, message_attribute_names=["geo.*", "u"])
    assert set(m["MessageAttributes"]) == {"geo.lat", "u"}
    assert m["MD5OfMessageAttributes"] == md5_of_attributes({**geo, "u": ATTRS["u"]})
    [m] = sqs.receive_message(url, 1)
    assert "MessageAttributes" not in m and "MD5OfMessageAttributes" not in m and "Attributes" not in m


# -- visibility ---------------------------------------------------------------------------------
def test_a_received_message_is_invisible_until_its_visibility_timeout_ends(sqs: SqsModel, clock: Clock) -> None:
    url = sqs.create_queue("q", {"VisibilityTimeout": "10"})
    sqs.send_message(url, "a")
    [first] = receive(sqs, url)
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert receive(sqs, url) == []
    assert sqs.get_queue_attributes(url, ["ApproximateNumberOfMessagesNotVisible"]) == {
        "ApproximateNumberOfMessagesNotVisible": "1"}
    clock.t += 9.9
    assert receive(sqs, url) == []
    clock.t += 0.1
    [again] = receive(sqs, url)
    assert again["MessageId"] == first["MessageId"] and again["ReceiptHandle"] != first["ReceiptHandle"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again["Attributes"]["ApproximateFirstReceiveTimestamp"] == first["Attributes"][
        "ApproximateFirstReceiveTimestamp"]


def test_change_message_visibility_extends_shortens_and_rejects_what_is_not_in_flight(sqs: SqsModel,
                                                                                       clock: Clock) -> None:
    url = sqs.create_queue("q", {"VisibilityTimeout": "10"})
    sqs.send_message(url, "a")
    [m] = receive(sqs, url)
    sqs.change_message_visibility(url, m["ReceiptHandle"], 100)
    clock.t += 50
    assert receive(sqs, url) == []
    sqs.change_message_visibility(url, m["ReceiptHandle"], 0)
    [again] = receive(sqs, url, visibility_timeout=5)
    with pytest.raises(ex.SqsError, match="receipt handle has expired"):
        sqs.change_message_visibility(url, m["ReceiptHandle"], 10)  # the first receive's handle
    sqs.delete_message(url, again["ReceiptHandle"])
    with pytest.raises(ex.MessageNotInflight):
        sqs.change_message_visibility(url, again["ReceiptHandle"], 10)
    with pytest.raises(ex.ReceiptHandleIsInvalid):
        sqs.delete_message(url, "not-a-handle")


def test_system_attributes(sqs: SqsModel, clock: Clock) -> None:
    url = sqs.create_queue("q")
    sqs.send_message(url, "a", system_attributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1"}})
    clock.t += 2
    [m] = sqs.receive_message(url, attribute_names=["SentTimestamp", "AWSTraceHeader", "SenderId"])
    assert m["Attributes"] == {"SentTimestamp": str(int((clock.t - 2) * 1000)), "AWSTraceHeader": "Root=1",
                               "SenderId": sqs.account_id}
    with pytest.raises(ex.InvalidAttributeName):
        sqs.receive_message(url, attribute_names=["Nope"])


# -- redrive ------------------------------------------------------------------------------------
def test_a_message_received_max_receive_count_times_moves_to_the_dlq(sqs: SqsModel, clock: Clock) -> None:
    dlq = sqs.create_queue("dead")
    dlq_arn = sqs.get_queue_attributes(dlq, ["QueueArn"])["QueueArn"]
    url = sqs.create_queue("work", {"VisibilityTimeout": "5", "RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})
    sqs.send_message(url, "poison", attributes={"k": {"DataType": "String", "StringValue": "v"}})
    for _ in range(2):
        assert bodies(receive(sqs, url)) == ["poison"]
        clock.t += 5
    assert receive(sqs, url) == []  # the third receive finds it redriven
    [dead] = receive(sqs, dlq)
    assert dead["Body"] == "poison" and dead["MessageAttributes"]["k"]["StringValue"] == "v"
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == sqs.get_queue_attributes(url, ["QueueArn"])["QueueArn"]
    assert sqs.list_dead_letter_source_queues(dlq) == [url]


def test_redrive_policy_is_validated(sqs: SqsModel) -> None:
    with pytest.raises(ex.InvalidParameterValue, match="Dead letter target does not exist"):
        sqs.create_queue("w", {"RedrivePolicy": json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:x",
                                                            "maxReceiveCount": 1})})
    dlq = sqs.get_queue_attributes(sqs.create_queue("d"), ["QueueArn"])["QueueArn"]
    with pytest.raises(ex.InvalidParameterValue, match="maxReceiveCount"):
        sqs.create_queue("w", {"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": 0})})


# -- FIFO -----------------------------------------------------------------------------------------
def fifo(sqs: SqsModel, **attributes: str) -> str:
    return sqs.create_queue("f.fifo", {"FifoQueue": "true", **attributes})


def test_fifo_keeps_group_order_and_hands_out_a_group_only_when_none_of_it_is_in_flight(sqs: SqsModel,
                                                                                         clock: Clock) -> None:
    url = fifo(sqs, ContentBasedDeduplication="true", VisibilityTimeout="10")
    for i in range(3):
        sqs.send_message(url, f"a{i}", group_id="A")
    sqs.send_message(url, "b0", group_id="B")
    first = receive(sqs, url, n=2)
    assert bodies(first) == ["a0", "a1"]
    [b0] = receive(sqs, url)  # A is in flight: only B
    assert b0["Body"] == "b0"
    sqs.delete_message(url, b0["ReceiptHandle"])
    assert receive(sqs, url) == []
    sqs.delete_message(url, first[0]["ReceiptHandle"])
    assert receive(sqs, url) == []  # a1 still in flight: A stays locked
    clock.t += 10  # a1's visibility ends: it comes back before a2
    again = receive(sqs, url)
    assert bodies(again) == ["a1", "a2"]
    assert [m["Attributes"]["SequenceNumber"] for m in again] == sorted(m["Attributes"]["SequenceNumber"]
                                                                         for m in again)
    assert again[0]["Attributes"]["MessageGroupId"] == "A"


def test_fifo_deduplicates_for_five_minutes(sqs: SqsModel, clock: Clock) -> None:
    url = fifo(sqs)
    one = sqs.send_message(url, "x", group_id="g", dedup_id="d1")
    dup = sqs.send_message(url, "other body", group_id="g", dedup_id="d1")
    assert dup["MessageId"] == one["MessageId"] and dup["SequenceNumber"] == one["SequenceNumber"]
    [x] = receive(sqs, url)
    assert x["Body"] == "x"
    sqs.delete_message(url, x["ReceiptHandle"])
    clock.t += 300
    sqs.send_message(url, "y", group_id="g", dedup_id="d1")
    assert sqs.get_queue_attributes(url, ["ApproximateNumberOfMessages"])["ApproximateNumberOfMessages"] == "1"


def test_fifo_content_based_deduplication_and_required_parameters(sqs: SqsModel) -> None:
    url = fifo(sqs)
    with pytest.raises(ex.InvalidParameterValue, match="ContentBasedDeduplication"):
        sqs.send_message(url, "x", group_id="g")
    with pytest.raises(ex.MissingParameter, match="MessageGroupId"):
        sqs.send_message(url, "x", dedup_id="d")
    with pytest.raises(ex.InvalidParameterValue, match="not valid for this queue type"):
        sqs.send_message(url, "x", group_id="g", dedup_id="d", delay_seconds=1)
    sqs.set_queue_attributes(url, {"ContentBasedDeduplication": "true"})
    a, b = sqs.send_message(url, "same", group_id="g"), sqs.send_message(url, "same", group_id="g")
    assert a["MessageId"] == b["MessageId"]
    with pytest.raises(ex.InvalidParameterValue, match="not valid for this queue type"):
        sqs.send_message(sqs.create_queue("std"), "x", dedup_id="d")


def test_fifo_queue_names_and_attributes(sqs: SqsModel) -> None:
    with pytest.raises(ex.InvalidParameterValue, match="FIFO"):
        sqs.create_queue("f.fifo")
    with pytest.raises(ex.InvalidParameterValue, match="FIFO"):
        sqs.create_queue("f", {"FifoQueue": "true"})
    with pytest.raises(ex.InvalidAttributeName):
        sqs.create_queue("s", {"ContentBasedDeduplication": "true"})


# -- long polling and delays ----------------------------------------------------------------------
def test_a_long_poll_returns_as_soon_as_a_message_arrives_without_polling() -> None:
    sqs = SqsModel()
    url = sqs.create_queue("q")
    promotions = [0]
    promote = sqs._promote

    def counting(q: Any, now: float) -> None:
        promotions[0] += 1
        promote(q, now)

    sqs._promote = counting  # type: ignore[method-assign]
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.extend(sqs.receive_message(url, wait_seconds=20)))
    waiter.start()
    while promotions[0] == 0:  # the receive is waiting
        threading.Event().wait(0.001)
    threading.Event().wait(0.2)
    sqs.send_message(url, "hello")
    waiter.join(20)
    assert not waiter.is_alive() and bodies(got) == ["hello"]
    assert promotions[0] <= 3  # woken by the send, not by polling


def test_the_queue_wait_time_applies_when_the_call_gives_none() -> None:
    sqs = SqsModel()
    url = sqs.create_queue("q", {"ReceiveMessageWaitTimeSeconds": "20", "DelaySeconds": "1"})
    sqs.send_message(url, "later")
    assert bodies(sqs.receive_message(url)) == ["later"]  # waited for the delay to end, within 20 s


def test_delay_seconds_hides_a_message_until_it_ends(sqs: SqsModel, clock: Clock) -> None:
    url = sqs.create_queue("q")
    sqs.send_message(url, "later", delay_seconds=20)
    sqs.send_message(url, "now")
    assert bodies(receive(sqs, url)) == ["now"]
    assert sqs.get_queue_attributes(url, ["ApproximateNumberOfMessagesDelayed"]) == {
        "ApproximateNumberOfMessagesDelayed": "1"}
    clock.t += 20
    assert bodies(receive(sqs, url)) == ["later"]
    with pytest.raises(ex.InvalidParameterValue, match="DelaySeconds"):
        sqs.send_message(url, "x", delay_seconds=901)


# -- batches --------------------------------------------------------------------------------------
def test_batch_calls_answer_per_entry(sqs: SqsModel) -> None:
    url = sqs.create_queue("q")
    out = sqs.send_message_batch(url, [{"Id": "ok", "MessageBody": "a"}, {"Id": "bad", "MessageBody": ""},
                                       {"Id": "big", "MessageBody": "b", "DelaySeconds": 1000}])
    assert [e["Id"] for e in out["Successful"]] == ["ok"]
    assert {e["Id"]: e["Code"] for e in out["Failed"]} == {"bad": "MissingParameter", "big": "InvalidParameterValue"}
    assert out["Successful"][0]["MD5OfMessageBody"] == md5_of_body("a")
    [m] = receive(sqs, url)
    deleted = sqs.delete_message_batch(url, [{"Id": "1", "ReceiptHandle": m["ReceiptHandle"]},
                                             {"Id": "2", "ReceiptHandle": "garbage"}])
    assert [e["Id"] for e in deleted["Successful"]] == ["1"]
    assert deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid" and deleted["Failed"][0]["SenderFault"]
    changed = sqs.change_message_visibility_batch(url, [{"Id": "1", "ReceiptHandle": m["ReceiptHandle"],
                                                         "VisibilityTimeout": 5}])
    assert changed["Failed"][0]["Code"] == "AWS.SimpleQueueService.MessageNotInflight"


@pytest.mark.parametrize("entries, error", [
    ([], ex.EmptyBatchRequest),
    ([{"Id": str(i), "MessageBody": "x"} for i in range(11)], ex.TooManyEntriesInBatchRequest),
    ([{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}], ex.BatchEntryIdsNotDistinct),
    ([{"Id": "a b", "MessageBody": "x"}], ex.InvalidBatchEntryId),
    ([{"Id": "a", "MessageBody": "x" * 200_000}, {"Id": "b", "MessageBody": "x" * 70_000}], ex.BatchRequestTooLong),
])
def test_batch_requests_are_bounded(sqs: SqsModel, entries: list[dict[str, Any]], error: type[Exception]) -> None:
    with pytest.raises(error):
        sqs.send_message_batch(sqs.create_queue("q"), entries)


# -- bounds -----------------------------------------------------------------------------------------
def test_message_size_contents_and_attribute_bounds(sqs: SqsModel) -> None:
    url = sqs.create_queue("q")
    sqs.send_message(url, "x" * 262_144)
    with pytest.raises(ex.InvalidParameterValue, match="shorter than 262144 bytes"):
        sqs.send_message(url, "x" * 262_140, attributes={"ab": {"DataType": "String", "StringValue": "x"}})
    with pytest.raises(ex.InvalidMessageContents):
        sqs.send_message(url, "bell \x07")
    with pytest.raises(ex.InvalidParameterValue, match="exceeds the allowed maximum"):
        sqs.send_message(url, "x", attributes={f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)})
    with pytest.raises(ex.InvalidParameterValue, match="name"):
        sqs.send_message(url, "x", attributes={"AWS.x": {"DataType": "String", "StringValue": "v"}})
    with pytest.raises(ex.InvalidParameterValue, match="number"):
        sqs.send_message(url, "x", attributes={"n": {"DataType": "Number", "StringValue": "ten"}})
    with pytest.raises(ex.InvalidParameterValue, match="MaxNumberOfMessages"):
        sqs.receive_message(url, 11)
    with pytest.raises(ex.InvalidParameterValue, match="VisibilityTimeout"):
        sqs.receive_message(url, 1, visibility_timeout=43_201)


def test_messages_past_the_retention_period_are_gone(sqs: SqsModel, clock: Clock) -> None:
    url = sqs.create_queue("q", {"MessageRetentionPeriod": "60"})
    sqs.send_message(url, "old")
    clock.t += 61
    assert receive(sqs, url) == []


# -- queues ------------------------------------------------------------------------------------------
def test_create_queue_is_idempotent_only_with_the_same_attributes(sqs: SqsModel) -> None:
    url = sqs.create_queue("q", {"VisibilityTimeout": "10"})
    assert sqs.create_queue("q", {"VisibilityTimeout": "10"}) == url
    assert sqs.create_queue("q") == url
    with pytest.raises(ex.QueueNameExists, match="VisibilityTimeout") as e:
        sqs.create_queue("q", {"VisibilityTimeout": "20"})
    assert e.value.code == "QueueAlreadyExists"
    with pytest.raises(ex.InvalidAttributeValue):
        sqs.create_queue("r", {"VisibilityTimeout": "43201"})
    with pytest.raises(ex.InvalidAttributeName):
        sqs.create_queue("r", {"Colour": "blue"})


def test_urls_listing_and_deletion(sqs: SqsModel) -> None:
    a, b = sqs.create_queue("app-a"), sqs.create_queue("app-b")
    sqs.create_queue("other")
    assert sqs.get_queue_url("app-a") == a and sqs.list_queues("app-") == [a, b]
    assert sqs.queue(sqs.get_queue_attributes(a, ["QueueArn"])["QueueArn"]).url == a  # by ARN too
    sqs.delete_queue(a)
    with pytest.raises(ex.QueueDoesNotExist) as e:
        sqs.get_queue_url("app-a")
    assert e.value.code == "AWS.SimpleQueueService.NonExistentQueue" and e.value.type == "QueueDoesNotExist"
    with pytest.raises(ex.QueueDoesNotExist):
        sqs.send_message(a, "x")


def test_purge_empties_the_queue_once_a_minute(sqs: SqsModel, clock: Clock) -> None:
    url = sqs.create_queue("q")
    for i in range(5):
        sqs.send_message(url, str(i))
    receive(sqs, url, n=2)
    sqs.purge_queue(url)
    counts = sqs.get_queue_attributes(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    with pytest.raises(ex.PurgeQueueInProgress):
        sqs.purge_queue(url)
    clock.t += 60
    sqs.purge_queue(url)


def test_tags_and_attributes(sqs: SqsModel) -> None:
    url = sqs.create_queue("q", tags={"team": "a"})
    sqs.tag_queue(url, {"env": "test"})
    sqs.untag_queue(url, ["team"])
    assert sqs.list_queue_tags(url) == {"env": "test"}
    sqs.set_queue_attributes(url, {"DelaySeconds": "5"})
    attrs = sqs.get_queue_attributes(url, ["All"])
    assert attrs["DelaySeconds"] == "5" and attrs["VisibilityTimeout"] == "30"
    assert attrs["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:q"
    with pytest.raises(ex.InvalidAttributeName):
        sqs.get_queue_attributes(url, ["Nope"])


def test_reset_forgets_every_queue(sqs: SqsModel) -> None:
    sqs.create_queue("q")
    sqs.reset()
    assert sqs.list_queues() == []


# -- attributes parsed once per change ----------------------------------------------------------
def test_sends_and_receives_follow_attributes_changed_after_creation(sqs: SqsModel, clock: Clock) -> None:
    """Sends and receives read parsed copies of the attributes: SetQueueAttributes must refresh them."""
    url = sqs.create_queue("q")
    dlq = sqs.create_queue("dlq")
    dlq_arn = sqs.get_queue_attributes(dlq, ["QueueArn"])["QueueArn"]
    sqs.set_queue_attributes(url, {"DelaySeconds": "5", "MaximumMessageSize": "1024", "VisibilityTimeout": "0",
                                   "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})
    with pytest.raises(ex.InvalidParameterValue, match="shorter than 1024 bytes"):
        sqs.send_message(url, "x" * 2000)
    sqs.send_message(url, "late")
    assert receive(sqs, url) == []  # delayed 5 s
    clock.t += 5
    assert bodies(receive(sqs, url)) == ["late"]
    assert receive(sqs, url) == [] and bodies(receive(sqs, dlq)) == ["late"]  # received once: redriven
    sqs.set_queue_attributes(url, {"DelaySeconds": "0", "RedrivePolicy": ""})
    sqs.send_message(url, "now")
    assert bodies(receive(sqs, url)) == ["now"] and bodies(receive(sqs, url)) == ["now"]  # no redrive any more
