"""The bug table, run: each planted bug, alone in its variant (with the faults its row names), fails the check
its row names, with the cause it names; every scenario's ``fixed`` variant passes every check. Small sizes;
a run another test needs too is shared (``judged_runs.shared_run``)."""
from __future__ import annotations

from typing import Any

import pytest
from judged_runs import shared_run

from harness.backends import EmbeddedBackend
from harness.scenario import Bug, registry

RUNNABLE = [b for b in registry.bugs() if b.check is not None]


def _counts(value: Any, key: str) -> list[Any]:
    """Every value stored under ``key`` anywhere in a check's ``actual``."""
    if isinstance(value, dict):
        return ([value[key]] if key in value else []) + [v for x in value.values() for v in _counts(x, key)]
    if isinstance(value, (list, tuple)):
        return [v for x in value for v in _counts(x, key)]
    return []


@pytest.mark.parametrize("name", registry.names())
def test_every_fixed_variant_passes_every_check(backend: EmbeddedBackend, name: str) -> None:
    report, _ = shared_run(backend, registry.get(name))
    assert report.passed, [(c.name, c.expected, c.actual) for c in report.failed]


@pytest.mark.parametrize("bug", RUNNABLE, ids=lambda b: f"{b.scenario}-{b.variant}")
def test_each_bug_fails_the_check_its_row_names(backend: EmbeddedBackend, bug: Bug) -> None:
    report, _ = shared_run(backend, registry.get(bug.scenario), bug.variant, bug.faults)
    check = report.check(str(bug.check))
    assert not check.passed, f"{bug.check} passed: {check.actual}"
    if bug.cause:  # the check counts several things: this bug's count is the one that is off
        assert any(_counts(check.actual, bug.cause)), f"{bug.cause} not counted in {check.actual}"


@pytest.mark.parametrize("bug", [b for b in RUNNABLE if b.faults], ids=lambda b: f"{b.scenario}-{b.variant}")
def test_a_bug_shown_under_faults_is_silent_without_them(backend: EmbeddedBackend, bug: Bug) -> None:
    """So the faults are what the bug needs to show, and the run's failure is the bug's."""
    report, _ = shared_run(backend, registry.get(bug.scenario), bug.variant)
    assert report.passed, [(c.name, c.actual) for c in report.failed]
