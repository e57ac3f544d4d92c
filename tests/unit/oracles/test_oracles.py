"""oracles.stats (nearest-rank percentiles) and oracles.checks (the Check result type)."""
from __future__ import annotations

import pytest

from harness.oracles import Check, all_passed, check_equal
from harness.oracles.stats import percentile, percentiles

TEN = [float(i) for i in range(1, 11)]


@pytest.mark.parametrize(("q", "expected"), [
    (0, 1.0), (1, 1.0), (10, 1.0), (10.1, 2.0), (50, 5.0), (51, 6.0), (90, 9.0), (95, 10.0), (99, 10.0), (100, 10.0)])
def test_nearest_rank_percentile(q: float, expected: float) -> None:
    assert percentile(TEN, q) == expected


def test_percentile_of_one_value_and_of_none() -> None:
    assert percentile([7], 0) == percentile([7], 50) == percentile([7], 100) == 7.0
    assert isinstance(percentile([7], 50), float)
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_percentile_is_always_an_observed_value() -> None:
    values = [0.5, 2.25, 9.0]
    for q in range(0, 101):
        assert percentile(values, q) in values


def test_percentiles_sorts_rounds_and_names_keys() -> None:
    assert percentiles([10.0, 1.0, 5.0, 3.0]) == {"p50": 3.0, "p95": 10.0, "p99": 10.0}
    out = percentiles((x / 3 for x in range(1, 101)), qs=(50, 99.9), digits=3)
    assert out == {"p50": 16.667, "p99.9": 33.333}
    assert percentiles([], qs=(50,)) is None


def test_check_equal_pass_and_fail() -> None:
    ok = check_equal("count", 3, 3, detail="all delivered")
    bad = check_equal("count", 3, 2, examples=["missing k1"])
    assert ok.passed and not bad.passed
    assert (bad.name, bad.expected, bad.actual, bad.examples) == ("count", 3, 2, ["missing k1"])
    assert ok.to_dict() == {"name": "count", "passed": True, "expected": 3, "actual": 3,
                            "detail": "all delivered", "examples": [], "causes": []}


def test_check_equal_keeps_ten_examples_from_any_iterable() -> None:
    c = check_equal("dups", 0, 25, examples=(f"k{i}" for i in range(25)))
    assert c.examples == [f"k{i}" for i in range(10)]


def test_check_compares_structures() -> None:
    assert check_equal("order", [1, 2], [1, 2]).passed
    assert not check_equal("order", [1, 2], [2, 1]).passed
    assert check_equal("set", {"a", "b"}, {"b", "a"}).passed


def test_all_passed() -> None:
    good, bad = Check("a", True, 1, 1), Check("b", False, 1, 2)
    assert all_passed([good, good]) and not all_passed([good, bad])
    assert all_passed([])  # nothing checked, nothing failed
    assert all_passed(iter([good]))


def test_check_is_frozen() -> None:
    c = Check("a", True, 1, 1)
    with pytest.raises(AttributeError):
        c.passed = False  # type: ignore[misc]


@pytest.mark.parametrize(("q", "n", "rank"), [(99.9, 1000, 999), (7, 100, 7), (14, 50, 7)])
def test_nearest_rank_is_exact_for_decimal_percentiles(q: float, n: int, rank: int) -> None:
    values = [float(i) for i in range(1, n + 1)]
    assert percentile(values, q) == float(rank)  # the smallest rank r with r >= q/100 * n, exactly
