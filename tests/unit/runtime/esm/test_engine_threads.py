"""The ESM's threaded shell on the in-memory stream (no DynamoDB Local): several shards with
parent/child lineage, order per key, pause/resume, drain, and a handler's exit as a function error."""
from __future__ import annotations

import contextlib
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import Any

import pytest

from harness.runtime import EngineOptions, PipelineBroken, Runtime
from harness.runtime.clock import Clock
from harness.runtime.esm.engine import LaneState, MappingConfig, MappingPorts, MappingRuntime, ShardState
from harness.runtime.ids import IdSource
from harness.runtime.invoker import InvocationResult
from harness.runtime.streams.memory import InMemoryStreams
from harness.topology import EventSourceMapping
from harness.trace import Trace

FAST = EngineOptions(poll_interval_min_s=0.001, poll_interval_max_s=0.01, retry_backoff_base_s=0.001,
                     retry_backoff_max_s=0.005, shard_discovery_interval_s=0.05)
Handler = Callable[[dict[str, Any]], Any]


class CallInvoker:
    """An invoker that calls a Python function with the event (no environment, no capture)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        try:
            return InvocationResult(request_id, ok=True, response=self.handler(event))
        except Exception as e:
            return InvocationResult(request_id, ok=False, error_type=type(e).__name__, error_message=str(e))

    def hold_environment(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def stop(self) -> None:
        pass


class Engine:
    """A Runtime around one mapping of the in-memory stream: what Runtime.start builds, minus the backend."""

    def __init__(self, handler: Handler, streams: InMemoryStreams, clock: Clock | None = None, **spec: Any) -> None:
        self.trace = Trace()
        self.runtime = Runtime(types.SimpleNamespace(), types.SimpleNamespace(), self.trace, FAST,  # type: ignore[arg-type]
                               clock=clock, ids=IdSource(7))
        rt = self.runtime
        rt.invokers["fn"] = CallInvoker(handler)
        config = MappingConfig(EventSourceMapping("fn", "t", name="m", **spec), stream_arn=streams.stream_arn,
                               function_arn="arn:aws:lambda:us-east-1:123456789012:function:fn", region="us-east-1",
                               partition_key="pk", options=FAST)
        self.mapping = MappingRuntime(config, MappingPorts(
            streams=streams, invoke=rt.functions.invoke, trace=self.trace, clock=rt.clock, ids=rt.ids,
            on_activity=rt.activity, on_change=rt._changed))
        rt.mappings["m"] = self.mapping

    def __enter__(self) -> Engine:
        self.mapping.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.runtime.stop()


def _put(streams: InMemoryStreams, key: str, n: int, shard: str | None = None) -> None:
    k = {"pk": {"S": key}}
    streams.append("INSERT", k, new_image={**k, "n": {"N": str(n)}}, shard=shard)


def _seen(log: list[tuple[str, int]]) -> Handler:
    lock = threading.Lock()

    def handle(event: dict[str, Any]) -> None:
        with lock:
            for r in event["Records"]:
                img = r["dynamodb"]["NewImage"]
                log.append((img["pk"]["S"], int(img["n"]["N"])))
    return handle


def test_order_per_key_holds_across_shards_and_their_lineage() -> None:
    """A shard splits into two children, one of which splits again; records of a key are spread over them."""
    s = InMemoryStreams()
    n = 0
    for i in range(60):
        _put(s, f"k{i % 6}", n := n + 1)
    s.split(s.shard_id, "child-a", "child-b")
    for i in range(60):
        _put(s, f"k{i % 6}", n := n + 1, shard="child-a" if i % 2 else "child-b")
    s.split("child-a", "grandchild")
    for i in range(30):
        _put(s, f"k{i % 6}", n := n + 1, shard="grandchild")
    log: list[tuple[str, int]] = []
    with Engine(_seen(log), s, batch_size=7, parallelization_factor=3) as e:
        e.runtime.drain(10)
        stats = e.mapping.stats
        assert stats.seen == stats.succeeded == 150 and stats.balanced
    per_key: dict[str, list[int]] = {}
    for key, value in log:
        per_key.setdefault(key, []).append(value)
    for key, values in per_key.items():
        parent = [v for v in values if v <= 60]
        assert parent == sorted(parent), f"key {key}: parent-shard records out of order: {parent}"
        first_child = values.index(next(v for v in values if v > 60))
        assert all(v <= 60 for v in values[:first_child]) and all(v > 60 for v in values[first_child:]), \
            f"key {key}: a child shard's record came before its parent's were done: {values}"
    assert sorted(v for _, v in log) == list(range(1, 151))
    closed = [w for w in e.mapping.workers.values() if w.state is ShardState.CLOSED]
    assert {w.shard_id for w in closed} >= {s.shard_id, "child-a"}


def test_a_paused_mapping_leaves_records_in_the_stream_until_resumed() -> None:
    s = InMemoryStreams()
    log: list[tuple[str, int]] = []
    with Engine(_seen(log), s, batch_size=5) as e:
        _put(s, "a", 1)
        e.runtime.drain(10)
        e.mapping.set_enabled(False)
        for n in range(2, 12):
            _put(s, "a", n)
        e.runtime.drain(10)  # a disabled mapping is not waited for
        assert [v for _, v in log] == [1]
        e.mapping.set_enabled(True)
        e.runtime.drain(10)
    assert [v for _, v in log] == list(range(1, 12))


def test_a_handler_that_calls_sys_exit_is_a_function_error_and_the_lane_lives() -> None:
    s = InMemoryStreams()

    def exits(event: dict[str, Any]) -> None:
        sys.exit(2)

    with Engine(exits, s, maximum_retry_attempts=1) as e:
        _put(s, "a", 1)
        _put(s, "b", 2)
        e.runtime.drain(10)
        assert e.mapping.stats.dropped == 2 and e.mapping.stats.balanced
        assert all(t.is_alive() for t in e.mapping.threads())
        lanes = [lane for w in e.mapping.workers.values() for lane in w.lanes]
        assert {lane.state for lane in lanes} <= {LaneState.IDLE, LaneState.RETRYING, LaneState.INVOKING}
    errors = e.trace.of("error")
    assert errors and {x["error_type"] for x in errors} == {"Runtime.ExitError"}
    assert "exit status 2" in errors[0]["error_message"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_drain_raises_when_a_runtime_thread_has_died() -> None:
    s = InMemoryStreams()
    with Engine(lambda event: None, s) as e:
        (worker,) = e.mapping.workers.values()
        lane = worker.lanes[0]

        def broken(*_: Any) -> None:
            raise RuntimeError("a bug in the engine")

        lane._run_batch = broken  # type: ignore[method-assign]
        _put(s, "a", 1)
        lane.thread.join(10)
        with pytest.raises(PipelineBroken, match=r"thread esm-m-.* has died"):
            e.runtime.drain(10)


def test_drain_raises_when_a_mappings_accounting_does_not_add_up() -> None:
    s = InMemoryStreams()
    with Engine(lambda event: None, s) as e:
        _put(s, "a", 1)
        e.runtime.drain(10)
        e.mapping.stats.add(seen=1)  # a record counted as seen that nobody resolved
        with pytest.raises(PipelineBroken, match=r"mapping m: seen 2 != succeeded 1"):
            e.runtime.drain(10)


def test_seeded_ids_repeat_run_after_run() -> None:
    def run() -> list[tuple[str, str]]:
        s = InMemoryStreams()
        with Engine(lambda event: None, s, batch_size=1) as e:
            for n in range(3):
                _put(s, "a", n)
            e.runtime.drain(10)
        return [(x["batch_id"], x["request_id"]) for x in e.trace.of("invoke")]

    first = run()
    assert len(first) == 3 and first == run()


class MovableClock:
    """Real monotonic time (waits work), a wall clock the test moves."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time() + self.offset


def test_the_harness_clock_decides_record_age() -> None:
    s = InMemoryStreams()
    clock = MovableClock()

    def fails_then_time_passes(event: dict[str, Any]) -> None:
        clock.offset += 120  # two minutes pass during each invocation
        raise ValueError("poison")

    with Engine(fails_then_time_passes, s, clock=clock, maximum_record_age_in_seconds=60) as e:
        _put(s, "a", 1)
        e.runtime.drain(10)
    (give_up,) = e.trace.of("give_up")
    assert give_up["condition"] == "RecordAgeExceeded" and give_up["invocations"] == 1
