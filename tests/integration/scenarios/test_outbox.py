"""The outbox-to-queue scenario end to end, small: the fixed pipeline passes (also fanned out through SNS),
each planted variant fails on its named check, each run's trace gives the same report again, and
``harness trace --correlation-id`` follows one event through every hop."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from judged_runs import RunJudged, run_and_judge, run_judged  # noqa: F401 (a fixture)

from harness.backends import EmbeddedBackend
from harness.scenario import Report
from streamharness.scenarios.outbox.bugs import BUGS
from streamharness.scenarios.outbox.scenario import OutboxConfig, OutboxToQueue

SMALL = {"orders": 8, "seed": 11}


@pytest.fixture(scope="module")
def fixed(backend: EmbeddedBackend, tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    directory = tmp_path_factory.mktemp("outbox")
    report = run_and_judge(backend, OutboxToQueue(), OutboxConfig(**SMALL), directory)
    (trace,) = directory.glob("*.jsonl")
    return report, trace


def test_the_fixed_pipeline_passes_every_check(fixed: tuple[Report, Path]) -> None:
    report, _ = fixed
    assert report.passed, [c for c in report.checks if not c.passed]
    summary = report.to_dict()
    assert summary["given_up"] == summary["poison_events"] == 1 and summary["dead_lettered"] > 0
    assert summary["published"] == summary["events"] - 1 and summary["left_on_queues"] == 0


def test_the_fanout_through_a_topic_and_two_filtered_queues_passes(run_judged: RunJudged) -> None:
    report = run_judged(OutboxToQueue(), OutboxConfig(**SMALL, fanout=True))
    assert report.passed, [c for c in report.checks if not c.passed]


@pytest.mark.parametrize("bug", BUGS, ids=[b.variant for b in BUGS])
def test_each_planted_bug_fails_its_named_check(run_judged: RunJudged, bug) -> None:
    report = run_judged(OutboxToQueue(), OutboxConfig(**SMALL, variant=bug.variant))
    check = report.check(bug.check)
    assert not check.passed and "likely cause" in check.detail
    if bug.variant == "no-bisect":   # the stall is named: its record, retries and age
        (plan_poison,) = OutboxToQueue().generate(OutboxConfig(**SMALL)).poison
        assert plan_poison.key in check.detail and "retried" in check.detail and "age" in check.detail
    else:                            # the looping message is named with its receive count
        assert "looping on orders, received" in check.detail


def test_harness_trace_follows_a_correlation_id_through_every_hop(fixed: tuple[Report, Path]) -> None:
    _, trace = fixed
    plan = OutboxToQueue().generate(OutboxConfig(**SMALL))
    event = next(e for e in plan.events if not e.poison and not e.unprocessable)
    out = subprocess.run([sys.executable, "-m", "harness.cli", "trace", str(trace), "--correlation-id",
                          event.correlation_id], capture_output=True, text=True, check=True).stdout
    hops = ["invoked producer", "outbox_written", "read", "invoked publisher", '"published"',
            "invoked consumer (queue:orders", '"consumed"']
    positions = [out.find(h) for h in hops]
    assert -1 not in positions and positions == sorted(positions), out
    assert f"order_id={event.order_id} seq={event.seq}" in out and "1 of " in out
