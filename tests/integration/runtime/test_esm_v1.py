"""ESM engine v1 on the embedded backend: filtering, batching, order, retries, drain."""
from __future__ import annotations

import json

import pytest
from conftest import module_state

from harness import DrainTimeout, EventSourceMapping, Function, Queue, Table, Topology


def _topology(handler: str = "record", env: dict[str, str] | None = None, queues=(), **mapping) -> Topology:  # type: ignore[no-untyped-def]
    return Topology(name="esm", tables=[Table("items", "k")], queues=list(queues),
                    functions=[Function("fn", f"esm_handlers:{handler}", env=env or {})],
                    event_source_mappings=[EventSourceMapping("fn", "items", name="m", **mapping)])


def _put(h, *keys: str, **attrs: str) -> None:  # type: ignore[no-untyped-def]
    ddb, t = h.client("dynamodb"), h.table_name("items")
    for k in keys:
        ddb.put_item(TableName=t, Item={"k": {"S": k}, **{a: {"S": v} for a, v in attrs.items()}})


def _delivered(h) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[r["dynamodb"]["Keys"]["k"]["S"] for r in e["event"]["Records"]] for e in h.trace.of("invoke")]


def test_insert_only_filter_drops_modify_and_remove_and_moves_the_checkpoint(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology(filter_criteria=['{"eventName": ["INSERT"]}']))
    ddb, t = h.client("dynamodb"), h.table_name("items")
    _put(h, "a", "b")
    _put(h, "a", v="changed")                       # MODIFY
    ddb.delete_item(TableName=t, Key={"k": {"S": "b"}})  # REMOVE
    h.drain(10)
    names = [r["eventName"] for e in h.trace.of("invoke") for r in e["event"]["Records"]]
    assert names == ["INSERT", "INSERT"]
    stats = h.stats()["m"]
    assert (stats.seen, stats.filtered, stats.succeeded) == (4, 2, 2)
    last_seq = h.trace.of("record")[-1]["sequence_number"]
    assert h.trace.of("checkpoint")[-1]["sequence_number"] == last_seq


def test_filter_on_new_image_fields(harness_for):  # type: ignore[no-untyped-def]
    pattern = {"dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}
    h = harness_for(_topology(filter_criteria=[json.dumps(pattern)]))
    _put(h, "a", status="open")
    _put(h, "b", status="closed")
    _put(h, "c")
    h.drain(10)
    assert _delivered(h) == [["a"]]


def test_batches_by_size_when_records_are_waiting(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology(batch_size=10))
    with h.paused("m"):
        _put(h, *[f"k{i:02}" for i in range(25)])
    h.drain(10)
    assert [len(b) for b in _delivered(h)] == [10, 10, 5]
    assert [e["reason"] for e in h.trace.of("batch")] == ["batch_size", "batch_size", "no_window"]


def test_batching_window_gathers_records_until_it_expires(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology(batch_size=100, maximum_batching_window_in_seconds=1))
    _put(h, "a")
    _put(h, "b", "c")
    h.drain(10)
    assert _delivered(h) == [["a", "b", "c"]]
    batch = h.trace.of("batch")[0]
    first_seen = h.trace.of("record")[0]["t"]
    assert batch["reason"] == "window"
    assert batch["t"] - first_seen >= 0.99


def test_one_batch_at_a_time_per_shard_in_sequence_order(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology(batch_size=3))
    for i in range(30):
        _put(h, f"k{i:02}")
    h.drain(10)
    seqs = [int(s) for e in h.trace.of("invoke") for s in e["sequence_numbers"]]
    assert len(seqs) == 30 and seqs == sorted(seqs)
    # the next invocation never starts before the previous one returned
    ends = {e["request_id"]: e["n"] for e in h.trace.of("result")}
    invokes = h.trace.of("invoke")
    for prev, nxt in zip(invokes, invokes[1:]):
        assert ends[prev["request_id"]] < nxt["n"]


def test_a_failed_batch_is_retried_whole_and_in_order(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("flaky", env={"FAIL_TIMES": "2"}, batch_size=10))
    with h.paused("m"):
        _put(h, "a", "b", "c")
    h.drain(10)
    calls = module_state(h, "fn")["CALLS"]
    keys = [[r["dynamodb"]["Keys"]["k"]["S"] for r in c["records"]] for c in calls]
    assert keys == [["a", "b", "c"]] * 3
    assert [e["attempt"] for e in h.trace.of("invoke")] == [1, 2, 3]
    assert len(h.trace.of("error")) == 2 and len(h.trace.of("retry")) == 2
    assert "RuntimeError: injected failure" in h.trace.of("error")[0]["traceback"]
    stats = h.stats()["m"]
    assert (stats.succeeded, stats.errors, stats.retries) == (3, 2, 2)


def test_retries_exhausted_go_to_the_on_failure_queue_and_the_shard_moves_on(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("always_fails", batch_size=10, maximum_retry_attempts=1, on_failure="queue:dlq",
                              queues=[Queue("dlq")]))
    with h.paused("m"):
        _put(h, "a", "b")
    h.drain(10)
    _put(h, "c")
    h.drain(10)
    assert len(h.trace.of("invoke")) == 4  # (1 try + 1 retry) for each of the two batches
    sqs = h.client("sqs")
    msgs = sqs.receive_message(QueueUrl=h.queue_url("dlq"), MaxNumberOfMessages=10)["Messages"]
    bodies = sorted((json.loads(m["Body"]) for m in msgs), key=lambda b: b["DDBStreamBatchInfo"]["batchSize"])
    assert [b["DDBStreamBatchInfo"]["batchSize"] for b in bodies] == [1, 2]
    info = bodies[1]["DDBStreamBatchInfo"]
    seqs = [e["sequence_number"] for e in h.trace.of("record")]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (seqs[0], seqs[1])
    assert info["streamArn"] == h.deployment.tables["items"].stream_arn
    assert bodies[1]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert bodies[1]["requestContext"]["approximateInvokeCount"] == 2
    assert bodies[1]["requestContext"]["functionArn"].endswith(":function:fn")
    stats = h.stats()["m"]
    assert (stats.seen, stats.succeeded, stats.given_up) == (3, 0, 3)


@pytest.mark.harness_unbalanced  # stuck on purpose: drain must name what is in flight
def test_drain_times_out_naming_the_stuck_shard(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("always_fails"))  # MaximumRetryAttempts -1: retried until the record expires
    _put(h, "poison")
    with pytest.raises(DrainTimeout, match=r"mapping m shard .*retrying a batch of 1 .*ValueError: poison"):
        h.drain(1.0)


def test_paused_mapping_delivers_nothing_until_resumed(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology())
    h.pause("m")
    _put(h, "a")
    h.drain(5)  # disabled mappings are not waited for
    assert h.trace.of("invoke") == []
    h.resume("m")
    h.drain(5)
    assert _delivered(h) == [["a"]]


def test_latest_starts_after_existing_records_and_deploy_is_idempotent(backend):  # type: ignore[no-untyped-def]
    from conftest import FAST

    from harness import Harness

    first = Harness(_topology(), backend=backend, prefix="latest-", options=FAST, keep=True)
    with first:
        _put(first, "old")
        first.drain(10)
        stream_arn = first.deployment.tables["items"].stream_arn
    second = Harness(_topology(starting_position="LATEST"), backend=backend, prefix="latest-", options=FAST)
    with second:
        assert second.deployment.tables["items"].stream_arn == stream_arn  # found, not created again
        _put(second, "new")
        second.drain(10)
        assert _delivered(second) == [["new"]]
        assert second.client("dynamodb").get_item(TableName=second.table_name("items"),
                                                  Key={"k": {"S": "old"}}).get("Item")
