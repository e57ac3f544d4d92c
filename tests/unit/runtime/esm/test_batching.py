"""BatchAssembler: when a batch is due and which records it takes (time is always passed in)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from harness.runtime.esm.batching import ENVELOPE_BYTES, MAX_PAYLOAD_BYTES, BatchAssembler, FlushReason


def filled(a: BatchAssembler[str], n: int, size: int = 10, now: float = 0.0, prefix: str = "r") -> BatchAssembler[str]:
    for i in range(n):
        a.add(f"{prefix}{i}", size, now)
    return a


def test_empty_assembler_is_never_due() -> None:
    a: BatchAssembler[str] = BatchAssembler(batch_size=1, window_s=0)
    assert a.due(0.0) is None and a.due(1e9) is None
    assert a.deadline() is None and len(a) == 0 and a.buffered_bytes == 0
    assert a.max_payload_bytes == MAX_PAYLOAD_BYTES == 6 * 1024 * 1024


def test_size_flush_when_batch_size_records_are_buffered() -> None:
    a = filled(BatchAssembler(batch_size=3, window_s=60), 2, now=0.0)
    assert a.due(0.0) is None  # two of three, window far away
    a.add("r2", 10, 0.5)
    assert a.due(0.5) is FlushReason.SIZE
    b = a.take(FlushReason.SIZE, 0.5)
    assert b.items == ["r0", "r1", "r2"] and b.reason is FlushReason.SIZE
    assert b.payload_bytes == ENVELOPE_BYTES + 30
    assert len(a) == 0 and a.deadline() is None and a.buffered_bytes == 0


def test_window_flush_at_exactly_the_deadline_not_before() -> None:
    a = BatchAssembler[str](batch_size=100, window_s=2.0)
    a.add("r0", 10, 10.0)
    a.add("r1", 10, 11.0)  # a later record does not move the deadline: it counts from the first
    assert a.deadline() == 12.0
    assert a.due(11.999) is None
    assert a.due(12.0) is FlushReason.WINDOW
    assert a.due(50.0) is FlushReason.WINDOW
    b = a.take(FlushReason.WINDOW, 12.0)
    assert b.items == ["r0", "r1"] and b.reason is FlushReason.WINDOW


def test_window_zero_flushes_immediately() -> None:
    a = BatchAssembler[str](batch_size=100, window_s=0)
    a.add("r0", 10, 5.0)
    assert a.due(5.0) is FlushReason.IMMEDIATE
    assert a.take(FlushReason.IMMEDIATE, 5.0).items == ["r0"]


def test_payload_cap_splits_records_into_separate_batches() -> None:
    cap = ENVELOPE_BYTES + 100
    a = BatchAssembler[str](batch_size=100, window_s=60, max_payload_bytes=cap)
    a.add("a", 60, 0.0)
    assert a.due(0.0) is None  # 76 bytes: under the cap
    a.add("b", 40, 0.0)
    assert a.due(0.0) is None  # exactly at the cap is not over it
    a.add("c", 1, 0.0)
    assert a.due(0.0) is FlushReason.PAYLOAD
    first = a.take(FlushReason.PAYLOAD, 0.0)
    assert first.items == ["a", "b"] and first.payload_bytes == cap and first.reason is FlushReason.PAYLOAD
    assert len(a) == 1 and a.buffered_bytes == 1
    assert a.due(0.0) is None  # the leftover waits for its own window


def test_take_switches_reason_to_payload_when_the_cap_cuts_a_size_batch() -> None:
    a = BatchAssembler[str](batch_size=3, window_s=0, max_payload_bytes=ENVELOPE_BYTES + 25)
    for name in "xyz":
        a.add(name, 10, 0.0)
    assert a.due(0.0) is FlushReason.SIZE
    b = a.take(FlushReason.SIZE, 0.0)
    assert b.items == ["x", "y"] and b.reason is FlushReason.PAYLOAD
    assert a.take(FlushReason.IMMEDIATE, 0.0).items == ["z"]


def test_single_record_larger_than_the_cap_goes_alone() -> None:
    a = BatchAssembler[str](batch_size=10, window_s=60, max_payload_bytes=100)
    a.add("small", 10, 0.0)
    a.add("huge", 500, 0.0)
    a.add("after", 10, 0.0)
    assert a.due(0.0) is FlushReason.PAYLOAD
    assert a.take(FlushReason.PAYLOAD, 0.0).items == ["small"]
    assert a.due(0.0) is FlushReason.PAYLOAD
    huge = a.take(FlushReason.PAYLOAD, 0.0)
    assert huge.items == ["huge"] and huge.payload_bytes == ENVELOPE_BYTES + 500  # never split or dropped
    assert a.due(0.0) is None and len(a) == 1 and a.buffered_bytes == 10


def test_leftovers_after_a_size_flush_keep_order_and_restart_the_deadline() -> None:
    a = BatchAssembler[str](batch_size=3, window_s=5.0)
    for i in range(7):
        a.add(f"r{i}", 10, float(i) / 10)  # first record at t=0: deadline 5.0
    assert a.deadline() == 5.0
    assert a.take(a.due(1.0), 1.0).items == ["r0", "r1", "r2"]  # type: ignore[arg-type]
    assert a.deadline() == 6.0  # restarted at the take, not inherited from r0
    assert a.due(1.0) is FlushReason.SIZE
    assert a.take(FlushReason.SIZE, 1.0).items == ["r3", "r4", "r5"]
    assert len(a) == 1 and a.due(5.999) is None and a.due(6.0) is FlushReason.WINDOW
    assert a.take(FlushReason.WINDOW, 6.0).items == ["r6"]
    a.add("next", 1, 100.0)
    assert a.deadline() == 105.0  # an empty buffer's next record starts a fresh window


def test_extend_and_buffered_bytes() -> None:
    a = BatchAssembler[str](batch_size=10, window_s=1)
    a.extend([("a", 3), ("b", 4)], now=2.0)
    assert len(a) == 2 and a.buffered_bytes == 7 and a.deadline() == 3.0


# --------------------------------------------------------------------------- property

arrivals = st.lists(
    st.tuples(st.integers(min_value=1, max_value=400),                 # record size
              st.floats(min_value=0, max_value=5, allow_nan=False)),   # gap since the previous arrival
    max_size=80)


@given(records=arrivals,
       batch_size=st.integers(min_value=1, max_value=12),
       window_s=st.sampled_from([0.0, 0.5, 1.0, 3.0]),
       cap=st.integers(min_value=ENVELOPE_BYTES + 1, max_value=ENVELOPE_BYTES + 1000))
def test_taking_due_batches_yields_every_record_once_in_order_within_limits(
        records: list[tuple[int, float]], batch_size: int, window_s: float, cap: int) -> None:
    a = BatchAssembler[int](batch_size=batch_size, window_s=window_s, max_payload_bytes=cap)
    sizes: dict[int, int] = {}
    batches: list[list[int]] = []

    def drain(now: float) -> None:
        while (reason := a.due(now)) is not None:
            batch = a.take(reason, now)
            assert batch.items, "a due assembler never hands out an empty batch"
            assert batch.payload_bytes == ENVELOPE_BYTES + sum(sizes[i] for i in batch.items)
            batches.append(batch.items)

    now = 0.0
    for i, (size, gap) in enumerate(records):
        deadline = a.deadline()
        if deadline is not None and deadline <= now + gap:
            drain(deadline)  # the engine wakes at the deadline between arrivals
        now += gap
        drain(now)
        sizes[i] = size
        a.add(i, size, now)
        drain(now)
    if (deadline := a.deadline()) is not None:
        drain(max(now, deadline))
    assert len(a) == 0 and a.buffered_bytes == 0

    assert [i for b in batches for i in b] == list(range(len(records)))  # each exactly once, in order
    for b in batches:
        assert len(b) <= batch_size
        assert len(b) == 1 or ENVELOPE_BYTES + sum(sizes[i] for i in b) <= cap
