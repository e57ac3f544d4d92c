"""What the runtime promises whoever shares its process: a handler's exit is a function error on every
path, worker cold starts are recorded whoever invokes, every harness on a shared backend gets its own
wake-ups, and overlapping harnesses leave os.environ and sys.path as each found it."""
from __future__ import annotations

import gc
import os
import sys
import threading
import weakref
from pathlib import Path
from typing import Any

from conftest import FAST

from harness import EngineOptions, EventSourceMapping, Function, Harness, RetryPolicy, Rule, Table, Target, Topology

HERE = "test_runtime_guarantees"


def exits(event: Any, context: Any) -> None:
    """A handler that ends its runtime (as sys.exit() in a Lambda handler does)."""
    sys.exit(3)


def interrupted(event: Any, context: Any) -> None:
    raise KeyboardInterrupt


def record(event: Any, context: Any) -> dict[str, int]:
    return {"pid": os.getpid()}


def _esm_topology(handler: str) -> Topology:
    return Topology(name="guarantees", tables=[Table("items", "k")],
                    functions=[Function("fn", f"{HERE}:{handler}")],
                    event_source_mappings=[EventSourceMapping("fn", "items", name="m", maximum_retry_attempts=1)])


def _rule_topology(handler: str, invoker: str = "in-process") -> Topology:
    return Topology(name="guarantees", functions=[Function("fn", f"{HERE}:{handler}", invoker=invoker)],
                    rules=[Rule("r", {"source": ["shop"]}, targets=[Target("t", "function:fn", retry_policy=RetryPolicy(0))])])


def _put_event(h: Harness) -> None:
    response = h.client("events").put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": "{}"}])
    assert response["FailedEntryCount"] == 0


# -- an exit in a handler is a function error, never a dead thread -----------------------------------------
def test_sys_exit_in_a_mapping_handler_is_a_runtime_exit_error_and_the_lane_lives(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_esm_topology("exits"))
    ddb = h.client("dynamodb")
    for k in ("a", "b"):
        ddb.put_item(TableName=h.table_name("items"), Item={"k": {"S": k}})
    h.drain(20)
    errors = h.trace.of("error", function="fn")
    assert errors and {e["error_type"] for e in errors} == {"Runtime.ExitError"}
    assert "Runtime exited with error: exit status 3" in errors[0]["error_message"]
    stats = h.stats()["m"]
    assert stats.seen == 2 and stats.dropped == 2 and stats.balanced


def test_keyboard_interrupt_in_a_mapping_handler_is_a_runtime_exit_error(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_esm_topology("interrupted"))
    h.client("dynamodb").put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}})
    h.drain(20)
    errors = h.trace.of("error", function="fn")
    assert errors and errors[0]["error_type"] == "Runtime.ExitError"
    assert "signal: interrupt" in errors[0]["error_message"]
    assert h.stats()["m"].balanced


def test_sys_exit_in_an_eventbridge_lambda_target_is_a_function_error(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_rule_topology("exits"))
    _put_event(h)
    h.drain(20)
    errors = h.trace.of("error", function="fn")  # Lambda's asynchronous invocation: 1 attempt + 2 retries
    assert [e["error_type"] for e in errors] == ["Runtime.ExitError"] * 3
    (dropped,) = h.trace.of("async_destination")
    assert dropped["dropped"] is True and dropped["condition"] == "RetriesExhausted"
    assert h.dispatcher.stats["succeeded"] == 1 and not h.dispatcher.pending()  # Lambda accepted the event
    assert h.runtime.async_invoker.function_stats()["fn"]["dropped"] == 1


# -- one invocation path: worker cold starts are recorded for EventBridge targets too ------------------------
def test_a_worker_function_invoked_by_a_rule_records_its_cold_start(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_rule_topology("record", invoker="worker"))
    _put_event(h)
    h.drain(30)
    (result,) = h.trace.of("result", function="fn")
    assert result["cold_start"] is True and result["init_duration_ms"] > 0
    (worker,) = h.trace.of("worker", function="fn")
    assert worker["state"] == "cold_start" and worker["request_id"] == result["request_id"]
    assert worker["pid"] == result["response"]["pid"] != os.getpid()


# -- per-harness nudges on a shared backend -----------------------------------------------------------------
#: idle pollers would wait this long between polls: only a nudge makes a write visible within the test's wait
SLOW_POLLS = EngineOptions(poll_interval_min_s=60, poll_interval_max_s=60, retry_backoff_base_s=0.005,
                           retry_backoff_max_s=0.05)


def _handled(h: Harness, timeout: float) -> bool:
    seen = threading.Event()
    h.trace.subscribe(lambda e: seen.set() if e.get("kind") == "result" else None)
    return bool(h.trace.of("result")) or seen.wait(timeout)


def test_two_harnesses_on_one_shared_backend_both_get_instant_wakeups(harness_for):  # type: ignore[no-untyped-def]
    first = harness_for(_esm_topology("record"), options=SLOW_POLLS)
    second = harness_for(_esm_topology("record"), options=SLOW_POLLS)
    assert first.client("dynamodb") is second.client("dynamodb")  # the backend's shared client
    for h in (first, second):
        h.client("dynamodb").put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}})
        assert _handled(h, 15), f"harness {h.prefix} was not woken by its write"


def test_a_stopped_harness_is_not_kept_alive_by_the_shared_client(backend) -> None:  # type: ignore[no-untyped-def]
    h = Harness(_esm_topology("record"), backend=backend, prefix=f"nudge{os.getpid()}-", options=FAST)
    with h:
        h.client("dynamodb")
    gone = weakref.ref(h)
    del h
    gc.collect()
    assert gone() is None, "the backend's shared client still holds the stopped harness"


# -- os.environ and sys.path: each harness restores exactly what it set --------------------------------------
def test_overlapping_harnesses_keep_each_others_environment(backend, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)  # pytest may have inherited one
    before = dict(os.environ)
    topology = Topology(name="env", functions=[Function("fn", f"{HERE}:record")])
    a = Harness(topology, backend=backend, prefix="env-a-", options=FAST, handlers_path=[tmp_path])
    b = Harness(topology, backend=backend, prefix="env-b-", options=FAST)
    a.start()
    applied = dict(os.environ)
    assert applied["AWS_ENDPOINT_URL_DYNAMODB"] == backend.endpoints["dynamodb"]
    assert str(tmp_path.resolve()) in sys.path
    b.start()
    a.stop()  # overlapping, not nested: the first one out must not take the second one's variables
    assert {k: os.environ.get(k) for k in b.environment()} == b.environment()
    assert str(tmp_path.resolve()) not in sys.path
    b.stop()
    assert dict(os.environ) == before


def test_nested_harnesses_restore_what_each_found(backend) -> None:  # type: ignore[no-untyped-def]
    os.environ["AWS_REGION"] = "eu-north-1"
    try:
        topology = Topology(name="env", functions=[Function("fn", f"{HERE}:record")])
        with Harness(topology, backend=backend, prefix="env-o-", options=FAST):
            assert os.environ["AWS_REGION"] == backend.region
            with Harness(topology, backend=backend, prefix="env-i-", options=FAST):
                assert os.environ["AWS_REGION"] == backend.region
            assert os.environ["AWS_REGION"] == backend.region
            assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == backend.endpoints["dynamodb"]
        assert os.environ["AWS_REGION"] == "eu-north-1"
    finally:
        os.environ.pop("AWS_REGION", None)
