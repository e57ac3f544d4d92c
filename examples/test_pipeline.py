"""Testing examples/pipeline.yaml with the streamharness pytest plugin: ``pytest examples/`` (also
``-n 2``). The ``harness`` fixture starts the topology on a backend shared by the tests of this process,
under a prefix of the test's own, and stops it after the test."""
from __future__ import annotations

import json

import pytest

from harness.testing import assert_delivered, assert_in_order

pytestmark = pytest.mark.harness_topology("pipeline.yaml")  # relative to this file


def place(h, order_id: str, total: int) -> None:  # type: ignore[no-untyped-def]
    h.client("dynamodb").put_item(TableName=h.table_name("orders"),
                                  Item={"order_id": {"S": order_id}, "total": {"N": str(total)}})


def test_every_new_order_is_announced(harness):  # type: ignore[no-untyped-def]
    h = harness()
    for i in range(12):
        place(h, f"o-{i}", total=10 * i)
    h.drain(timeout=30)  # every record so far handled, and every bus event delivered
    assert_delivered(h, [f"o-{i}" for i in range(12)], function="announce")
    assert_in_order(h)
    assert len(h.trace.of("bus_event")) == 12


def test_only_big_orders_reach_the_queue(harness):  # type: ignore[no-untyped-def]
    h = harness()
    place(h, "small", total=99)
    place(h, "big", total=100)
    h.drain(timeout=30)
    messages = h.client("sqs").receive_message(QueueUrl=h.queue_url("big-orders"), MaxNumberOfMessages=10,
                                               WaitTimeSeconds=1).get("Messages", [])
    assert [json.loads(m["Body"])["detail"]["order_id"] for m in messages] == ["big"]


def test_an_update_is_not_announced_again(harness):  # type: ignore[no-untyped-def]
    h = harness()
    place(h, "o-1", total=5)
    place(h, "o-1", total=500)  # a MODIFY: the mapping's filter lets INSERTs through only
    h.drain(timeout=30)
    assert [e["detail"]["total"] for e in h.trace.of("bus_event")] == [5]
