"""The table-to-bus scenario end to end: what the fixed pipeline's report says it did (the bug table's test
runs every planted bug); the run's trace file alone gives the same report again (``harness judge``)."""
from __future__ import annotations

from judged_runs import shared_run

from harness.backends import EmbeddedBackend
from streamharness.scenarios.table_to_bus.oracles import LOSS_CAUSES
from streamharness.scenarios.table_to_bus.scenario import TableToBus


def test_the_fixed_pipeline_publishes_every_change_once(backend: EmbeddedBackend) -> None:
    report = shared_run(backend, TableToBus())[0].to_dict()
    assert report["passed"], [c for c in report["checks_detail"] if not c["passed"]]
    assert report["table_events"] == report["changes"] == report["stream_records"] > 10
    assert report["history_records"] > 0 and report["fifo_messages"] > 0
    assert report["mapping_stats"]["given_up"] == 0


def test_a_lost_record_is_counted_under_its_cause_and_the_cause_explained(backend: EmbeddedBackend) -> None:
    scenario = TableToBus()
    for bug in (b for b in scenario.bugs if b.check):
        report, _ = shared_run(backend, scenario, bug.variant, bug.faults)
        check = report.check(bug.check)
        assert set(check.actual["lost_by_cause"]) == {bug.cause} and LOSS_CAUSES[bug.cause] in check.detail
        assert not report.check("one_bus_event_per_change").passed
