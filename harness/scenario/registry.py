"""Scenarios are found through the ``streamharness.scenarios`` entry-point group, so any installed
package can add its own; the library never imports a scenario package by name.

A package declares, in its pyproject.toml::

    [project.entry-points."streamharness.scenarios"]
    my-pipeline = "mypkg.scenario:MyPipeline"     # a Scenario subclass (or instance)

The entry point's name is the scenario's name. Only the scenario asked for is imported.
"""
from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from harness.scenario.base import Scenario
from harness.scenario.bugs import Bug, BugTableError

GROUP = "streamharness.scenarios"


class UnknownScenario(LookupError):
    pass


class ScenarioLoadError(ImportError):
    """An entry point of the group could not be imported, or does not name a Scenario."""


def _entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep)  # the same distribution seen twice on sys.path
    return found


def names() -> list[str]:
    """Installed scenario names, sorted (nothing is imported)."""
    return sorted(_entry_points())


@cache
def get(name: str) -> Scenario:  # type: ignore[type-arg]
    """The scenario registered as ``name``; UnknownScenario lists the installed ones."""
    ep = _entry_points().get(name)
    if ep is None:
        raise UnknownScenario(f"no scenario {name!r}; installed: {', '.join(names()) or 'none'} "
                              f"(entry-point group {GROUP!r})")
    return load(ep)


def load(ep: EntryPoint) -> Scenario:  # type: ignore[type-arg]
    where = f"entry point {ep.name} = {ep.value} (group {GROUP!r})"
    try:
        obj = ep.load()
        scenario = obj() if isinstance(obj, type) else obj
    except Exception as e:
        raise ScenarioLoadError(f"{where}: {type(e).__name__}: {e}") from e
    if not isinstance(scenario, Scenario):
        raise ScenarioLoadError(f"{where} is a {type(scenario).__name__}, not a harness.scenario.Scenario")
    if scenario.name != ep.name:
        raise ScenarioLoadError(f"{where} names a scenario called {scenario.name!r}; the two names must match")
    return scenario


def bugs() -> list[Bug]:
    """The bug table: every installed scenario's bugs, scenarios in name order, each one's in its own."""
    rows = []
    for name in names():
        scenario = get(name)
        for bug in scenario.bugs:
            if bug.scenario != name or bug.variant not in scenario.variants:
                raise BugTableError(f"bug {bug.bug!r} of scenario {name}: it names scenario {bug.scenario!r}, "
                                    f"variant {bug.variant!r} (variants: {', '.join(scenario.variants)})")
            rows.append(bug)
    return rows


__all__ = ["GROUP", "ScenarioLoadError", "UnknownScenario", "bugs", "get", "load", "names"]
