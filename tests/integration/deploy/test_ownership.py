"""Nothing touched that isn't ours: same-named resources the harness did not create survive deploy and
teardown untouched; a failed deploy removes what it created; names AWS would reject are refused first."""
from __future__ import annotations

import json
from typing import Any

import pytest

from harness import Harness, Queue, Rule, Subscription, Table, Target, Topic, Topology, ValidationException
from harness.deploy import ForeignResourceError, deploy, teardown

TOPOLOGY = Topology(
    name="own", tables=[Table("orders", "id")], queues=[Queue("work"), Queue("out")],
    topics=[Topic("news", subscriptions=[Subscription("queue:out")])],
    rules=[Rule("route", {"source": ["shop"]}, targets=[Target("q", "queue:out")])])


def _foreign_table(backend: Any, name: str) -> dict[str, Any]:
    ddb = backend.client("dynamodb")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    ddb.put_item(TableName=name, Item={"id": {"S": "theirs"}})
    return {"check": lambda: (ddb.get_item(TableName=name, Key={"id": {"S": "theirs"}}).get("Item") is not None
                              and "StreamSpecification" not in ddb.describe_table(TableName=name)["Table"]),
            "cleanup": lambda: ddb.delete_table(TableName=name)}


def _foreign_queue(backend: Any, name: str) -> dict[str, Any]:
    sqs = backend.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "7"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="theirs")

    def check() -> bool:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return attrs["VisibilityTimeout"] == "7" and attrs["ApproximateNumberOfMessages"] == "1"
    return {"check": check, "cleanup": lambda: sqs.delete_queue(QueueUrl=url)}


def _foreign_topic(backend: Any, name: str) -> dict[str, Any]:
    sns, sqs = backend.client("sns"), backend.client("sqs")
    arn = sns.create_topic(Name=name)["TopicArn"]
    listener = sqs.create_queue(QueueName=name + "-listener")["QueueUrl"]
    listener_arn = sqs.get_queue_attributes(QueueUrl=listener, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=listener_arn)

    def check() -> bool:
        subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        return [s["Endpoint"] for s in subs] == [listener_arn]

    def cleanup() -> None:
        sns.delete_topic(TopicArn=arn)
        sqs.delete_queue(QueueUrl=listener)
    return {"check": check, "cleanup": cleanup}


def _foreign_rule(backend: Any, name: str) -> dict[str, Any]:
    events, sqs = backend.client("events"), backend.client("sqs")
    sink = sqs.create_queue(QueueName=name + "-sink")["QueueUrl"]
    sink_arn = sqs.get_queue_attributes(QueueUrl=sink, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = json.dumps({"source": ["theirs"]})
    events.put_rule(Name=name, EventPattern=pattern)
    events.put_targets(Rule=name, Targets=[{"Id": "theirs", "Arn": sink_arn}])

    def check() -> bool:
        targets = events.list_targets_by_rule(Rule=name)["Targets"]
        return events.describe_rule(Name=name)["EventPattern"] == pattern and [t["Id"] for t in targets] == ["theirs"]

    def cleanup() -> None:
        events.remove_targets(Rule=name, Ids=[t["Id"] for t in events.list_targets_by_rule(Rule=name)["Targets"]])
        events.delete_rule(Name=name)
        sqs.delete_queue(QueueUrl=sink)
    return {"check": check, "cleanup": cleanup}


FOREIGN = {"table": ("orders", _foreign_table), "queue": ("work", _foreign_queue),
           "topic": ("news", _foreign_topic), "rule": ("route", _foreign_rule)}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_a_foreign_same_named_resource_is_refused_left_untouched_and_the_deploy_rolled_back(
        backend: Any, kind: str) -> None:
    prefix = f"own-{kind}-"
    logical, make = FOREIGN[kind]
    foreign = make(backend, prefix + logical)
    try:
        with pytest.raises(ForeignResourceError, match=f"{kind} '{prefix}{logical}' already exists and is not"):
            deploy(TOPOLOGY, backend, prefix)
        assert foreign["check"]()
        # what the failed deploy had created before it met the foreign resource is gone again
        tables = backend.client("dynamodb").list_tables()["TableNames"]
        queues = " ".join(backend.client("sqs").list_queues(QueueNamePrefix=prefix).get("QueueUrls", []))
        assert (prefix + "orders" in tables) == (kind == "table")
        assert (prefix + "out") not in queues and ((prefix + "work") in queues) == (kind == "queue")
    finally:
        foreign["cleanup"]()


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_adopt_uses_a_foreign_resource_and_teardown_never_deletes_it(backend: Any, kind: str) -> None:
    prefix = f"adopt-{kind}-"
    logical, make = FOREIGN[kind]
    foreign = make(backend, prefix + logical)
    try:
        dep = deploy(TOPOLOGY, backend, prefix, adopt=True)
        assert [r.name for r in dep.adopted] == [prefix + logical]
        deleted = teardown(dep, backend)
        assert not [d for d in deleted if d.endswith(":" + prefix + logical)]
        assert f"table:{prefix}orders" in deleted or kind == "table"
    finally:
        foreign["cleanup"]()


def test_teardown_deletes_only_what_carries_this_runs_tag(backend: Any) -> None:
    first = deploy(TOPOLOGY, backend, "run-")
    second = deploy(TOPOLOGY, backend, "run-")  # takes everything over: the first run owns nothing any more
    assert teardown(first, backend) == []
    assert sorted(teardown(second, backend)) == [
        "queue:run-out", "queue:run-work", "rule:run-route", "table:run-orders", "topic:run-news"]


@pytest.mark.parametrize(("prefix", "message"), [
    ("", "prefix must be a non-empty string"),
    ("bad name!", "table 'bad name!orders': must be 3-255 characters"),
    ("x" * 60, "rule '" + "x" * 60 + "route': must be 1-64 characters"),
])
def test_bad_prefixes_are_refused_before_any_server_starts(prefix: str, message: str) -> None:
    with pytest.raises(ValidationException, match=message):
        Harness(TOPOLOGY, backend="no-such-backend-is-ever-reached", prefix=prefix)
