"""The plugin's teardown: a test whose harness ends with its accounting broken fails, unless marked."""
from __future__ import annotations

from typing import Any

import pytest

from harness.runtime.esm.shared import MappingStats
from harness.runtime.runtime import PipelineBroken
from harness.testing import HarnessFactory
from harness.testing.plugin import UNBALANCED, check_accounting



class _Dispatcher:
    def __init__(self, targets: dict[tuple[str, str], dict[str, int]]) -> None:
        self.targets = targets

    def target_stats(self) -> dict[tuple[str, str], dict[str, int]]:
        return self.targets


class _Harness:
    """What the check reads of a started Harness: its stats, its targets' ledgers, drain, prefix."""

    prefix = "gw0-abc-"
    runtime = object()  # a running harness

    def __init__(self, stats: MappingStats, targets: dict[tuple[str, str], dict[str, int]] | None = None) -> None:
        self._stats, self.dispatcher, self.drains = stats, _Dispatcher(targets or {}), 0

    def stats(self) -> dict[str, MappingStats]:
        return {"orders-to-charge": self._stats}

    def drain(self, timeout: float) -> Any:
        self.drains += 1
        raise PipelineBroken("drain: the pipeline is broken")


class _Node:
    def __init__(self, marked: bool) -> None:
        self.marked = marked

    def get_closest_marker(self, name: str) -> object | None:
        return object() if self.marked and name == UNBALANCED else None


def _factory(*harnesses: _Harness) -> HarnessFactory:
    factory = HarnessFactory(backend=None, prefix="gw0-")  # type: ignore[arg-type]
    factory.started.extend(harnesses)  # type: ignore[arg-type]
    return factory


def test_a_harness_that_lost_a_record_fails_the_test_at_teardown_naming_the_numbers() -> None:
    lost = _Harness(MappingStats(seen=3, succeeded=2))
    with pytest.raises(pytest.fail.Exception) as failed:
        check_accounting(_factory(lost), _Node(marked=False))  # type: ignore[arg-type]
    assert "harness 'gw0-abc-': mapping orders-to-charge: seen 3 != succeeded 2 + filtered 0" in str(failed.value)
    assert lost.drains == 1  # work in flight had its chance to finish first


def test_a_rule_target_that_lost_a_delivery_fails_too() -> None:
    h = _Harness(MappingStats(), {("arn:rule/r", "t1"): {"accepted": 2, "succeeded": 1, "dead_lettered": 0,
                                                          "dropped": 0}})
    with pytest.raises(pytest.fail.Exception, match="target arn:rule/r -> t1: accepted 2 != delivered 1"):
        check_accounting(_factory(h), _Node(marked=False))  # type: ignore[arg-type]


def test_balanced_harnesses_and_marked_tests_pass() -> None:
    check_accounting(_factory(_Harness(MappingStats(seen=3, succeeded=2, filtered=1))),
                     _Node(marked=False))  # type: ignore[arg-type]
    check_accounting(_factory(_Harness(MappingStats(seen=3))), _Node(marked=True))  # type: ignore[arg-type]
