"""The Scenario seam: what a pipeline scenario provides so the harness can run it, and judge it again.

A scenario is a subclass of :class:`Scenario` (registered under the ``streamharness.scenarios``
entry-point group). The harness calls, in order::

    config = scenario.config(**options)          # validated; bad values raise ValueError naming the flag
    plan = scenario.generate(config)             # the ground truth, deterministic for the config
    topology = scenario.topology(config, plan, workdir)
    with Harness(topology) as h:                 # the header (name, variant, seed, config) goes into h.trace
        scenario.drive(h, config, plan, progress)
        scenario.observe(h, config, plan)        # oracle inputs the runtime does not trace
    report = scenario.evaluate(trace, config, plan)

``evaluate`` is pure: it reads the trace and the plan only, never the backend, so ``harness judge``
regenerates the plan from the trace's header and gives the same report from a trace file.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from harness.scenario.bugs import Bug
from harness.scenario.config import Option, ScenarioConfig, options_of
from harness.scenario.report import Report

if TYPE_CHECKING:
    from harness.harness import Harness
    from harness.trace import Trace

C = TypeVar("C", bound=ScenarioConfig)
P = TypeVar("P")


class Progress(Protocol):
    """How a scenario reports its progress while it drives the pipeline (a progress bar, or nothing)."""

    def stage(self, description: str, total: int | None = None) -> None:
        """A new stage (e.g. "slot 2/5"); ``total``, when given, is the work of the whole run."""

    def advance(self, n: int) -> None:
        """``n`` more units of work done (safe to call from several threads)."""


class NoProgress:
    def stage(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


class Scenario(ABC, Generic[C, P]):
    """A pipeline scenario: its topology, a generated plan with its ground truth, how to drive it,
    what to observe and how to judge it. Subclasses set the class attributes and the five methods."""

    #: the command-line name (``harness run NAME``), also the entry-point name
    name: ClassVar[str]
    #: one line for ``harness scenarios``
    summary: ClassVar[str]
    #: the config type; its ``option`` fields are the scenario's options, its ``variants`` the variants
    Config: ClassVar[type[ScenarioConfig]]
    #: what ``Progress.advance`` counts, shown beside the progress bar
    unit: ClassVar[str] = "items"
    #: longer help for ``harness run NAME --help`` (defaults to the summary)
    description: ClassVar[str] = ""
    #: set (a ``harness.scenario.matrix.Reliability``) to join the reliability matrix
    reliability: ClassVar[Any] = None
    #: check name -> its likely causes, shown under the check when it fails (terminal and JSON)
    causes: ClassVar[Mapping[str, Sequence[str]]] = {}
    #: the bugs its variants plant, each alone: its rows of the bug table (``harness bugs``)
    bugs: ClassVar[Sequence[Bug]] = ()

    @property
    def variants(self) -> tuple[str, ...]:
        return self.Config.variants

    @property
    def options(self) -> tuple[Option, ...]:
        return options_of(self.Config)

    def config(self, **values: Any) -> C:
        """A validated config (ValueError names the offending flag)."""
        return self.Config(**values)  # type: ignore[return-value]

    @abstractmethod
    def generate(self, config: C) -> P:
        """The plan and its ground truth, deterministic for the config (ValueError for bad combinations)."""

    @abstractmethod
    def topology(self, config: C, plan: P, workdir: Path) -> Any:
        """The Topology to run (files it needs, such as a blocklist, go in ``workdir``, kept for the run)."""

    @abstractmethod
    def drive(self, harness: Harness, config: C, plan: P, progress: Progress) -> None:
        """Feed the plan to the running pipeline and wait until it is done (``harness.drain``)."""

    def observe(self, harness: Harness, config: C, plan: P) -> None:
        """Write into ``harness.trace`` (``observations.observe``) every oracle input the runtime does not
        trace itself, e.g. the messages on a queue or the items left in a table. Nothing by default."""

    @abstractmethod
    def evaluate(self, trace: Trace, config: C, plan: P) -> Report:
        """The report, from the trace and the plan only (pure: no backend)."""


__all__ = ["NoProgress", "Progress", "Scenario"]
