"""Trace: the thread-safe event log the oracles read, live or from JSON lines."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from harness.trace import KINDS, Trace


def test_emit_rejects_unknown_kinds() -> None:
    t = Trace()
    with pytest.raises(ValueError, match="unknown trace event kind 'invocation'"):
        t.emit("invocation")
    assert len(t) == 0 and t.events == []


def test_emit_builds_the_event() -> None:
    t = Trace()
    e = t.emit("invoke", function="fn", request_id="r1")
    assert e["kind"] == "invoke" and e["function"] == "fn" and e["request_id"] == "r1"
    assert e["n"] == 0 and isinstance(e["t"], float)
    assert t.emit("result")["n"] == 1
    assert t.events[0] is e or t.events[0] == e
    assert "give_up" in KINDS and "checkpoint" in KINDS


def test_of_filters_by_kind_and_fields() -> None:
    t = Trace()
    t.emit("invoke", function="a", attempt=1)
    t.emit("invoke", function="b", attempt=1)
    t.emit("result", function="a")
    t.emit("error", function="a")
    assert [e["function"] for e in t.of("invoke")] == ["a", "b"]
    assert [e["kind"] for e in t.of("invoke", "result")] == ["invoke", "invoke", "result"]
    assert [e["kind"] for e in t.of(function="a")] == ["invoke", "result", "error"]
    assert [e["n"] for e in t.of("invoke", function="a", attempt=1)] == [0]
    assert t.of("invoke", function="a", attempt=2) == []
    assert t.of("retry") == []
    assert t.counts() == {"invoke": 2, "result": 1, "error": 1}


def test_events_is_a_snapshot() -> None:
    t = Trace()
    t.emit("record")
    snapshot = t.events
    t.emit("record")
    assert len(snapshot) == 1 and len(t.events) == 2 and len(list(t)) == 2


def test_jsonl_round_trip_with_bytes_and_sets(tmp_path: Path) -> None:
    t = Trace()
    t.emit("record", shard="s1", payload={"Records": [{"dynamodb": {"Keys": {"k": {"S": "a"}}}}]})
    t.emit("log", message="héllo", raw=b"\x00\xff", tags={"b", "a"}, frozen=frozenset({3, 1}))
    t.emit("checkpoint", seq="100", obj=Path("/x/y"))
    path = tmp_path / "trace.jsonl"
    assert t.write_jsonl(path) == 3
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line) for line in lines)

    back = Trace.read_jsonl(path)
    assert back.events[0] == t.events[0]  # plain JSON comes back exactly
    log = back.events[1]
    assert log["message"] == "héllo" and log["raw"] == "AP8="  # bytes as base64
    assert log["tags"] == ["a", "b"] and log["frozen"] == [1, 3]  # sets as sorted lists
    assert back.events[2]["obj"] == "/x/y"  # anything else as its str()
    assert [e["n"] for e in back] == [0, 1, 2]
    assert back.emit("result")["n"] == 3  # numbering continues after what was read


def test_read_jsonl_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"kind":"record","t":1.0,"n":0}\n\n   \n{"kind":"batch","t":2.0,"n":1}\n')
    assert [e["kind"] for e in Trace.read_jsonl(path)] == ["record", "batch"]


def test_from_events_continues_numbering() -> None:
    t = Trace.from_events([{"kind": "record", "t": 0.0, "n": 0}, {"kind": "record", "t": 0.0, "n": 1}])
    assert len(t) == 2 and t.emit("batch")["n"] == 2


def test_listeners_see_events_and_a_broken_one_does_not_break_emit() -> None:
    t = Trace()
    seen: list[str] = []

    def broken(event: dict[str, object]) -> None:
        raise RuntimeError("listener bug")

    t.subscribe(broken)
    unsubscribe = t.subscribe(lambda e: seen.append(e["kind"]))  # type: ignore[arg-type]
    e = t.emit("invoke")
    assert e["n"] == 0 and seen == ["invoke"] and len(t) == 1
    unsubscribe()
    t.emit("result")
    assert seen == ["invoke"] and len(t) == 2


def test_n_is_a_total_order_under_threads() -> None:
    t = Trace()
    threads_n, per_thread = 8, 500
    start = threading.Barrier(threads_n)

    def work(i: int) -> None:
        start.wait()
        for j in range(per_thread):
            t.emit("record", thread=i, j=j)

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
