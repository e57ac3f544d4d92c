"""A scenario small enough to judge by hand: the plan is a list of numbers, the "pipeline" doubles them."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from harness.oracles import check_equal
from harness.scenario import Progress, Report, Scenario, ScenarioConfig, observe, observed, option, registry
from harness.trace import Trace


@dataclass(frozen=True, kw_only=True)
class ToyConfig(ScenarioConfig):
    variants = ("right", "wrong")

    numbers: int = option(3, "How many numbers.", min=1, max=100)
    factor: float = option(2.0, "What the pipeline multiplies by.", min=0)
    label: str = option("a", "A label.", choices=("a", "b"))
    loud: bool = option(False, "Shout.")


class Toy(Scenario[ToyConfig, list[int]]):
    name = "toy"
    summary = "numbers in, doubled numbers out"
    Config = ToyConfig

    def generate(self, config: ToyConfig) -> list[int]:
        return [config.seed + i for i in range(config.numbers)]

    def topology(self, config: ToyConfig, plan: list[int], workdir: Path) -> Any:
        raise NotImplementedError("judged only")

    def drive(self, harness: Any, config: ToyConfig, plan: list[int], progress: Progress) -> None:
        raise NotImplementedError("judged only")

    def evaluate(self, trace: Trace, config: ToyConfig, plan: list[int]) -> Report:
        out = observed(trace, "out")
        check = check_equal("doubled", [n * config.factor for n in plan], out)
        return Report(scenario=self.name, variant=config.variant, backend=config.backend, seed=config.seed,
                      checks=(check,), summary={"numbers": len(plan)})


def toy_trace(config: ToyConfig, *, header: bool = True) -> Trace:
    """What a run of the toy would have traced: the header, then the pipeline's output as an observation."""
    from harness.scenario.observations import write_header

    trace = Trace()
    if header:
        write_header(trace, "toy", config.to_dict())
    plan = Toy().generate(config)
    factor = config.factor if config.variant == "right" else config.factor + 1
    observe(trace, "out", [n * factor for n in plan])
    return trace


@pytest.fixture
def toy_installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if a user's package declared ``toy = "toy_scenario:Toy"`` in the scenarios entry-point group."""
    eps = {"toy": EntryPoint("toy", "toy_scenario:Toy", registry.GROUP)}
    monkeypatch.setattr(registry, "_entry_points", lambda: eps)
    registry.get.cache_clear()
    yield
    registry.get.cache_clear()
