"""The outbox-to-queue scenario end to end, small: the fixed pipeline passes (also fanned out through SNS),
each planted variant's failed check names what is stuck or looping (the bug table's test asserts which
check fails), each run's trace gives the same report again, and ``harness trace --correlation-id``
follows one event through every hop."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from judged_runs import SMALL, RunJudged, run_judged, shared_run  # noqa: F401 (a fixture)

from harness.backends import EmbeddedBackend
from harness.scenario import Report
from streamharness.scenarios.outbox.scenario import OutboxConfig, OutboxToQueue


@pytest.fixture
def fixed(backend: EmbeddedBackend) -> tuple[Report, Path]:
    return shared_run(backend, OutboxToQueue())


def test_the_fixed_pipeline_isolates_the_poison_and_dead_letters_what_fails(fixed: tuple[Report, Path]) -> None:
    report, _ = fixed
    summary = report.to_dict()
    assert summary["given_up"] == summary["poison_events"] == 1 and summary["dead_lettered"] > 0
    assert summary["published"] == summary["events"] - 1 and summary["left_on_queues"] == 0


def test_the_fanout_through_a_topic_and_two_filtered_queues_passes(run_judged: RunJudged) -> None:
    report = run_judged(OutboxToQueue(), OutboxConfig(**SMALL["outbox-to-queue"], fanout=True))
    assert report.passed, [c for c in report.checks if not c.passed]


def test_the_stall_is_named_with_its_record_retries_and_age(backend: EmbeddedBackend) -> None:
    check = shared_run(backend, OutboxToQueue(), "no-bisect")[0].check("shard_not_blocked")
    (plan_poison,) = OutboxToQueue().generate(OutboxConfig(**SMALL["outbox-to-queue"])).poison
    assert "likely cause" in check.detail
    assert plan_poison.key in check.detail and "retried" in check.detail and "age" in check.detail


def test_the_looping_message_is_named_with_its_receive_count(backend: EmbeddedBackend) -> None:
    check = shared_run(backend, OutboxToQueue(), "no-consumer-dlq")[0].check("no_looping_message")
    assert "likely cause" in check.detail and "looping on orders, received" in check.detail


def test_harness_trace_follows_a_correlation_id_through_every_hop(fixed: tuple[Report, Path]) -> None:
    _, trace = fixed
    plan = OutboxToQueue().generate(OutboxConfig(**SMALL["outbox-to-queue"]))
    event = next(e for e in plan.events if not e.poison and not e.unprocessable)
    out = subprocess.run([sys.executable, "-m", "harness.cli", "trace", str(trace), "--correlation-id",
                          event.correlation_id], capture_output=True, text=True, check=True).stdout
    hops = ["invoked producer", "outbox_written", "read", "invoked publisher", '"published"',
            "invoked consumer (queue:orders", '"consumed"']
    positions = [out.find(h) for h in hops]
    assert -1 not in positions and positions == sorted(positions), out
    assert f"order_id={event.order_id} seq={event.seq}" in out and "1 of " in out
