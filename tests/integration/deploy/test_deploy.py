"""Deploy is idempotent; teardown removes only what this run owns."""
from __future__ import annotations

from harness import Queue, RedrivePolicy, Table, Topology
from harness.deploy import deploy, teardown

TOPOLOGY = Topology(name="dep", tables=[Table("orders", "id", range_key="event:S", ttl_attribute="expires")],
                    queues=[Queue("work", redrive_policy=RedrivePolicy("dead", 2)), Queue("dead")])


def test_deploy_twice_finds_what_is_there(backend):  # type: ignore[no-untyped-def]
    one = deploy(TOPOLOGY, backend, prefix="dep1-")
    backend.client("dynamodb").put_item(TableName="dep1-orders", Item={"id": {"S": "1"}, "event": {"S": "x"}})
    two = deploy(TOPOLOGY, backend, prefix="dep1-")
    assert one.tables == two.tables and one.queues == two.queues
    assert backend.client("dynamodb").get_item(TableName="dep1-orders",
                                               Key={"id": {"S": "1"}, "event": {"S": "x"}}).get("Item")
    attrs = backend.client("sqs").get_queue_attributes(QueueUrl=two.queues["work"].url,
                                                       AttributeNames=["RedrivePolicy"])["Attributes"]
    assert two.queues["dead"].arn in attrs["RedrivePolicy"]
    ttl = backend.client("dynamodb").describe_time_to_live(TableName="dep1-orders")["TimeToLiveDescription"]
    assert ttl.get("AttributeName") == "expires"
    teardown(two, backend)


def test_teardown_removes_only_the_prefixed_resources(backend):  # type: ignore[no-untyped-def]
    ddb, sqs = backend.client("dynamodb"), backend.client("sqs")
    mine = deploy(TOPOLOGY, backend, prefix="dep2-")
    other = deploy(TOPOLOGY, backend, prefix="other-")
    ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    deleted = teardown(mine, backend)
    assert sorted(deleted) == ["queue:dep2-dead", "queue:dep2-work", "table:dep2-orders"]
    tables = ddb.list_tables()["TableNames"]
    assert "dep2-orders" not in tables and {"orders", "other-orders"} <= set(tables)
    queues = " ".join(sqs.list_queues().get("QueueUrls", []))
    assert "dep2-work" not in queues and "other-work" in queues
    teardown(other, backend)
    ddb.delete_table(TableName="orders")
