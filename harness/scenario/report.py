"""The typed result of a scenario run: the verdict, its checks and the numbers behind them.

One JSON form (``to_dict``, the file ``--json`` writes; flat, as it always was, so existing readers
keep working) and one terminal form (``harness.cli.report.render``). A report read back with
``from_dict`` equals the one written.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harness.oracles.checks import Check
from harness.oracles.stats import percentiles
from harness.scenario.config import ScenarioConfig
from harness.scenario.observations import TraceLike, observed

#: keys of the JSON form that are not summary counts
_FIXED = ("scenario", "variant", "backend", "seed", "api_calls", "mapping_stats", "deliveries", "passed",
          "checks_detail", "timings", "warnings")


@dataclass(frozen=True)
class Report:
    """``summary``: the scenario's own counts, in display order (e.g. packets, distinct_ips);
    ``timings``: startup_s, run_s, a rate, latency_ms percentiles and what the latency measures."""

    scenario: str
    variant: str
    backend: str
    seed: int
    checks: tuple[Check, ...]
    summary: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, Any] = field(default_factory=dict)
    api_calls: Mapping[str, Mapping[str, int]] | None = None
    mapping_stats: Mapping[str, int] | None = None
    deliveries: Mapping[str, int] | None = None
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        clash = sorted(set(self.summary) & set(_FIXED))
        if clash:
            raise ValueError(f"summary keys {clash} collide with the report's own fields")

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check {name!r} in the {self.scenario} report (checks: "
                       f"{', '.join(c.name for c in self.checks)})")

    def explained(self, causes: Mapping[str, Sequence[str]], checks: Sequence[Check] | None = None) -> Report:
        """This report with ``checks`` (default: its own), each failed one given its likely ``causes``."""
        return replace(self, checks=tuple(c if c.passed or c.name not in causes else
                                          replace(c, causes=list(causes[c.name]))
                                          for c in (self.checks if checks is None else checks)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scenario": self.scenario, "variant": self.variant, "backend": self.backend,
                               "seed": self.seed, **self.summary}
        for key in ("api_calls", "mapping_stats", "deliveries"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out.update(passed=self.passed, checks_detail=[c.to_dict() for c in self.checks], timings=dict(self.timings),
                   warnings=list(self.warnings))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        return cls(scenario=data["scenario"], variant=data["variant"], backend=data["backend"], seed=data["seed"],
                   checks=tuple(Check(**c) for c in data["checks_detail"]),
                   summary={k: v for k, v in data.items() if k not in _FIXED}, timings=data.get("timings", {}),
                   api_calls=data.get("api_calls"), mapping_stats=data.get("mapping_stats"),
                   deliveries=data.get("deliveries"), warnings=tuple(data.get("warnings", ())))


def run_report(trace: TraceLike, scenario: str, config: ScenarioConfig, checks: Sequence[Check], *,
               summary: Mapping[str, Any], timings: Mapping[str, Any], mapping: str,
               api_calls: Mapping[str, Mapping[str, int]] | None = None, deliveries: bool = False) -> Report:
    """A report with the run's own observations filled in (``mapping``'s stats, the backend's warnings,
    and, with ``deliveries``, EventBridge target delivery counts)."""
    return Report(scenario=scenario, variant=config.variant, backend=config.backend, seed=config.seed,
                  checks=tuple(checks), summary=summary, timings=timings, api_calls=api_calls,
                  mapping_stats=observed(trace, "mapping_stats")[mapping],
                  deliveries=observed(trace, "deliveries") if deliveries else None,
                  warnings=tuple(observed(trace, "warnings")))


def run_timings(trace: TraceLike, *, rate: str, count: int, latency_ms: Sequence[float], basis: str) -> dict[str, Any]:
    """startup_s and run_s as observed, ``rate`` = count / run_s, latency percentiles and what they measure."""
    run = observed(trace, "run")
    run_s = run["run_s"]
    return {"startup_s": round(run["startup_s"], 3), "run_s": round(run_s, 3),
            rate: round(count / run_s, 1) if run_s else None, "latency_ms": percentiles(latency_ms),
            "latency_basis": basis}


def api_call_table(calls: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """``api_call`` trace events summed per "function: service.Operation" (calls, items read/scanned/written)."""
    table: dict[str, dict[str, int]] = {}
    for c in calls:
        row = table.setdefault(f"{c['function']}: {c['service']}.{c['operation']}",
                               {"calls": 0, "items_read": 0, "items_scanned": 0, "items_written": 0})
        row["calls"] += 1
        for k in ("items_read", "items_scanned", "items_written"):
            row[k] += c.get(k, 0) or 0
    return table


__all__ = ["Report", "api_call_table", "run_report", "run_timings"]
