"""harness.perf.measure_sqs_target, small: every entry is counted where it should land, and a
LocalStack-style endpoint (one that routes EventBridge to SQS itself: here moto's) is measured the same
way. Figures are not asserted: benchmarks print them (benchmarks/bench_sqs_target.py)."""
from __future__ import annotations

from harness.backends.embedded import EmbeddedBackend
from harness.perf import measure_sqs_target
from harness.perf.sqs_target import measure_localstack


def test_one_repeat_measures_both_targets_with_the_backlog_in_place() -> None:
    f = measure_sqs_target(entries=200, queued=100, clients=2, repeats=1)
    assert [(r["target"], r["entries"], r["backlog"]) for r in f.runs] == [("none", 200, 100), ("sqs", 200, 100)]
    assert f.ratio == round(f.runs[1]["entries"] / f.runs[1]["seconds"] / (200 / f.runs[0]["seconds"]), 3)
    assert set(f.harness_cpu_us_per_entry) == {"none", "sqs"} and f.localstack_entries_per_s is None
    assert f.to_dict()["queued"] == 100


def test_an_endpoint_that_routes_itself_is_measured_until_its_queue_holds_every_entry() -> None:
    backend = EmbeddedBackend(dynamodb="moto", eventbridge="moto")
    backend.start()
    try:
        run = measure_localstack(backend.endpoints["events"], entries=100, queued=20)
    finally:
        backend.stop()
    assert (run.target, run.entries, run.backlog, run.server_cpu_s) == ("sqs", 100, 20, None)
    assert run.seconds > 0 and run.client_cpu_s > 0
