"""Scenarios come from the entry-point group; a trace with a header is judged again without a backend."""
from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from toy_scenario import Toy, ToyConfig, toy_trace, toy_installed  # noqa: F401 (a fixture)

from harness.scenario import ScenarioLoadError, TraceNotJudgeable, UnknownScenario, judge, judge_file, registry



def test_the_bundled_scenarios_are_registered() -> None:
    assert {"ip-dedup", "order-aggregator"} <= set(registry.names())
    assert registry.get("ip-dedup").name == "ip-dedup" and registry.get("ip-dedup").summary


def test_a_users_scenario_is_found_through_the_group(toy_installed: None) -> None:
    assert registry.names() == ["toy"]
    assert isinstance(registry.get("toy"), Toy)
    with pytest.raises(UnknownScenario, match="no scenario 'nope'; installed: toy"):
        registry.get("nope")


def test_a_bad_entry_point_is_named_in_the_error() -> None:
    with pytest.raises(ScenarioLoadError, match="entry point other = toy_scenario:Toy .* called 'toy'"):
        registry.load(EntryPoint("other", "toy_scenario:Toy", registry.GROUP))
    with pytest.raises(ScenarioLoadError, match="is a ToyConfig, not a harness.scenario.Scenario"):
        registry.load(EntryPoint("toy", "toy_scenario:ToyConfig", registry.GROUP))
    with pytest.raises(ScenarioLoadError, match="toy = no_such_module:Toy .*ModuleNotFoundError"):
        registry.load(EntryPoint("toy", "no_such_module:Toy", registry.GROUP))


@pytest.mark.parametrize("variant, passed", [("right", True), ("wrong", False)])
def test_judge_regenerates_the_plan_from_the_header(toy_installed: None, tmp_path: Path, variant: str,
                                                    passed: bool) -> None:
    config = ToyConfig(variant=variant, numbers=4, seed=10, factor=3.0)
    trace = toy_trace(config)
    live = Toy().evaluate(trace, config, Toy().generate(config))
    trace.write_jsonl(tmp_path / "t.jsonl")
    judged = judge_file(tmp_path / "t.jsonl")
    assert judged == live and judged.passed is passed
    assert judged.check("doubled").expected == [30.0, 33.0, 36.0, 39.0]


def test_a_trace_without_header_or_observation_cannot_be_judged(toy_installed: None) -> None:
    with pytest.raises(TraceNotJudgeable, match="0 scenario headers"):
        judge(toy_trace(ToyConfig(), header=False))
    trace = toy_trace(ToyConfig())
    bare = type(trace).from_events(e for e in trace if e["kind"] != "observation")
    with pytest.raises(TraceNotJudgeable, match="0 'out' observations"):
        judge(bare)


def test_a_header_from_another_version_is_refused(toy_installed: None) -> None:
    trace = toy_trace(ToyConfig())
    events = [dict(e, config={**e["config"], "colour": "red"}) if e["kind"] == "scenario" else e for e in trace]
    with pytest.raises(TraceNotJudgeable, match="no field 'colour'"):
        judge(type(trace).from_events(events))
    events = [dict(e, format=99) if e["kind"] == "scenario" else e for e in trace]
    with pytest.raises(TraceNotJudgeable, match="format 99"):
        judge(type(trace).from_events(events))
