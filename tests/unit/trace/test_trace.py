"""Trace: the thread-safe event log the oracles read, live or from JSON lines."""
from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from harness.trace import KINDS, Trace, TraceSchemaError
from trace_events import emit, fields


def test_emit_rejects_unknown_kinds() -> None:
    t = Trace()
    with pytest.raises(ValueError, match="unknown trace event kind 'invocation'; the kinds are api_call, "):
        t.emit("invocation")
    assert len(t) == 0 and t.events == []


def test_emit_rejects_a_missing_required_field_and_records_nothing() -> None:
    t = Trace()
    complete = fields("record")
    del complete["keys"], complete["shard"]
    with pytest.raises(TraceSchemaError, match=r"trace event 'record' is missing required field\(s\) keys, shard "
                                               r"\(its schema: RecordEvent in harness/trace/kinds.py\)"):
        t.emit("record", **complete)
    assert len(t) == 0 and t.events == []


def test_optional_and_undeclared_fields_are_accepted() -> None:
    t = Trace()
    e = emit(t, "invoke", event={"Records": []}, something_new=1)  # `event` optional, `something_new` undeclared
    assert e["something_new"] == 1 and e["event"] == {"Records": []}
    emit(t, "result", cold_start=True)
    assert len(t) == 2


def test_emit_builds_the_event_with_the_trace_clock() -> None:
    t = Trace(clock=lambda: 1234.5)
    e = emit(t, "invoke", function="fn", request_id="r1")
    assert e["kind"] == "invoke" and e["function"] == "fn" and e["request_id"] == "r1"
    assert e["n"] == 0 and e["t"] == 1234.5
    assert emit(t, "result")["n"] == 1
    assert t.events[0] is e
    assert "give_up" in KINDS and "checkpoint" in KINDS and "invocation" not in KINDS


def test_of_filters_by_kind_and_fields() -> None:
    t = Trace()
    emit(t, "invoke", function="a", attempt=1)
    emit(t, "invoke", function="b", attempt=1)
    emit(t, "result", function="a")
    emit(t, "error", function="a")
    assert [e["function"] for e in t.of("invoke")] == ["a", "b"]
    assert [e["kind"] for e in t.of("invoke", "result")] == ["invoke", "invoke", "result"]
    assert [e["kind"] for e in t.of(function="a")] == ["invoke", "result", "error"]
    assert [e["n"] for e in t.of("invoke", function="a", attempt=1)] == [0]
    assert t.of("invoke", function="a", attempt=2) == []
    assert t.of("retry") == []
    assert t.counts() == {"invoke": 2, "result": 1, "error": 1}
    assert [e["n"] for e in t.select("invoke", function="b")] == [1]


def test_reading_an_unknown_kind_fails_rather_than_finding_nothing() -> None:
    t = Trace()
    emit(t, "record")
    with pytest.raises(TraceSchemaError, match="unknown trace event kind 'records'"):
        t.of("records")


def test_events_is_a_snapshot() -> None:
    t = Trace()
    emit(t, "record")
    snapshot = t.events
    emit(t, "record")
    assert len(snapshot) == 1 and len(t.events) == 2 and len(list(t)) == 2


def test_jsonl_round_trip_with_bytes_and_sets(tmp_path: Path) -> None:
    t = Trace()
    emit(t, "record", shard="s1", payload={"Records": [{"dynamodb": {"Keys": {"k": {"S": "a"}}}}]})
    emit(t, "log", message="héllo", raw=b"\x00\xff", tags={"b", "a"}, frozen=frozenset({3, 1}))
    emit(t, "checkpoint", seq="100", obj=Path("/x/y"))
    path = tmp_path / "trace.jsonl"
    assert t.write_jsonl(path) == 3
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line) for line in lines)
    assert all(line.startswith('{"kind":"') for line in lines)  # the wire format: kind first

    back = Trace.read_jsonl(path)
    assert back.events[0] == t.events[0]  # plain JSON comes back exactly
    log = back.events[1]
    assert log["message"] == "héllo" and log["raw"] == "AP8="  # bytes as base64
    assert log["tags"] == ["a", "b"] and log["frozen"] == [1, 3]  # sets as sorted lists
    assert back.events[2]["obj"] == "/x/y"  # anything else as its str()
    assert [e["n"] for e in back] == [0, 1, 2]
    assert emit(back, "result")["n"] == 3  # numbering continues after what was read


def test_read_jsonl_reads_files_written_before_the_schema(tmp_path: Path) -> None:
    """Old files put ``n`` last and lack fields today's schema requires: they read as they are."""
    path = tmp_path / "t.jsonl"
    path.write_text('{"kind":"record","t":1.0,"n":0}\n\n   \n{"t":2.0,"kind":"batch","size":3,"n":1}\n')
    back = Trace.read_jsonl(path)
    assert [e["kind"] for e in back] == ["record", "batch"]
    assert back.counts() == {"record": 1, "batch": 1} and back.of("batch")[0]["size"] == 3


def test_from_events_continues_numbering() -> None:
    t = Trace.from_events([{"kind": "record", "t": 0.0, "n": 0}, {"kind": "record", "t": 0.0, "n": 1}])
    assert len(t) == 2 and emit(t, "batch")["n"] == 2


def test_a_failing_listener_is_logged_with_its_traceback_and_does_not_break_emit(
        caplog: pytest.LogCaptureFixture) -> None:
    t = Trace()
    seen: list[str] = []

    def broken(event: dict[str, object]) -> None:
        raise RuntimeError("listener bug")

    t.subscribe(broken)
    unsubscribe = t.subscribe(lambda e: seen.append(e["kind"]))
    with caplog.at_level(logging.ERROR, logger="harness.trace"):
        e = emit(t, "invoke")
    assert e["n"] == 0 and seen == ["invoke"] and len(t) == 1
    [record] = caplog.records
    message = record.getMessage()
    assert record.name == "harness.trace" and "broken" in message and "invoke event n=0" in message
    assert record.exc_info is not None and "listener bug" in caplog.text and "Traceback" in caplog.text
    assert t.listener_failures == 1
    unsubscribe()
    unsubscribe()  # twice is harmless
    emit(t, "result")
    assert seen == ["invoke"] and len(t) == 2


def test_a_listener_failing_on_every_event_logs_a_few_tracebacks_then_counts(caplog: pytest.LogCaptureFixture) -> None:
    t = Trace()
    t.subscribe(lambda e: 1 / 0)  # type: ignore[func-returns-value]
    with caplog.at_level(logging.ERROR, logger="harness.trace"):
        for _ in range(50):
            emit(t, "record")
    assert len(caplog.records) == 5 and "further failures are counted" in caplog.records[-1].getMessage()
    assert t.listener_failures == 50 and len(t) == 50


def test_a_listener_that_unsubscribes_itself_does_not_hide_the_event_from_the_next() -> None:
    t = Trace()
    seen: list[str] = []
    unsubscribe_first = t.subscribe(lambda e: unsubscribe_first())
    t.subscribe(lambda e: seen.append(e["kind"]))
    emit(t, "record")
    emit(t, "batch")
    assert seen == ["record", "batch"]


def test_listeners_run_outside_the_lock_so_they_may_emit_and_subscribe() -> None:
    t = Trace()
    seen: list[str] = []

    def follow_up(e: dict[str, Any]) -> None:
        if e["kind"] == "error":
            emit(t, "retry")  # re-entrant: would deadlock if listeners ran under the trace's lock
            t.subscribe(lambda e2: seen.append(e2["kind"]))

    t.subscribe(follow_up)
    done = threading.Thread(target=lambda: emit(t, "error"), daemon=True)
    done.start()
    done.join(timeout=10)
    assert not done.is_alive(), "emit deadlocked: a listener ran under the trace's lock"
    emit(t, "result")
    assert [e["kind"] for e in t] == ["error", "retry", "result"] and seen == ["result"]


def test_subscribe_and_unsubscribe_while_other_threads_emit() -> None:
    """A listener subscribed throughout sees every event while others, ahead of it, come and go
    (listeners that yield the GIL, so emits and unsubscribes interleave mid-notification)."""
    t = Trace()
    counted: list[int] = []
    ahead = [t.subscribe(lambda e: time.sleep(0)) for _ in range(200)]
    unsubscribe = t.subscribe(lambda e: counted.append(e["n"]))
    stop = threading.Event()

    def churn() -> None:
        for u in ahead:
            u()
            if stop.is_set():
                return
            t.subscribe(lambda e: time.sleep(0))()

    def emitter() -> None:
        while not stop.is_set():
            emit(t, "record")

    threads = [threading.Thread(target=emitter) for _ in range(2)]
    for th in threads:
        th.start()
    churn()
    stop.set()
    for th in threads:
        th.join()
    unsubscribe()
    assert len(t) > 0 and sorted(counted) == list(range(len(t)))


def test_n_is_a_total_order_under_threads() -> None:
    t = Trace()
    threads_n, per_thread = 8, 500
    start = threading.Barrier(threads_n)

    def work(i: int) -> None:
        start.wait()
        for j in range(per_thread):
            emit(t, "record", thread=i, j=j)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    events = t.events
    total = threads_n * per_thread
    assert [e["n"] for e in events] == list(range(total))  # unique, gap-free, in list order
    for i in range(threads_n):
        assert [e["j"] for e in events if e["thread"] == i] == list(range(per_thread))  # per-thread order kept
