"""The one skeleton every scenario runs on: generate, deploy, drive, observe, evaluate; and its
mirror, judging a trace file again without any backend."""
from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import replace
import time
from pathlib import Path
from typing import Any

from harness.backends import Backend
from harness.harness import Harness
from harness.runtime.faults import FaultPlan
from harness.scenario import registry
from harness.scenario.base import NoProgress, Progress, Scenario
from harness.scenario.config import ScenarioConfig
from harness.scenario.observations import TraceNotJudgeable, observe, read_header, write_header
from harness.scenario.report import Report
from harness.trace import Trace


def run(scenario: Scenario[Any, Any], config: ScenarioConfig, *, plan: Any = None,
        progress: Progress | None = None, trace_path: str | Path | None = None,
        backend: Backend | None = None, prefix: str = "sh-", faults: FaultPlan | None = None) -> Report:
    """Run ``scenario`` end to end and judge it. ``plan``: the one ``generate(config)`` gives, if already
    made; ``backend``: a running backend to share (default: one started from ``config.backend``);
    ``faults``: a fault plan to inject (the report's summary then says what was injected)."""
    progress = progress or NoProgress()
    plan = scenario.generate(config) if plan is None else plan
    with tempfile.TemporaryDirectory(prefix=f"{scenario.name}-") as tmp:
        topology = scenario.topology(config, plan, Path(tmp))
        progress.stage("starting backend")
        with Harness(topology, backend=backend or config.backend, prefix=prefix, faults=faults) as h:
            write_header(h.trace, scenario.name, config.to_dict())
            t0 = time.perf_counter()
            scenario.drive(h, config, plan, progress)
            run_s = time.perf_counter() - t0
            scenario.observe(h, config, plan)
            observe(h.trace, "run", {"startup_s": h.timings["startup_s"], "run_s": run_s})
            observe(h.trace, "mapping_stats", {name: s.as_dict() for name, s in h.stats().items()})
            observe(h.trace, "deliveries", dict(h.dispatcher.stats))
            observe(h.trace, "warnings", list(h.backend.warnings))
    if trace_path:
        h.trace.write_jsonl(trace_path)
    return with_faults(scenario.evaluate(h.trace, config, plan), h.trace)


def with_faults(report: Report, trace: Trace) -> Report:
    """``report`` with a ``faults_injected`` summary line when the run had a fault plan (e.g.
    "throttle x3, error x1", or "none")."""
    if not trace.of("fault", fault="plan"):
        return report
    counts = Counter(e["fault"] for e in trace.of("fault") if e["fault"] != "plan")
    line = ", ".join(f"{k} x{n}" for k, n in sorted(counts.items())) or "none"
    return replace(report, summary={**report.summary, "faults_injected": line})


def judge(trace: Trace) -> Report:
    """The report of the run that wrote ``trace``, from the trace alone: the header names the scenario
    and its config, the plan is generated again, and the oracles read the trace's observations."""
    header = read_header(trace)
    scenario = registry.get(header["name"])
    try:
        config = scenario.Config.from_dict(header["config"])
    except (TypeError, ValueError) as e:
        raise TraceNotJudgeable(f"the trace's {scenario.name} config does not fit this version: {e}") from None
    return with_faults(scenario.evaluate(trace, config, scenario.generate(config)), trace)


def judge_file(path: str | Path) -> Report:
    return judge(Trace.read_jsonl(path))


__all__ = ["judge", "judge_file", "run", "with_faults"]
