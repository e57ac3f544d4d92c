"""Every scenario run in these tests writes its trace and is judged again from the file alone."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.backends import EmbeddedBackend
from harness.scenario import Report, Scenario, ScenarioConfig, judge_file, run

RunJudged = Callable[[Scenario[Any, Any], ScenarioConfig], Report]


def _json(report: Report) -> dict[str, Any]:
    return json.loads(json.dumps(report.to_dict(), default=str))  # what --json writes


def run_and_judge(backend: EmbeddedBackend, scenario: Scenario[Any, Any], config: ScenarioConfig,
                  directory: Path) -> Report:
    """Run on the shared backend (a fresh prefix), then judge the trace file: same verdict, same checks,
    same report."""
    trace = directory / f"{scenario.name}-{config.variant}-{uuid.uuid4().hex[:6]}.jsonl"
    live = run(scenario, config, trace_path=trace, backend=backend, prefix=f"s{uuid.uuid4().hex[:8]}-")
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
