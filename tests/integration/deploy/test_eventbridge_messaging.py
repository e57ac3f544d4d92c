"""SNS -> SQS fan-out with filter policies, SQS redrive, topic targets and OnFailure topics, and the
deploy/teardown of buses, rules and topics, on the embedded backend."""
from __future__ import annotations

import json
from typing import Any

from harness import (
    EventBus,
    EventSourceMapping,
    Function,
    Queue,
    RedrivePolicy,
    Rule,
    Subscription,
    Table,
    Target,
    Topic,
    Topology,
)
from harness.deploy import deploy, teardown

HANDLERS = "eventbridge_handlers"


def _receive_all(h: Any, queue: str) -> list[dict[str, Any]]:
    sqs, url = h.client("sqs"), h.queue_url(queue)
    out: list[dict[str, Any]] = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
                                     ).get("Messages", []):
        out += got
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def _fan_out() -> Topology:
    return Topology(name="fan", queues=[Queue("all"), Queue("big")], topics=[Topic("orders", [
        Subscription("all", raw_message_delivery=True),
        Subscription("big", filter_policy={"size": ["big"]})])])


def test_sns_fans_out_to_two_queues_through_a_filter_policy(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_fan_out())
    sns = h.client("sns")
    for size in ("big", "small"):
        sns.publish(TopicArn=h.topic_arn("orders"), Message=json.dumps({"size": size}),
                    MessageAttributes={"size": {"DataType": "String", "StringValue": size}})
    assert sorted(json.loads(m["Body"])["size"] for m in _receive_all(h, "all")) == ["big", "small"]  # raw bodies
    [wrapped] = _receive_all(h, "big")
    envelope = json.loads(wrapped["Body"])  # not raw: the SNS notification envelope
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == h.topic_arn("orders")
    assert json.loads(envelope["Message"]) == {"size": "big"}


def test_an_eventbridge_rule_targets_a_topic_that_fans_out(harness_for):  # type: ignore[no-untyped-def]
    topo = _fan_out()
    topo = Topology(name="fan", queues=topo.queues, topics=[Topic("orders", [
        Subscription("all", raw_message_delivery=True),
        Subscription("big", filter_policy={"size": ["big"]}, filter_policy_scope="MessageBody")])],
        event_buses=[EventBus("shop")], rules=[Rule("to-topic", {"source": ["shop"]}, bus="shop",
                                                    targets=[Target("t", "topic:orders", input_path="$.detail")])])
    h = harness_for(topo)
    h.client("events").put_events(Entries=[
        {"Source": "shop", "DetailType": "d", "Detail": json.dumps({"size": s}), "EventBusName": h.bus_name("shop")}
        for s in ("big", "small")])
    h.drain(10)
    assert sorted(json.loads(m["Body"])["size"] for m in _receive_all(h, "all")) == ["big", "small"]
    assert [json.loads(json.loads(m["Body"])["Message"]) for m in _receive_all(h, "big")] == [{"size": "big"}]
    assert len(h.trace.of("delivery", rule="to-topic", ok=True)) == 2


def test_sqs_redrives_to_the_dlq_after_max_receive_count(harness_for):  # type: ignore[no-untyped-def]
    topo = Topology(name="redrive", queues=[
        Queue("dead"), Queue("work", visibility_timeout=0, redrive_policy=RedrivePolicy("dead", max_receive_count=2))])
    h = harness_for(topo)
    sqs, work = h.client("sqs"), h.queue_url("work")
    sqs.send_message(QueueUrl=work, MessageBody="poison")
    receives = 0
    while sqs.receive_message(QueueUrl=work).get("Messages"):  # received, never deleted
        receives += 1
        assert receives <= 2
    assert receives == 2
    assert [m["Body"] for m in _receive_all(h, "dead")] == ["poison"]


def test_a_mapping_on_failure_topic_reaches_its_subscribed_queue(harness_for):  # type: ignore[no-untyped-def]
    topo = Topology(name="onfail", tables=[Table("items", "k")], queues=[Queue("failures")],
                    topics=[Topic("alarms", ["failures"])],
                    functions=[Function("bad", f"{HANDLERS}:always_fails")],
                    event_source_mappings=[EventSourceMapping("bad", "items", maximum_retry_attempts=0,
                                                              on_failure="topic:alarms")])
    h = harness_for(topo)
    h.client("dynamodb").put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}})
    h.drain(15)
    [message] = _receive_all(h, "failures")
    record = json.loads(json.loads(message["Body"])["Message"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1


SHOP = Topology(
    name="shop", queues=[Queue("q"), Queue("dlq")], functions=[Function("fn", f"{HANDLERS}:record")],
    event_buses=[EventBus("orders")], topics=[Topic("news", ["q"])],
    rules=[Rule("r1", {"source": ["a"]}, bus="orders", targets=[
        Target("fn", "function:fn", dead_letter_queue="queue:dlq"), Target("q", "queue:q"), Target("t", "topic:news")]),
        Rule("r2", {"source": ["b"]}, state="DISABLED")])


def test_deploy_is_idempotent_and_teardown_removes_exactly_the_topology(backend):  # type: ignore[no-untyped-def]
    prefix = "dep-eb-"
    events, sns = backend.client("events"), backend.client("sns")
    dep = deploy(SHOP, backend, prefix)
    again = deploy(SHOP, backend, prefix)
    assert again.rules == dep.rules and again.topics["news"].arn == dep.topics["news"].arn
    bus = dep.buses["orders"].name
    assert bus == "dep-eb-orders" and dep.buses["default"].name == "default"
    targets = events.list_targets_by_rule(Rule="dep-eb-r1", EventBusName=bus)["Targets"]
    assert {t["Id"]: t["Arn"] for t in targets} == {
        "fn": f"arn:aws:lambda:{backend.region}:{backend.account_id}:function:fn",
        "q": dep.queues["q"].arn, "t": dep.topics["news"].arn}
    assert next(t for t in targets if t["Id"] == "fn")["DeadLetterConfig"] == {"Arn": dep.queues["dlq"].arn}
    assert events.describe_rule(Name="dep-eb-r2")["State"] == "DISABLED"
    subs = sns.list_subscriptions_by_topic(TopicArn=dep.topics["news"].arn)["Subscriptions"]
    assert [s["Endpoint"] for s in subs] == [dep.queues["q"].arn]  # deployed twice, subscribed once
    # a redeploy with a target fewer removes the stale target
    fewer = Topology(name="shop", queues=SHOP.queues, functions=SHOP.functions, event_buses=SHOP.event_buses,
                     topics=SHOP.topics, rules=[Rule("r1", {"source": ["a"]}, bus="orders",
                                                     targets=[Target("q", "queue:q")]), SHOP.rules[1]])
    last = deploy(fewer, backend, prefix)
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="dep-eb-r1", EventBusName=bus)["Targets"]] == ["q"]
    deleted = teardown(last, backend)
    assert {"rule:dep-eb-r1", "rule:dep-eb-r2", "event-bus:dep-eb-orders", "topic:dep-eb-news"} <= set(deleted)
    assert not events.list_rules(NamePrefix=prefix)["Rules"]
    assert not [b for b in events.list_event_buses(NamePrefix=prefix)["EventBuses"]]
    assert not [t for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":dep-eb-news")]
    assert teardown(last, backend) == []  # nothing left to delete


def test_the_embedded_backend_serves_sqs_and_sns_itself_without_moto(backend):  # type: ignore[no-untyped-def]
    assert backend.endpoints["sqs"] == backend.endpoints["sns"] == backend.messaging.url
    assert [p.name for p in backend.processes] == ["dynamodb-local"]  # no moto server on the start path
    assert "iam" not in backend.endpoints
