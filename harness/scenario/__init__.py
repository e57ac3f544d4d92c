"""The Scenario seam (layer 6): a protocol for pipeline scenarios, their registry, the one driver that
runs them, a typed report, and ``judge``, which gives a run's report again from its trace file.

Scenario packages (``streamharness.scenarios.*`` or a user's) depend on this; it never imports them.
"""
from __future__ import annotations

from harness.scenario.base import NoProgress, Progress, Scenario
from harness.scenario.bugs import Bug
from harness.scenario.config import Option, ScenarioConfig, option, options_of
from harness.scenario.driver import judge, judge_file, run, run_traced
from harness.scenario.observations import TraceNotJudgeable, observe, observed, observed_each
from harness.scenario.registry import ScenarioLoadError, UnknownScenario
from harness.scenario.report import Report, api_call_table, run_report, run_timings

__all__ = ["Bug", "NoProgress", "Option", "Progress", "Report", "Scenario", "ScenarioConfig", "ScenarioLoadError",
           "TraceNotJudgeable", "UnknownScenario", "api_call_table", "judge", "judge_file", "observe", "observed",
           "observed_each", "option", "options_of", "run", "run_report", "run_timings", "run_traced"]
