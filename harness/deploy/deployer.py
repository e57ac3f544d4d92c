"""Create what a topology needs, or find it already there, and remove exactly that again.

Physical names are ``prefix + logical name``; everything is also tagged ``streamharness:topology``
where the backend supports tags (DynamoDB Local does not, so the prefix is what teardown trusts).
Functions and event source mappings are never deployed: the harness's runtime owns them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from harness.backends.base import Backend
from harness.deploy.external import CaptureQueue, DeliveryQueue
from harness.deploy.messaging import (
    DeployedBus,
    DeployedRule,
    DeployedTopic,
    deploy_messaging,
    teardown_messaging,
)
from harness.topology.errors import ValidationException
from harness.topology.specs import Queue, Table
from harness.topology.topology import PLACEHOLDER, Topology

TAG = "streamharness:topology"


@dataclass(frozen=True)
class DeployedTable:
    name: str
    arn: str
    stream_arn: str | None


@dataclass(frozen=True)
class DeployedQueue:
    name: str
    url: str
    arn: str


@dataclass
class Deployment:
    """Physical names and ARNs of a deployed topology, by logical name."""

    topology: Topology
    prefix: str
    tables: dict[str, DeployedTable] = field(default_factory=dict)
    queues: dict[str, DeployedQueue] = field(default_factory=dict)
    buses: dict[str, DeployedBus] = field(default_factory=dict)
    rules: dict[str, DeployedRule] = field(default_factory=dict)
    topics: dict[str, DeployedTopic] = field(default_factory=dict)
    #: external EventBridge only (see harness/deploy/external.py): queue name -> the Lambda target it backs
    delivery_queues: dict[str, DeliveryQueue] = field(default_factory=dict)
    #: external EventBridge only: logical bus -> its capture-all rule and queue
    capture_queues: dict[str, CaptureQueue] = field(default_factory=dict)

    def resolve(self, value: str) -> str:
        """Replace ``${table:x}``, ``${table-arn:x}``, ``${stream-arn:x}``, ``${queue:x}``, ``${queue-arn:x}``,
        ``${queue-name:x}``, ``${bus:x}``, ``${topic-arn:x}`` placeholders."""
        def sub(match: Any) -> str:
            kind, name = match.group(1), match.group(2)
            if kind == "bus":
                return name if name == "default" else self.buses[name].name
            if kind == "topic-arn":
                return self.topics[name].arn
            if kind == "table":
                return self.tables[name].name
            if kind == "table-arn":
                return self.tables[name].arn
            if kind == "queue-name":
                return self.queues[name].name
            if kind == "stream-arn":
                return self.tables[name].stream_arn or ""
            if kind == "queue":
                return self.queues[name].url
            return self.queues[name].arn
        return PLACEHOLDER.sub(sub, value)

    def destination_arn(self, ref: str) -> str:
        kind, _, name = ref.partition(":")
        if kind == "queue":
            return self.queues[name].arn
        if kind == "topic":
            return self.topics[name].arn
        raise KeyError(ref)


def deploy(topology: Topology, backend: Backend, prefix: str = "sh-") -> Deployment:
    dep = Deployment(topology=topology, prefix=prefix)
    if topology.tables:
        ddb = backend.client("dynamodb")
        for table in topology.tables:
            dep.tables[table.name] = _ensure_table(ddb, table, prefix + table.name, topology.name)
    if topology.queues:
        sqs = backend.client("sqs")
        # dead-letter queues first: a redrive policy needs its DLQ's ARN
        for queue in sorted(topology.queues, key=lambda q: q.redrive_policy is not None):
            dep.queues[queue.name] = _ensure_queue(sqs, queue, prefix, dep, topology.name)
    deploy_messaging(topology, backend, dep)  # topics, buses, rules, targets: they refer to queues
    return dep


def _key_schema(hash_key: Any, range_key: Any) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key.name, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key.name, "KeyType": "RANGE"})
    return schema


def _ensure_table(ddb: Any, table: Table, name: str, topology: str) -> DeployedTable:
    try:
        desc = ddb.describe_table(TableName=name)["Table"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        desc = _create_table(ddb, table, name, topology)
    else:
        wanted = _key_schema(table.hash_key, table.range_key)
        if desc["KeySchema"] != wanted:
            raise ValidationException(
                f"table {name} already exists with key schema {desc['KeySchema']}, but the topology wants {wanted}; "
                f"tear it down first")
        if table.has_stream and not desc.get("StreamSpecification", {}).get("StreamEnabled"):
            desc = ddb.update_table(TableName=name, StreamSpecification={
                "StreamEnabled": True, "StreamViewType": str(table.stream_view_type)})["TableDescription"]
    if desc.get("TableStatus") != "ACTIVE":
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        desc = ddb.describe_table(TableName=name)["Table"]
    if table.ttl_attribute:
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": table.ttl_attribute})
    return DeployedTable(name=name, arn=desc["TableArn"], stream_arn=desc.get("LatestStreamArn"))


def _create_table(ddb: Any, table: Table, name: str, topology: str) -> dict[str, Any]:
    attrs = {k.name: str(k.type) for k in table.key_attributes()}
    kwargs: dict[str, Any] = {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(table.hash_key, table.range_key),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attrs.items()],
        "Tags": [{"Key": TAG, "Value": topology}],
    }
    if table.has_stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": str(table.stream_view_type)}
    if table.global_secondary_indexes:
        kwargs["GlobalSecondaryIndexes"] = [{
            "IndexName": g.name, "KeySchema": _key_schema(g.hash_key, g.range_key),
            "Projection": {"ProjectionType": g.projection,
                           **({"NonKeyAttributes": list(g.non_key_attributes)} if g.non_key_attributes else {})},
        } for g in table.global_secondary_indexes]
    return ddb.create_table(**kwargs)["TableDescription"]  # type: ignore[no-any-return]


def _ensure_queue(sqs: Any, queue: Queue, prefix: str, dep: Deployment, topology: str) -> DeployedQueue:
    name = prefix + queue.name
    attributes = {"VisibilityTimeout": str(queue.visibility_timeout),
                  "MessageRetentionPeriod": str(queue.message_retention_period)}
    if queue.fifo:
        attributes["FifoQueue"] = "true"
    if queue.redrive_policy:
        dlq = dep.queues[queue.redrive_policy.dead_letter_queue]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": str(queue.redrive_policy.max_receive_count)})
    url = sqs.create_queue(QueueName=name, Attributes=attributes, tags={TAG: topology})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return DeployedQueue(name=name, url=url, arn=arn)


def teardown(topology: Topology, backend: Backend, prefix: str = "sh-") -> list[str]:
    """Delete the topology's resources (by their prefixed names); returns what was deleted."""
    deleted: list[str] = teardown_messaging(topology, backend, prefix)  # rules first: they refer to queues
    if topology.tables:
        ddb = backend.client("dynamodb")
        existing = set(_all_tables(ddb))
        for table in topology.tables:
            if prefix + table.name in existing:
                ddb.delete_table(TableName=prefix + table.name)
                deleted.append(f"table:{prefix + table.name}")
    if topology.queues:
        sqs = backend.client("sqs")
        for queue in topology.queues:
            try:
                url = sqs.get_queue_url(QueueName=prefix + queue.name)["QueueUrl"]
            except ClientError:
                continue
            sqs.delete_queue(QueueUrl=url)
            deleted.append(f"queue:{prefix + queue.name}")
    return deleted


def _all_tables(ddb: Any) -> list[str]:
    names: list[str] = []
    for page in ddb.get_paginator("list_tables").paginate():
        names.extend(page.get("TableNames", []))
    return names
