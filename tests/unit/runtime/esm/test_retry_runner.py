"""The pure core of retries: BatchRunner, the partial-response parser, lanes and checkpoints."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.runtime.esm.batching import BatchAssembler
from harness.runtime.esm.checkpoint import CheckpointTracker
from harness.runtime.esm.engine import lane_of
from harness.runtime.esm.responses import InvalidBatchItemFailures, parse_batch_item_failures
from harness.runtime.esm.retry import BatchRunner, RetryPolicy


@dataclass
class Rec:
    seq: str
    key: str
    age: float = 0.0


@dataclass
class Result:
    ok: bool
    response: Any = None
    error_type: str | None = None
    error_message: str | None = None


@dataclass
class Log:
    events: list[tuple[str, Any]] = field(default_factory=list)

    def succeeded(self, records): self.events.append(("ok", [r.seq for r in records]))  # type: ignore[no-untyped-def]
    def gave_up(self, records, condition, invocations, last):  # type: ignore[no-untyped-def]
        self.events.append(("give_up", ([r.seq for r in records], condition, invocations)))
    def retrying(self, records, retry, backoff_s, reason): self.events.append(("retry", retry))  # type: ignore[no-untyped-def]
    def split(self, records, halves): self.events.append(("split", [len(h) for h in halves]))  # type: ignore[no-untyped-def]
    def partial(self, records, failed_ids): self.events.append(("partial", list(failed_ids)))  # type: ignore[no-untyped-def]

    def of(self, kind: str) -> list[Any]:
        return [v for k, v in self.events if k == kind]


def _records(n: int) -> list[Rec]:
    return [Rec(f"{i + 1:03}", f"k{i}") for i in range(n)]


def _runner(log: Log, **policy: Any) -> BatchRunner[Rec]:
    return BatchRunner(RetryPolicy(**policy), seq=lambda r: r.seq, age_s=lambda r: r.age, listener=log,
                       wait=lambda s: False)


def test_whole_batch_retried_until_retries_are_exhausted() -> None:
    log = Log()
    calls: list[list[str]] = []
    _runner(log, maximum_retry_attempts=2).run(_records(3), lambda rs, n: (calls.append([r.seq for r in rs]),
                                                                          Result(False))[1])
    assert calls == [["001", "002", "003"]] * 3
    assert log.of("give_up") == [(["001", "002", "003"], "RetryAttemptsExhausted", 3)]
    assert log.of("retry") == [1, 2]


def test_bisect_isolates_the_poison_without_using_retries() -> None:
    log = Log()
    _runner(log, maximum_retry_attempts=0, bisect_batch_on_function_error=True).run(
        _records(10), lambda rs, n: Result(not any(r.seq == "006" for r in rs)))
    assert log.of("give_up") == [(["006"], "RetryAttemptsExhausted", 1)]
    assert sorted(s for ok in log.of("ok") for s in ok) == [f"{i:03}" for i in range(1, 11) if i != 6]
    assert log.of("split")[0] == [5, 5]


def test_record_age_wins_over_bisect_and_retries() -> None:
    log = Log()
    recs = _records(4)
    recs[0].age = 100
    _runner(log, maximum_record_age_in_seconds=60, bisect_batch_on_function_error=True).run(
        recs, lambda rs, n: Result(False))
    assert log.of("give_up") == [(["001", "002", "003", "004"], "RecordAgeExceeded", 1)]
    assert log.of("split") == []


def test_partial_failure_succeeds_the_prefix_and_retries_from_the_lowest_failure() -> None:
    log = Log()
    calls: list[list[str]] = []

    def invoke(rs, n):  # type: ignore[no-untyped-def]
        calls.append([r.seq for r in rs])
        if len(calls) == 1:
            return Result(True, {"batchItemFailures": [{"itemIdentifier": "004"}, {"itemIdentifier": "002"}]})
        return Result(True, {"batchItemFailures": []})

    _runner(log, report_batch_item_failures=True, bisect_batch_on_function_error=True).run(_records(5), invoke)
    assert calls == [["001", "002", "003", "004", "005"], ["002", "003", "004", "005"]]
    assert log.of("ok") == [["001"], ["002", "003", "004", "005"]]
    assert log.of("split") == []  # the batch is split at the reported record, not bisected


@pytest.mark.parametrize("response, failed", [
    (None, []), ({}, []), ({"batchItemFailures": None}, []), ({"batchItemFailures": []}, []),
    ({"batchItemFailures": [{"itemIdentifier": "2"}]}, ["2"]),
])
def test_parse_batch_item_failures_accepts(response: Any, failed: list[str]) -> None:
    assert parse_batch_item_failures(response, {"1", "2"}) == failed


@pytest.mark.parametrize("response", [
    "ok", [], {"batchItemFailures": "2"}, {"batchItemFailures": [{}]}, {"batchItemFailures": [{"itemIdentifier": ""}]},
    {"batchItemFailures": [{"itemIdentifier": None}]}, {"batchItemFailures": [{"itemidentifier": "2"}]},
    {"batchItemFailures": [{"itemIdentifier": "9"}]}, {"batchItemFailures": ["2"]},
])
def test_parse_batch_item_failures_rejects(response: Any) -> None:
    with pytest.raises(InvalidBatchItemFailures):
        parse_batch_item_failures(response, {"1", "2"})


def test_checkpoint_is_the_end_of_the_resolved_prefix() -> None:
    t = CheckpointTracker()
    for s in ("1", "2", "3", "4"):
        t.read(s)
    assert t.resolve("2") is None and t.checkpoint is None
    assert t.resolve("1") == "2"
    assert t.resolve("4") is None and t.resolve("3") == "4" and t.outstanding == 0


# -- property: the whole per-shard pipeline, simulated without threads ---------------------------

@st.composite
def scenarios(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 60))
    keys = draw(st.lists(st.sampled_from([f"k{i}" for i in range(8)]), min_size=n, max_size=n))
    poison = draw(st.sets(st.integers(0, n - 1), max_size=3))
    transient = draw(st.dictionaries(st.integers(0, n - 1), st.integers(1, 3), max_size=5))
    return {
        "records": [Rec(f"{i + 1:05}", k) for i, k in enumerate(keys)],
        "poison": {f"{i + 1:05}" for i in poison},
        "transient": {f"{i + 1:05}": c for i, c in transient.items()},
        "batch_size": draw(st.integers(1, 10)),
        "lanes": draw(st.integers(1, 4)),
        "bisect": draw(st.booleans()),
        "report": draw(st.booleans()),
        "retries": draw(st.integers(0, 3)),
    }


@given(scenarios())
def test_no_record_lost_twice_or_out_of_order_per_key(s: dict[str, Any]) -> None:
    failures_left = dict(s["transient"])
    handled: list[str] = []  # seqs of records in invocations that fully succeeded for them
    log = Log()
    runner = _runner(log, maximum_retry_attempts=s["retries"], bisect_batch_on_function_error=s["bisect"],
                     report_batch_item_failures=s["report"])

    def invoke(rs, n):  # type: ignore[no-untyped-def]
        bad = [r.seq for r in rs if r.seq in s["poison"] or failures_left.get(r.seq, 0) > 0]
        for seq in bad:
            if seq in failures_left:
                failures_left[seq] -= 1
        if s["report"]:
            return Result(True, {"batchItemFailures": [{"itemIdentifier": b} for b in bad]})
        return Result(not bad)

    lanes: dict[int, list[Rec]] = defaultdict(list)
    for r in s["records"]:
        lanes[lane_of({"dynamodb": {"Keys": {"k": {"S": r.key}}}}, "k", s["lanes"])].append(r)
    tracker = CheckpointTracker()
    for r in s["records"]:
        tracker.read(r.seq)
    for lane in lanes.values():  # lanes are independent; within one, batches run one after another
        asm: BatchAssembler[Rec] = BatchAssembler(s["batch_size"], 0.0)
        for r in lane:
            asm.add(r, 10, 0.0)
        while len(asm):
            batch = asm.take(asm.due(0.0), 0.0)  # type: ignore[arg-type]
            before = len(log.events)
            runner.run(batch.items, invoke)
            for kind, value in log.events[before:]:
                if kind == "ok":
                    handled.extend(value)
                    tracker.resolve(*value)
                elif kind == "give_up":
                    tracker.resolve(*value[0])
    given_up = [seq for seqs, _, _ in log.of("give_up") for seq in seqs]
    all_seqs = [r.seq for r in s["records"]]
    assert sorted(handled + given_up) == sorted(all_seqs)          # none lost, none resolved twice
    assert len(set(handled)) == len(handled)                      # none handled twice in a successful pass
    assert not set(given_up) & set(handled)
    assert set(s["poison"]) <= set(given_up)                      # a poison record never "succeeds"
    by_key: dict[str, list[str]] = defaultdict(list)
    for seq in handled:
        by_key[next(r.key for r in s["records"] if r.seq == seq)].append(seq)
    assert all(v == sorted(v) for v in by_key.values())           # in order per key
    assert tracker.checkpoint == all_seqs[-1] and tracker.outstanding == 0
