"""The aws backend against a moto server playing AWS: every resource carries the run's tag, and teardown
deletes only what carries it; a same-named resource someone else made survives."""
from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from harness import EventBus, Harness, Queue, Rule, Table, Target, Topic, Topology
from harness.backends import EmbeddedBackend
from harness.backends.aws import OPT_IN, PREFIX_ENV
from harness.deploy import RUN_TAG

PREFIX = "sh-tagtest-"


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server as "AWS": boto3's own endpoint and credential settings point at it."""
    moto = EmbeddedBackend(dynamodb="moto", eventbridge="moto")
    moto.start()
    try:
        url = moto.endpoints["sqs"]
        for k, v in {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_DEFAULT_REGION": "us-east-1", OPT_IN: "1", PREFIX_ENV: PREFIX}.items():
            monkeypatch.setenv(k, v)
        yield url
    finally:
        moto.stop()


def _topology() -> Topology:
    return Topology(name="tags", tables=[Table("items", "k"), Table("others", "k")],
                    queues=[Queue("q"), Queue("theirs")], topics=[Topic("t")], event_buses=[EventBus("b")],
                    rules=[Rule("r", {"source": ["shop"]}, bus="b", targets=[Target("q", "queue:q")])])


def test_teardown_deletes_only_what_carries_the_runs_tag(fake_aws: str, capsys: pytest.CaptureFixture[str]) -> None:
    ddb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    with Harness(_topology(), backend="aws", prefix="ignored-") as h:
        # a table and a queue someone else put in place of ours while the run went on: same names, no tag of ours
        ddb.delete_table(TableName=PREFIX + "others")
        ddb.create_table(TableName=PREFIX + "others", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
        sqs.delete_queue(QueueUrl=h.queue_url("theirs"))
        theirs = sqs.create_queue(QueueName=PREFIX + "theirs")["QueueUrl"]
        run_id = h.deployment.run_id
        assert h.prefix == PREFIX  # the backend's run prefix wins
        table_arn = ddb.describe_table(TableName=PREFIX + "items")["Table"]["TableArn"]
        assert {"Key": RUN_TAG, "Value": run_id} in ddb.list_tags_of_resource(ResourceArn=table_arn)["Tags"]
        assert sqs.list_queue_tags(QueueUrl=h.queue_url("q"))["Tags"][RUN_TAG] == run_id
        events = h.client("events")
        rule_arn = h.deployment.rules["r"].arn
        assert {"Key": RUN_TAG, "Value": run_id} in events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"]
    announced = capsys.readouterr().err
    assert f"dynamodb table {PREFIX}items" in announced and f"event rule {PREFIX}r on {PREFIX}b" in announced

    tables = ddb.list_tables()["TableNames"]
    queues = {u.rsplit("/", 1)[-1] for u in sqs.list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", [])}
    assert tables == [PREFIX + "others"]                  # theirs survived, ours is gone
    assert queues == {PREFIX + "theirs"}                  # ditto (delivery and capture queues included)
    assert sqs.get_queue_url(QueueName=PREFIX + "theirs")["QueueUrl"] == theirs
    assert not boto3.client("sns").list_topics()["Topics"]
    assert [b["Name"] for b in boto3.client("events").list_event_buses()["EventBuses"]] == ["default"]
