"""Assertion helpers on synthetic traces: they pass on what happened and fail naming what did not."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from sketch import SketchTrace

from harness.testing import assert_counts, assert_delivered, assert_in_order, deliveries


class Pipeline:
    """Writes the events one mapping's records and invocations leave in a trace."""

    def __init__(self, mapping: str = "orders-to-fn", function: str = "fn") -> None:
        self.trace = SketchTrace()
        self.mapping, self.function = mapping, function
        self.seq = 100
        self.requests = 0

    def read(self, *keys: Any, event_name: str = "INSERT", filtered: bool = False) -> list[str]:
        seqs = []
        for key in keys:
            self.seq += 100
            typed = {k: _typed(v) for k, v in key.items()} if isinstance(key, dict) else {"id": _typed(key)}
            self.trace.emit("record", mapping=self.mapping, function=self.function, shard="s1",
                            sequence_number=str(self.seq), event_name=event_name, keys=typed, size_bytes=10)
            if filtered:
                self.trace.emit("filtered", mapping=self.mapping, shard="s1", sequence_number=str(self.seq),
                                event_name=event_name)
            seqs.append(str(self.seq))
        return seqs

    def invoke(self, seqs: list[str], error: str | None = None, attempt: int = 1) -> str:
        self.requests += 1
        rid = f"req-{self.requests}"
        self.trace.emit("invoke", mapping=self.mapping, function=self.function, shard="s1", batch_id="b",
                        request_id=rid, attempt=attempt, size=len(seqs), sequence_numbers=seqs)
        if error:
            self.trace.emit("error", mapping=self.mapping, function=self.function, request_id=rid,
                            error_type="ValueError", error_message=error, traceback=None)
        else:
            self.trace.emit("result", mapping=self.mapping, function=self.function, request_id=rid, response=None)
        return rid


def _typed(value: Any) -> dict[str, str]:
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


def test_assert_delivered_passes_when_every_key_was_handled() -> None:
    p = Pipeline()
    p.invoke(p.read("o-1", "o-2"))
    assert_delivered(p.trace, ["o-1", "o-2"])
    assert_delivered(p.trace, [{"id": "o-1"}, {"id": {"S": "o-2"}}], function="fn", mapping="orders-to-fn")


def test_assert_delivered_names_each_missing_record_and_why() -> None:
    p = Pipeline()
    ok, poison, waiting = p.read("o-1"), p.read("o-2"), p.read("o-3")
    p.read("o-4", filtered=True)
    p.invoke(ok)
    p.invoke(poison, error="poison")
    p.invoke(poison, error="poison", attempt=2)
    p.trace.emit("give_up", mapping=p.mapping, function=p.function, condition="RetryAttemptsExhausted",
                 invocations=2, size=1, sequence_numbers=poison)
    with pytest.raises(AssertionError) as e:
        assert_delivered(p, ["o-1", "o-2", "o-3", "o-4", "o-5"])
    assert str(e.value).splitlines() == [
        "4 of 5 records were never handled by a successful invocation:",
        "  'o-2': invoked 2 times, never successfully (last error: ValueError: poison); "
        "given up: RetryAttemptsExhausted",
        "  'o-3': read, never invoked (still waiting in a batch: drain() first?)",
        "  'o-4': read, and dropped by the mapping's FilterCriteria",
        "  'o-5': never read from the stream",
        "handled (1): 'o-1'",
    ]
    assert waiting


def test_assert_delivered_is_scoped_to_a_function() -> None:
    p = Pipeline(function="fn")
    p.invoke(p.read("o-1"))
    with pytest.raises(AssertionError, match="1 of 1 records were never handled by a successful invocation of "
                                             "function 'other':\n  'o-1': never read"):
        assert_delivered(p.trace, ["o-1"], function="other")


def test_composite_and_numeric_keys_match_as_a_test_writes_them() -> None:
    p = Pipeline()
    p.invoke(p.read({"pk": "a", "sk": 1}, 7))
    assert_delivered(p.trace, [{"sk": 1, "pk": "a"}, 7, {"id": {"N": "7"}}])
    with pytest.raises(AssertionError, match=r"  \{pk: 'a', sk: 2\}: never read"):
        assert_delivered(p.trace, [{"pk": "a", "sk": 2}])


def test_assert_in_order_passes_on_stream_order_and_ignores_redeliveries() -> None:
    p = Pipeline()
    a1, a2, a3 = p.read("a", "a", "a")
    p.invoke([a1, a2, a3], error="boom")
    p.invoke([a1, a2])
    p.invoke([a2, a3])  # the retried remainder of a partial failure: a2 again, after a3 was first seen
    assert_in_order(p.trace)


def test_assert_in_order_names_the_first_out_of_order_pair() -> None:
    p = Pipeline()
    a1, b1, a2, a3 = p.read("a", "b", "a", "a")
    p.invoke([a1, b1])
    p.invoke([a3])
    p.invoke([a2])
    with pytest.raises(AssertionError) as e:
        assert_in_order(p.trace)
    assert str(e.value).splitlines() == [
        "records of key 'a' (mapping 'orders-to-fn') were delivered out of stream order:",
        f"  sequence {a2} (INSERT, key 'a') first delivered by request req-3",
        f"  after sequence {a3} (INSERT, key 'a') delivered by request req-2",
    ]


def test_assert_in_order_groups_by_an_attribute_or_a_callable() -> None:
    p = Pipeline()
    x1, x2 = p.read({"pk": "x", "sk": 1}, {"pk": "x", "sk": 2})
    p.invoke([x2])
    p.invoke([x1])
    assert_in_order(p.trace)  # different items: no order between them
    with pytest.raises(AssertionError, match="records of group 'pk' = 'x'"):
        assert_in_order(p.trace, key="pk")
    with pytest.raises(AssertionError, match="records of group 'X'"):
        assert_in_order(p.trace, key=lambda k: k["pk"].upper())


def test_order_is_numeric_not_by_string() -> None:
    p = Pipeline()
    p.seq = 800  # the next sequence numbers are 900 and 1000: "1000" < "900" as strings
    s900, s1000 = p.read("a", "a")
    p.invoke([s900, s1000])
    assert_in_order(p.trace)


def test_deliveries_counts_successful_invocations_per_key() -> None:
    p = Pipeline()
    a, b = p.read("a", 5)
    p.invoke([a, b], error="x")
    p.invoke([a, b])
    p.invoke([a])
    assert deliveries(p.trace) == Counter({"a": 2, Decimal(5): 1})
    assert deliveries(p.trace)[5] == 1


def test_assert_counts_tables_every_difference_in_full() -> None:
    assert_counts({"a": 1, "b": 0}, Counter({"a": 1}))
    long_key = "customer-" + "x" * 60
    with pytest.raises(AssertionError) as e:
        assert_counts({"a": 1, long_key: 2, "same": 3}, {"a": 2, "same": 3, "extra": 1}, what="invoice count")
    assert str(e.value).splitlines() == [
        "3 of 4 keys have a different invoice count:",
        "  key" + " " * (len(repr(long_key)) - 1) + "expected    actual",
        "  'a'" + " " * (len(repr(long_key)) - 1) + "1           2",
        f"  {long_key!r}  2           0 (absent)",
        "  'extra'" + " " * (len(repr(long_key)) - 5) + "0 (absent)  1",
    ]
