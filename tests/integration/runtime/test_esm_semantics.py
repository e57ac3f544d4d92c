"""Event source mapping semantics beyond v1, each arranged so that its absence would fail the test."""
from __future__ import annotations

import json
import time

from conftest import module_state

from harness import EngineOptions, EventSourceMapping, Function, Queue, Table, Topology


def _topology(handler: str, env: dict[str, str] | None = None, *, timeout: int = 3, mappings=None,
              functions=None, **mapping) -> Topology:  # type: ignore[no-untyped-def]
    return Topology(
        name="esm2", tables=[Table("items", "k")], queues=[Queue("dlq")],
        functions=functions or [Function("fn", f"esm_handlers:{handler}", env=env or {}, timeout=timeout)],
        event_source_mappings=mappings or [EventSourceMapping("fn", "items", name="m", **mapping)])


def _write(h, keys, **attrs) -> list[str]:  # type: ignore[no-untyped-def]
    ddb, t = h.client("dynamodb"), h.table_name("items")
    for k in keys:
        ddb.put_item(TableName=t, Item={"k": {"S": k}, **{a: {"S": str(v)} for a, v in attrs.items()}})
    return list(keys)


def _dlq(h) -> list[dict]:  # type: ignore[no-untyped-def]
    sqs = h.client("sqs")
    out = []
    while True:
        msgs = sqs.receive_message(QueueUrl=h.queue_url("dlq"), MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=h.queue_url("dlq"), ReceiptHandle=m["ReceiptHandle"])


def _seq_of(h, key: str) -> str:  # type: ignore[no-untyped-def]
    return next(e["sequence_number"] for e in h.trace.of("record") if e["keys"]["k"]["S"] == key)


def test_bisect_isolates_one_poison_record(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("poison", {"POISON": "k5"}, batch_size=10, bisect_batch_on_function_error=True,
                              maximum_retry_attempts=0, on_failure="queue:dlq"))
    with h.paused("m"):
        _write(h, [f"k{i}" for i in range(10)])
    h.drain(20)
    stats = h.stats()["m"]
    assert (stats.succeeded, stats.given_up, stats.dropped) == (9, 1, 0) and stats.balanced
    (message,) = _dlq(h)
    info = message["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"] == _seq_of(h, "k5")
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert len(h.trace.of("split")) >= 3  # 10 -> 5 -> 3 -> 2 -> 1 on the poison's side
    handled = [k for c in module_state(h, "fn")["CALLS"] for k in c["keys"] if "k5" not in c["keys"]]
    assert sorted(handled) == sorted(f"k{i}" for i in range(10) if i != 5)


def test_report_batch_item_failures_retries_from_the_lowest_failed_record(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("report_failures", {"FAIL_KEYS": "k2"}, batch_size=10,
                              function_response_types=["ReportBatchItemFailures"]))
    with h.paused("m"):
        _write(h, ["k0", "k1", "k2", "k3", "k4"])
    h.drain(20)
    calls = [c["keys"] for c in module_state(h, "fn")["CALLS"]]
    assert calls == [["k0", "k1", "k2", "k3", "k4"], ["k2", "k3", "k4"]]
    (partial,) = h.trace.of("partial_failure")
    assert partial["failed"] == [_seq_of(h, "k2")]
    assert h.stats()["m"].succeeded == 5 and h.stats()["m"].balanced
    assert h.trace.of("checkpoint")[-1]["sequence_number"] == _seq_of(h, "k4")


def test_batch_item_failures_are_ignored_unless_enabled(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("report_failures", {"FAIL_KEYS": "k2"}, batch_size=10))
    with h.paused("m"):
        _write(h, ["k0", "k1", "k2"])
    h.drain(20)
    assert [c["keys"] for c in module_state(h, "fn")["CALLS"]] == [["k0", "k1", "k2"]]


def test_a_malformed_item_identifier_fails_the_whole_batch(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("report_failures", {"MALFORMED": "1"}, batch_size=10,
                              function_response_types=["ReportBatchItemFailures"]))
    with h.paused("m"):
        _write(h, ["k0", "k1", "k2"])
    h.drain(20)
    assert [c["keys"] for c in module_state(h, "fn")["CALLS"]] == [["k0", "k1", "k2"]] * 2
    assert "invalid batchItemFailures" in h.trace.of("retry")[0]["reason"]


def test_powertools_batch_processor_drives_our_checkpointing(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("powertools_batch", {"FAIL_KEYS": "k3"}, batch_size=10,
                              function_response_types=["ReportBatchItemFailures"]))
    with h.paused("m"):
        _write(h, ["k0", "k1", "k2", "k3", "k4", "k5"])
    h.drain(20)
    keys = [c["key"] for c in module_state(h, "fn")["CALLS"]]
    assert keys == ["k0", "k1", "k2", "k3", "k4", "k5", "k3", "k4", "k5"]
    assert h.trace.of("partial_failure")[0]["failed"] == [_seq_of(h, "k3")]
    assert h.stats()["m"].succeeded == 6


def test_record_age_ends_retries_with_record_age_exceeded(backend):  # type: ignore[no-untyped-def]
    from harness import Harness

    offset = [0.0]
    options = EngineOptions(retry_backoff_base_s=0.01, clock=lambda: time.time() + offset[0])
    topo = _topology("always_fails", maximum_record_age_in_seconds=60, on_failure="queue:dlq")
    with Harness(topo, backend=backend, prefix="age-", options=options) as h:
        h.trace.subscribe(lambda e: offset.__setitem__(0, 120.0) if e["kind"] == "error" else None)
        _write(h, ["old"])
        h.drain(20)
        (message,) = _dlq(h)
        assert message["requestContext"]["condition"] == "RecordAgeExceeded"
        assert len(h.trace.of("invoke")) == 1  # no retry once the record is too old


def test_an_overrun_timeout_is_a_function_error(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("sleeps_past_timeout", timeout=1, maximum_retry_attempts=0, on_failure="queue:dlq"))
    _write(h, ["slow"])
    h.drain(20)
    (err,) = h.trace.of("error")
    assert err["error_type"] == "Sandbox.Timedout" and err["error_message"] == "Task timed out after 1.00 seconds"
    assert _dlq(h)[0]["responseContext"]["functionError"] == "Unhandled"


def test_parallelization_runs_lanes_concurrently_but_keeps_each_key_in_order(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("slow_keys", batch_size=4, parallelization_factor=4))
    ddb, t = h.client("dynamodb"), h.table_name("items")
    keys = [f"k{i:02}" for i in range(16)]
    with h.paused("m"):
        for version in range(3):
            for k in keys:
                ddb.put_item(TableName=t, Item={"k": {"S": k}, "v": {"N": str(version)}})
    h.drain(30)
    calls = module_state(h, "fn")["CALLS"]
    per_key: dict[str, list[str]] = {}
    for c in sorted(calls, key=lambda c: c["start"]):
        for k, v in c["records"]:
            per_key.setdefault(k, []).append(v)
    assert per_key == {k: ["0", "1", "2"] for k in keys}  # nothing lost, nothing twice, in order per key
    overlapping = [(a, b) for i, a in enumerate(calls) for b in calls[i + 1:]
                   if a["start"] < b["end"] and b["start"] < a["end"]]
    assert overlapping, "no two batches ran at the same time"
    for a, b in overlapping:  # a key is never in two batches at once
        assert not {k for k, _ in a["records"]} & {k for k, _ in b["records"]}
    assert {e["lane"] for e in h.trace.of("batch")} == {0, 1, 2, 3}


def test_tumbling_window_carries_state_and_ends_with_a_final_invoke(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("tumbling_count", batch_size=2, tumbling_window_in_seconds=2))
    with h.paused("m"):
        _write(h, ["a", "b", "c", "d", "e"])
    h.drain(20)
    calls = module_state(h, "fn")["CALLS"]
    final = [c for c in calls if c["isFinalInvokeForWindow"]]
    assert final and final[-1]["records"] == 0
    assert sum(c["state"].get("count", 0) for c in final) == 5  # the final state has every record counted
    first = calls[0]
    assert first["state"] == {} and first["isWindowTerminatedEarly"] is False
    assert first["window"]["start"].endswith("Z") and first["window"]["end"] > first["window"]["start"]
    assert first["eventSourceARN"] == h.deployment.tables["items"].stream_arn and first["shardId"]
    for prev, nxt in zip(calls, calls[1:]):  # state flows from one invocation to the next within a window
        if prev["window"] == nxt["window"] and not prev["isFinalInvokeForWindow"]:
            assert nxt["state"]["count"] == prev["state"].get("count", 0) + prev["records"]


def test_payload_cap_of_6_mb_ends_a_batch_early(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("record", batch_size=100))
    ddb, t = h.client("dynamodb"), h.table_name("items")
    blob = "x" * 350_000
    with h.paused("m"):
        for i in range(20):
            ddb.put_item(TableName=t, Item={"k": {"S": f"big{i:02}"}, "blob": {"S": blob}})
    h.drain(60)
    batches = h.trace.of("batch")
    assert sum(b["size"] for b in batches) == 20 and len(batches) >= 2
    assert batches[0]["reason"] == "payload"
    assert all(b["payload_bytes"] <= 6 * 1024 * 1024 for b in batches)


def test_several_mappings_each_see_the_whole_stream(harness_for):  # type: ignore[no-untyped-def]
    topo = _topology("record", functions=[Function("inserts", "esm_handlers:record"),
                                          Function("removes", "esm_handlers:record")],
                     mappings=[EventSourceMapping("inserts", "items", name="mi",
                                                  filter_criteria=['{"eventName": ["INSERT"]}']),
                               EventSourceMapping("removes", "items", name="mr",
                                                  filter_criteria=['{"eventName": ["REMOVE"]}'])])
    h = harness_for(topo)
    _write(h, ["a", "b"])
    h.client("dynamodb").delete_item(TableName=h.table_name("items"), Key={"k": {"S": "a"}})
    h.drain(20)
    stats = h.stats()
    assert stats["mi"].seen == stats["mr"].seen == 3
    names = {m: [r["eventName"] for e in h.trace.of("invoke", mapping=m) for r in e["event"]["Records"]]
             for m in ("mi", "mr")}
    assert names == {"mi": ["INSERT", "INSERT"], "mr": ["REMOVE"]}


def test_accounting_balances_after_drain(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("poison", {"POISON": "p"}, batch_size=3, maximum_retry_attempts=1,
                              filter_criteria=['{"eventName": ["INSERT"]}']))
    with h.paused("m"):
        _write(h, ["a", "b", "p", "c", "d"])
        _write(h, ["a"], changed=1)  # a MODIFY: filtered
    h.drain(20)
    s = h.stats()["m"]
    assert s.seen == 6 and s.filtered == 1 and s.dropped == 3 and s.succeeded == 2
    assert s.seen == s.succeeded + s.filtered + s.given_up + s.dropped


def test_on_failure_to_an_sns_topic_reaches_its_subscribers(harness_for):  # type: ignore[no-untyped-def]
    from harness.topology.events import Subscription, Topic

    topo = Topology(
        name="esm-sns", tables=[Table("items", "k")], queues=[Queue("dlq")],
        topics=[Topic("failures", subscriptions=[Subscription("queue:dlq", raw_message_delivery=True)])],
        functions=[Function("fn", "esm_handlers:always_fails")],
        event_source_mappings=[EventSourceMapping("fn", "items", name="m", maximum_retry_attempts=0,
                                                  on_failure="topic:failures")])
    h = harness_for(topo)
    _write(h, ["x"])
    h.drain(20)
    (message,) = _dlq(h)
    assert message["DDBStreamBatchInfo"]["batchSize"] == 1
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert h.stats()["m"].given_up == 1


def test_a_dying_worker_process_is_a_function_error_and_the_batch_is_retried(harness_for, tmp_path):  # type: ignore[no-untyped-def]
    topo = _topology("dies_once", functions=[Function("fn", "esm_handlers:dies_once", invoker="worker",
                                                      env={"MARKER_FILE": str(tmp_path / "died")})],
                     mappings=[EventSourceMapping("fn", "items", name="m", batch_size=10)])
    h = harness_for(topo)
    with h.paused("m"):
        _write(h, ["a", "b"])
    h.drain(30)
    (err,) = h.trace.of("error")
    assert err["error_type"] == "Runtime.ExitError" and "exit status 3" in err["error_message"]
    (result,) = h.trace.of("result")
    assert [e["sequence_numbers"] for e in h.trace.of("invoke")] == [[_seq_of(h, "a"), _seq_of(h, "b")]] * 2
    assert len(h.trace.of("worker")) == 2  # the dead worker was replaced by a cold one
    assert result["cold_start"] is True and h.stats()["m"].succeeded == 2
