"""Retention: a bounded trace keeps few events in memory and loses none."""
from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from harness.trace import DEFAULT_IN_MEMORY, CheckpointEvent, LogEvent, Retention, Trace
from trace_events import emit


def fill(t: Trace, records: int) -> None:
    for i in range(records):
        emit(t, "record", sequence_number=str(i), keys={"pk": {"S": f"k{i % 7}"}}, event_name="INSERT")
        if i % 1000 == 0:
            emit(t, "log", function="fn", message=json.dumps({"event": "tick", "i": i}))


def test_a_bounded_trace_of_100k_events_keeps_the_bound_in_memory_and_reads_all_of_them() -> None:
    t = Trace(Retention(in_memory=1_000))
    fill(t, 100_000)
    spool = t.spool_path
    assert spool is not None and spool.exists()
    assert t.in_memory <= 1_000 and len(t) == 100_100
    records = t.of("record")
    assert len(records) == 100_000 and [e["sequence_number"] for e in records] == [str(i) for i in range(100_000)]
    assert [e["n"] for e in t] == list(range(100_100))  # nothing lost, nothing twice, in order
    assert t.counts() == {"record": 100_000, "log": 100}
    assert [line["i"] for line, _ in t.json_logs("fn", "tick")] == list(range(0, 100_000, 1000))
    t.close()
    assert not spool.exists()


def test_the_default_keeps_a_small_trace_in_memory_without_a_file() -> None:
    t = Trace()
    fill(t, 500)
    assert t.retention == Retention(in_memory=DEFAULT_IN_MEMORY) and t.spool_path is None
    assert t.in_memory == len(t) == 501
    assert t.of("record")[0] is t.events[0]  # the emitted dicts themselves, not copies


def test_the_bound_spills_the_events_held_so_far_then_keeps_the_most_recent() -> None:
    t = Trace(Retention(in_memory=10))
    for i in range(10):
        emit(t, "checkpoint", sequence_number=str(i))
    assert t.spool_path is None  # at the bound, not past it
    emit(t, "checkpoint", sequence_number="10")
    assert t.spool_path is not None and t.in_memory == 10
    assert [e["sequence_number"] for e in t.of("checkpoint")] == [str(i) for i in range(11)]
    assert [v.sequence_number for v in t.views(CheckpointEvent)] == [str(i) for i in range(11)]
    live = emit(t, "checkpoint", sequence_number="11")
    assert t.events[-1] is live and t.events[0]["n"] == 0


def test_everything_in_memory_when_unbounded() -> None:
    t = Trace(Retention(in_memory=None))
    fill(t, DEFAULT_IN_MEMORY + 1)
    assert t.spool_path is None and t.in_memory == len(t)


def test_a_given_path_is_streamed_from_the_first_event_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    t = Trace(Retention(in_memory=5, path=path))
    fill(t, 20)
    assert t.spool_path == path and t.in_memory == 5
    t.flush()  # what `tail -f` sees
    assert [json.loads(line)["n"] for line in path.read_text().splitlines()] == list(range(21))
    assert t.write_jsonl(path) == 21 and len(path.read_text().splitlines()) == 21  # its own file: not clobbered
    t.close()
    assert path.exists() and len(Trace.read_jsonl(path)) == 21


def test_memory_and_a_live_file_together(tmp_path: Path) -> None:
    path = tmp_path / "tee.jsonl"
    t = Trace(Retention(in_memory=None, path=path))
    first = emit(t, "record")
    t.flush()
    assert t.events[0] is first and len(path.read_text().splitlines()) == 1


def test_a_collected_trace_removes_its_temporary_spool() -> None:
    t = Trace(Retention(in_memory=2))
    fill(t, 10)
    spool = t.spool_path
    assert spool is not None and spool.exists()
    del t
    gc.collect()
    assert not spool.exists()


@pytest.mark.parametrize("retention", [Retention(in_memory=None), Retention(in_memory=50)], ids=["memory", "bounded"])
def test_write_and_read_jsonl_round_trip(tmp_path: Path, retention: Retention) -> None:
    t = Trace(retention)
    fill(t, 300)
    emit(t, "log", function="fn", message="not json", raw=b"\x01")
    path = tmp_path / "out.jsonl"
    assert t.write_jsonl(path) == len(t) == 302
    for back_retention in (Retention(in_memory=None), Retention(in_memory=50)):
        back = Trace.read_jsonl(path, back_retention)
        assert len(back) == 302 and back.in_memory <= (back_retention.in_memory or 302)
        assert back.events == json.loads("[" + ",".join(path.read_text().splitlines()) + "]")
        assert [v.message for v in back.views(LogEvent)][-1] == "not json"
        assert emit(back, "result")["n"] == 302
        back.write_jsonl(tmp_path / "again.jsonl")
        assert (tmp_path / "again.jsonl").read_text().splitlines()[:302] == path.read_text().splitlines()
        back.close()


def test_read_jsonl_refuses_to_spool_into_the_file_it_reads(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"kind":"record","t":1.0,"n":0}\n')
    with pytest.raises(ValueError, match="the retention's path is the file being read"):
        Trace.read_jsonl(path, Retention(path=path))
    assert path.read_text() == '{"kind":"record","t":1.0,"n":0}\n'


def test_a_negative_bound_is_rejected() -> None:
    with pytest.raises(ValueError, match="Retention.in_memory must be >= 0 or None, not -1"):
        Retention(in_memory=-1)
