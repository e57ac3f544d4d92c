"""Each fault kind, injected into a small stream pipeline: what the trace shows and what the pipeline did."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from harness import EventSourceMapping, Function, Queue, Table, Topology
from harness.runtime.faults import Fault, FaultPlan

sys.path.insert(0, str(Path(__file__).parent))  # fault_handlers.py, found like a user's handler module


def topology(handler: str = "forward", **mapping: Any) -> Topology:
    return Topology(name="faults", tables=[Table("items", "k")], queues=[Queue("dlq")],
                    functions=[Function("fn", f"fault_handlers:{handler}", env={"TABLE": "${table:items}"}, timeout=5)],
                    event_source_mappings=[EventSourceMapping("fn", "items", name="m", **mapping)])


def run(harness_for: Any, *faults: Fault, keys: tuple[str, ...] = ("a", "b", "c"), **mapping: Any) -> Any:
    h = harness_for(topology(**mapping), faults=FaultPlan(faults, seed=3))
    ddb, table = h.client("dynamodb"), h.table_name("items")
    with h.paused("m"):  # one batch
        for k in keys:
            ddb.put_item(TableName=table, Item={"k": {"S": k}, "colour": {"S": "red" if k == "r" else "blue"}})
    h.drain(20)
    return h


def forwarded(h: Any) -> list[str]:
    """The keys the handler's PutEvents calls got onto the bus (what it did, whatever its invocation's fate)."""
    return sorted(json.loads(e["detail"])["k"] for c in h.trace.of("api_call", operation="PutEvents")
                  for e in c["entries"] if e["error_code"] is None)


def test_throttled_calls_are_retried_by_the_sdk_and_the_trace_shows_each_attempt(harness_for: Any) -> None:
    h = run(harness_for, Fault("throttle", service="dynamodb", operation="GetItem", attempts=2, limit=1))
    throttles = h.trace.of("fault", fault="throttle")
    assert [(e["http_attempt"], e["error_code"]) for e in throttles] == \
        [(1, "ProvisionedThroughputExceededException"), (2, "ProvisionedThroughputExceededException")]
    call = next(c for c in h.trace.of("api_call", operation="GetItem") if c["request_id"] == throttles[0]["request_id"])
    assert call["retries"] == 2 and "error" not in call
    assert not h.trace.of("error") and forwarded(h) == ["a", "b", "c"]


def test_a_put_events_partial_failure_is_what_the_handler_sees(harness_for: Any) -> None:
    h = run(harness_for, Fault("put_events_failure", limit=1, error_code="ThrottlingException"))
    first = h.trace.of("api_call", operation="PutEvents")[0]
    assert first["failed_entry_count"] == 1
    assert [e["error_code"] for e in first["entries"]].count("ThrottlingException") == 1
    assert "PutEvents rejected 1 entries: ['ThrottlingException']" in h.trace.of("error")[0]["error_message"]
    assert h.trace.of("api_call", operation="PutEvents")[-1]["failed_entry_count"] == 0  # the retry got through
    assert h.stats()["m"].retries == 1


def test_a_put_events_failure_is_transient_its_retry_gets_through(harness_for: Any) -> None:
    h = run(harness_for, Fault("put_events_failure"))  # every entry, first attempts only
    calls = h.trace.of("api_call", operation="PutEvents")
    assert [c["failed_entry_count"] > 0 for c in calls] == [True, False]
    assert h.stats()["m"].retries == 1 and h.stats()["m"].succeeded == 3


def test_an_error_fault_is_transient_and_a_timeout_keeps_side_effects(harness_for: Any) -> None:
    h = run(harness_for, Fault("error", error_type="Boom"), Fault("timeout", attempts=2))
    errors = [(e["attempt"], e["error_type"]) for e in h.trace.of("error")]
    assert errors == [(1, "Boom"), (2, "Sandbox.Timedout")]
    assert forwarded(h) == sorted(["a", "b", "c"] * 2)  # the timed-out attempt 2 did its work, attempt 3 again
    assert [e["fault"] for e in h.trace.of("fault")][1:] == ["error", "timeout"]


def test_a_poison_record_fails_every_attempt_and_is_given_up(harness_for: Any) -> None:
    h = run(harness_for, Fault("poison", key="b"), keys=("a", "b", "c", "d"), batch_size=1,
            maximum_retry_attempts=1, on_failure="queue:dlq")
    assert len(h.trace.of("fault", fault="poison")) == 2  # the first attempt and its one retry
    assert h.stats()["m"].given_up == 1 and forwarded(h) == ["a", "c", "d"]


def test_a_duplicate_delivery_invokes_the_batch_twice(harness_for: Any) -> None:
    h = run(harness_for, Fault("duplicate"))
    invokes = h.trace.of("invoke", function="fn")
    assert len(invokes) == 2 and invokes[1]["duplicate_of"] == invokes[0]["request_id"]
    assert invokes[0]["event"] == invokes[1]["event"]
    assert forwarded(h) == sorted(["a", "b", "c"] * 2)
    assert h.stats()["m"].succeeded == 3  # the mapping's accounting counts each record once


def test_latency_and_the_plan_are_in_the_trace(harness_for: Any) -> None:
    h = run(harness_for, Fault("latency", latency_ms=20, function="fn"))
    assert h.trace.of("fault", fault="plan")[0]["plan"]["faults"] == [{"kind": "latency", "function": "fn",
                                                                        "latency_ms": 20}]
    assert len(h.trace.of("fault", fault="latency")) == 1


@pytest.mark.parametrize("seed", [5])
def test_the_same_seed_injects_the_same_faults(harness_for: Any, seed: int) -> None:
    def injected() -> list[tuple[str, Any]]:
        h = harness_for(topology(batch_size=1), faults=FaultPlan((Fault("error", rate=0.5),), seed=seed))
        ddb, table = h.client("dynamodb"), h.table_name("items")
        for k in "abcdefgh":
            ddb.put_item(TableName=table, Item={"k": {"S": k}})
        h.drain(20)
        return sorted(e["event"]["Records"][0]["dynamodb"]["Keys"]["k"]["S"]
                      for e in h.trace.of("invoke") if e["request_id"] in
                      {f["request_id"] for f in h.trace.of("fault", fault="error")})

    first = injected()
    assert 0 < len(first) < 8 and injected() == first
