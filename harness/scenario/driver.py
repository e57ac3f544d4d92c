"""The one skeleton every scenario runs on: generate, deploy, drive, observe, evaluate; and its
mirror, judging a trace file again without any backend."""
from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import replace
import time
from pathlib import Path
from typing import Any

from harness.backends import BACKENDS, Backend
from harness.harness import Harness
from harness.runtime.faults import FaultPlan
from harness.oracles import accounting
from harness.scenario import registry
from harness.scenario.base import NoProgress, Progress, Scenario
from harness.scenario.config import ScenarioConfig
from harness.scenario.observations import TraceNotJudgeable, observe, observed_each, read_header, write_header
from harness.scenario.report import Report
from harness.trace import Trace


def run(scenario: Scenario[Any, Any], config: ScenarioConfig, *, plan: Any = None,
        progress: Progress | None = None, trace_path: str | Path | None = None,
        backend: Backend | None = None, prefix: str = "sh-", faults: FaultPlan | None = None) -> Report:
    """Run ``scenario`` end to end and judge it. ``plan``: the one ``generate(config)`` gives, if already
    made; ``backend``: a running backend to share (default: one started from ``config.backend``);
    ``faults``: a fault plan to inject (the report's summary then says what was injected)."""
    report, trace = run_traced(scenario, config, plan=plan, progress=progress, backend=backend, prefix=prefix,
                               faults=faults)
    if trace_path:
        trace.write_jsonl(trace_path)
    return report


def run_traced(scenario: Scenario[Any, Any], config: ScenarioConfig, *, plan: Any = None,
               progress: Progress | None = None, backend: Backend | None = None,
               prefix: str = "sh-", faults: FaultPlan | None = None) -> tuple[Report, Trace]:
    """:func:`run`, returning the trace too instead of writing it: a command prints the report before
    it writes any file, so a full disk cannot cost it the verdict."""
    progress = progress or NoProgress()
    if backend is not None and backend.name != config.backend and backend.name in BACKENDS:  # the report names it
        config = replace(config, backend=backend.name)
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
            observe(h.trace, "target_stats", {f"{h.dispatcher.rules.get(arn, arn)} -> {target}": counts
                                              for (arn, target), counts in h.dispatcher.target_stats().items()})
            observe(h.trace, "warnings", list(h.backend.warnings))
    return evaluate(scenario, h.trace, config, plan), h.trace


def with_faults(report: Report, trace: Trace) -> Report:
    """``report`` with a ``faults_injected`` summary line when the run had a fault plan (e.g.
    "throttle x3, error x1", or "none")."""
    if not trace.of("fault", fault="plan"):
        return report
    counts = Counter(e["fault"] for e in trace.of("fault") if e["fault"] != "plan")
    line = ", ".join(f"{k} x{n}" for k, n in sorted(counts.items())) or "none"
    return replace(report, summary={**report.summary, "faults_injected": line})


def evaluate(scenario: Scenario[Any, Any], trace: Trace, config: ScenarioConfig, plan: Any) -> Report:
    """The scenario's report, with what faults were injected, the accounting check every run gets and each
    failed check's likely causes from the scenario's table."""
    report = with_faults(scenario.evaluate(trace, config, plan), trace)
    stats = observed_each(trace, "mapping_stats")  # every run observes it; a hand-made trace may not
    targets = observed_each(trace, "target_stats")  # absent from traces written before it was observed
    checks = report.checks
    if stats:
        checks = (*checks, accounting.accounting_check(stats[0], targets[0] if targets else {}))
    return report.explained({accounting.NAME: accounting.CAUSES, **scenario.causes}, checks)


def judge(trace: Trace) -> Report:
    """The report of the run that wrote ``trace``, from the trace alone: the header names the scenario
    and its config, the plan is generated again, and the oracles read the trace's observations."""
    header = read_header(trace)
    scenario = registry.get(header["name"])
    try:
        config = scenario.Config.from_dict(header["config"])
    except (TypeError, ValueError) as e:
        raise TraceNotJudgeable(f"the trace's {scenario.name} config does not fit this version: {e}") from None
    return evaluate(scenario, trace, config, scenario.generate(config))


def judge_file(path: str | Path) -> Report:
    return judge(Trace.read_jsonl(path))


__all__ = ["evaluate", "judge", "judge_file", "run", "run_traced", "with_faults"]
