"""The table-to-bus scenario end to end: the fixed pipeline passes, each planted bug fails the check its
bug-table row names, with the cause that row names; each run's trace file alone gives the same report."""
from __future__ import annotations

import pytest
from judged_runs import RunJudged, run_judged  # noqa: F401 (a fixture)

from streamharness.scenarios.table_to_bus.bugs import BUGS
from streamharness.scenarios.table_to_bus.oracles import LOSS_CAUSES
from streamharness.scenarios.table_to_bus.scenario import TableToBus, TableToBusConfig

SMALL = {"customers": 5, "orders": 10, "updates": 12, "deletes": 4, "seed": 5}


def test_the_fixed_pipeline_passes_every_check(run_judged: RunJudged) -> None:
    report = run_judged(TableToBus(), TableToBusConfig(variant="fixed", **SMALL)).to_dict()
    assert report["passed"], [c for c in report["checks_detail"] if not c["passed"]]
    assert report["table_events"] == report["changes"] == report["stream_records"] > 10
    assert report["history_records"] > 0 and report["fifo_messages"] > 0
    assert report["mapping_stats"]["given_up"] == 0


@pytest.mark.parametrize("bug", [b for b in BUGS if b.check and b.shown_by == "a run of the variant"],
                         ids=lambda b: b.cause)
def test_each_planted_bug_fails_its_named_check_with_its_cause(run_judged: RunJudged, bug) -> None:
    report = run_judged(TableToBus(), TableToBusConfig(variant=bug.variant, **SMALL))
    check = report.check(bug.check)
    assert not check.passed
    assert bug.cause in check.actual["lost_by_cause"] and LOSS_CAUSES[bug.cause] in check.detail
    assert not report.check("one_bus_event_per_change").passed
