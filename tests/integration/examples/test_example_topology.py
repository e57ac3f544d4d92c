"""examples/topology.yaml runs as the README says: a paid order reaches the handler, a bad one is reported
to the failures queue after its retries."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import Harness, Topology

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_the_example_topology_runs(harness_for: Callable[..., Harness]) -> None:
    topology = Topology.from_file(EXAMPLES / "topology.yaml")
    h = harness_for(topology, handlers_path=[EXAMPLES])
    ddb, table = h.client("dynamodb"), h.table_name("orders")
    ddb.put_item(TableName=table, Item={"customer_id": {"S": "c1"}, "order_id": {"S": "o1"},
                                        "status": {"S": "PAID"}, "total": {"N": "12.5"}})
    ddb.put_item(TableName=table, Item={"customer_id": {"S": "c1"}, "order_id": {"S": "o2"},
                                        "status": {"S": "PAID"}})  # no total: the handler reports it
    ddb.put_item(TableName=table, Item={"customer_id": {"S": "c2"}, "order_id": {"S": "o3"},
                                        "status": {"S": "NEW"}})   # filtered out
    h.drain(60)
    logs = [line for line, _ in h.trace.json_logs("order-processor")]
    assert {"event": "order_paid", "order_id": "o1", "total": "12.5", "table": table} in logs
    stats = h.stats()["orders-to-processor"]
    assert (stats.succeeded, stats.filtered, stats.given_up, stats.in_flight) == (1, 1, 1, 0)
    failed: list[Any] = h.client("sqs").receive_message(QueueUrl=h.queue_url("order-failures")).get("Messages", [])
    assert [json.loads(m["Body"])["requestContext"]["condition"] for m in failed] == ["RetryAttemptsExhausted"]


def test_the_sam_template_is_the_same_pipeline_and_runs(harness_for: Callable[..., Harness]) -> None:
    template = Topology.from_template(EXAMPLES / "template.yaml")
    yaml_twin = Topology.from_file(EXAMPLES / "pipeline.yaml")
    for part in ("tables", "queues", "event_buses", "rules", "functions"):
        assert getattr(template, part) == getattr(yaml_twin, part), part
    [ours], [theirs] = template.event_source_mappings, yaml_twin.event_source_mappings
    assert ours == dataclasses.replace(theirs, name=ours.name)  # the same mapping under the template's name
    h = harness_for(template)
    h.client("dynamodb").put_item(TableName=h.table_name("orders"),
                                  Item={"order_id": {"S": "o-9"}, "total": {"N": "250"}})
    h.drain(60)
    [message] = h.client("sqs").receive_message(QueueUrl=h.queue_url("big-orders"))["Messages"]
    assert json.loads(message["Body"])["detail"] == {"order_id": "o-9", "total": 250}
