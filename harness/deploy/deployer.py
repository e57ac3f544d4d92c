"""Create what a topology needs, or take over what an earlier run of it left, and remove exactly that again.

Physical names are ``prefix + logical name``. Every resource carries our tags (see ownership.py); an
existing resource without them is never modified (unless adopted explicitly) and never deleted. A deploy
that fails half-way deletes what it created. Functions and event source mappings are never deployed: the
harness's runtime owns them.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from harness.backends.base import Backend
from harness.deploy import external, ownership, resources
from harness.deploy.messaging import deploy_messaging
from harness.deploy.model import DeployedQueue, DeployedTable, Deployment, Resource, bus_name
from harness.topology.errors import ValidationException
from harness.topology.specs import Queue, Table
from harness.topology.topology import Topology


def plan(topology: Topology, backend: Backend, prefix: str = "sh-") -> list[str]:
    """What :func:`deploy` creates, one line each (printed before anything is created where it costs money)."""
    lines = [f"dynamodb table {prefix}{t.name}" + (" (stream enabled)" if t.has_stream else "")
             for t in topology.tables]
    lines += [f"sqs queue {prefix}{q.name}" for q in topology.queues]
    lines += [f"sns topic {prefix}{t.name} ({len(t.subscriptions)} subscriptions)" for t in topology.topics]
    lines += [f"event bus {bus_name(prefix, b.name)}" for b in topology.event_buses]
    lines += [f"event rule {prefix}{r.name} on {bus_name(prefix, r.bus)} ({len(r.targets)} targets)"
              for r in topology.rules]
    if external.is_external(backend) and (topology.rules or topology.event_buses):
        lines += [f"sqs queue {external.delivery_queue_name(prefix, r.name, t.id)} (delivers to {t.arn})"
                  for r in topology.rules for t in r.targets if t.kind == "function"]
        for bus in ["default", *(b.name for b in topology.event_buses)]:
            rule = external.capture_rule_name(prefix, bus)
            lines.append(f"event rule {rule} and sqs queue {external.queue_name(rule)} (audit of {bus})")
    return lines


def deploy(topology: Topology, backend: Backend, prefix: str = "sh-", *, adopt: bool = False,
           run_id: str | None = None) -> Deployment:
    """Deploy ``topology`` with physical names ``prefix + logical``; a failure deletes what this call created."""
    ownership.validate_names(topology, prefix)
    dep = Deployment(topology=topology, prefix=prefix, run_id=run_id or uuid.uuid4().hex[:12], adopt=adopt)
    try:
        # tables on one thread, queues, topics and buses on this one (they never refer to a table), rules once
        # the tables are there (a pattern may name a table's ARN); DynamoDB Local's calls mostly wait on its own
        # process; leaving the block waits for both, so a rollback sees all that was made
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="streamharness-deploy-tables") as pool:
            tables = pool.submit(_ensure_tables, backend, dep, topology.tables) if topology.tables else None
            if topology.queues:
                sqs = backend.client("sqs")
                # dead-letter queues first: a redrive policy needs its DLQ's ARN
                for queue in sorted(topology.queues, key=lambda q: q.redrive_policy is not None):
                    dep.queues[queue.name] = _ensure_queue(sqs, backend, dep, queue)
            wait_tables = tables.result if tables is not None else (lambda: None)
            deploy_messaging(topology, backend, dep, wait_tables)  # topics, buses, rules, targets: they refer to queues
            wait_tables()
    except BaseException:
        ownership.remove(backend, dep, [r for r in dep.owned if r.created], check_tag=False)
        raise
    return dep


def _key_schema(hash_key: Any, range_key: Any) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key.name, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key.name, "KeyType": "RANGE"})
    return schema


def _ensure_tables(backend: Backend, dep: Deployment, tables: Sequence[Table]) -> None:
    ddb = backend.client("dynamodb")
    for table in tables:
        dep.tables[table.name] = _ensure_table(ddb, backend, dep, table)


def _ensure_table(ddb: Any, backend: Backend, dep: Deployment, table: Table) -> DeployedTable:
    name = dep.prefix + table.name
    try:
        desc = ddb.describe_table(TableName=name)["Table"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        desc = _create_table(ddb, table, name, dep.tags)
        ownership.created(backend, dep, Resource("table", name, desc["TableArn"]))
    else:
        ownership.claim(backend, dep, Resource("table", name, desc["TableArn"]))
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


def _create_table(ddb: Any, table: Table, name: str, tags: dict[str, str]) -> dict[str, Any]:
    attrs = {k.name: str(k.type) for k in table.key_attributes()}
    kwargs: dict[str, Any] = {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(table.hash_key, table.range_key),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attrs.items()],
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
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


def _ensure_queue(sqs: Any, backend: Backend, dep: Deployment, queue: Queue) -> DeployedQueue:
    attributes = {"VisibilityTimeout": str(queue.visibility_timeout),
                  "MessageRetentionPeriod": str(queue.message_retention_period)}
    if queue.fifo:
        attributes["FifoQueue"] = "true"
        attributes["ContentBasedDeduplication"] = str(queue.content_based_deduplication).lower()
    if queue.redrive_policy:
        dlq = dep.queues[queue.redrive_policy.dead_letter_queue]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": str(queue.redrive_policy.max_receive_count)})
    res = resources.ensure_queue(sqs, backend, dep, dep.prefix + queue.name, attributes)
    return DeployedQueue(name=res.name, url=res.url, arn=res.arn)


def teardown(dep: Deployment, backend: Backend) -> list[str]:
    """Delete exactly what carries this run's tag (rules first, tables last); returns what was deleted."""
    return ownership.remove(backend, dep, dep.owned)
