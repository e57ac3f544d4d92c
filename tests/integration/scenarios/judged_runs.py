"""Every scenario run in these tests writes its trace and is judged again from the file alone.

``shared_run`` runs a scenario once per test process for a given config and fault plan, so the bug
table and a scenario's own tests that need the same run share it; ``SMALL`` is each scenario's small
config, the one they share.
"""
from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.backends import EmbeddedBackend
from harness.runtime.faults import FaultPlan
from harness.scenario import Report, Scenario, ScenarioConfig, judge_file, run

RunJudged = Callable[[Scenario[Any, Any], ScenarioConfig], Report]


def _json(report: Report) -> dict[str, Any]:
    return json.loads(json.dumps(report.to_dict(), default=str))  # what --json writes


#: each scenario's small config: seconds per run, every check still exercised
SMALL: dict[str, dict[str, Any]] = {
    "ip-dedup": {"packets": 600, "ips": 80, "slots": 3, "seed": 11},
    "order-aggregator": {"orders": 40, "seed": 5},
    "eventlake": {"events": 60, "entities": 8, "seed": 5, "duplicate_rate": 0.3, "ttl_past_rate": 0.2, "invalid": 4},
    "table-to-bus": {"customers": 5, "orders": 10, "updates": 12, "deletes": 4, "seed": 5},
    "outbox-to-queue": {"orders": 8, "seed": 11},
}


def run_and_judge(backend: EmbeddedBackend, scenario: Scenario[Any, Any], config: ScenarioConfig,
                  directory: Path, faults: FaultPlan | None = None) -> Report:
    """Run on the shared backend (a fresh prefix), then judge the trace file: same verdict, same checks,
    same report."""
    trace = directory / f"{scenario.name}-{config.variant}-{uuid.uuid4().hex[:6]}.jsonl"
    live = run(scenario, config, trace_path=trace, backend=backend, prefix=f"s{uuid.uuid4().hex[:8]}-",
               faults=faults)
    judged = judge_file(trace)
    assert judged.passed is live.passed
    for mine, theirs in zip(_json(live)["checks_detail"], _json(judged)["checks_detail"], strict=True):
        assert (theirs["name"], theirs["passed"], theirs["expected"], theirs["actual"]) == \
            (mine["name"], mine["passed"], mine["expected"], mine["actual"])
    assert _json(judged) == _json(live)
    return live


@pytest.fixture
def run_judged(backend: EmbeddedBackend, tmp_path: Path) -> RunJudged:
    return lambda scenario, config: run_and_judge(backend, scenario, config, tmp_path)


_RUNS: dict[str, tuple[Report, Path]] = {}
_DIR: list[Path] = []


def shared_run(backend: EmbeddedBackend, scenario: Scenario[Any, Any], variant: str = "fixed",
               faults: FaultPlan | None = None, **options: Any) -> tuple[Report, Path]:
    """The judged report and trace file of ``scenario`` at its ``SMALL`` config (``options`` on top), run
    once per test process for the same config and faults."""
    config = scenario.config(**{**SMALL[scenario.name], **options, "variant": variant})
    key = json.dumps([scenario.name, config.to_dict(), faults.to_dict() if faults else None], sort_keys=True)
    if key not in _RUNS:
        if not _DIR:
            _DIR.append(Path(tempfile.mkdtemp(prefix="scenario-runs-")))
            atexit.register(shutil.rmtree, _DIR[0], True)
        directory = Path(tempfile.mkdtemp(dir=_DIR[0]))
        report = run_and_judge(backend, scenario, config, directory, faults)
        (trace,) = directory.glob("*.jsonl")
        _RUNS[key] = report, trace
    return _RUNS[key]
