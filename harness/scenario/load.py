"""The load seam: what a scenario provides so ``harness load`` can put Locust load on its pipeline and
judge everything the load wrote with the oracles that stay exact in live mode.

A :class:`LoadProfile` is registered under the ``streamharness.loads`` entry-point group, by the
scenario's name. ``harness load NAME`` calls, in order::

    config = profile.config(seed)                       # the scenario config the topology is built from
    plan = scenario.generate(config); topology = scenario.topology(config, plan, workdir)
    env = profile.environment(config, resources)        # what the locustfile reads (table names, seed)
    ... Locust runs profile.locustfile, the pipeline runs in `harness up`, then a final drain ...
    observations = profile.observe(clients, config, resources)   # e.g. the alert queue, the items left
    checks, summary = profile.evaluate(trace, config, plan, observations, load)

``evaluate`` is pure (trace, plan, observations and Locust's totals), like ``Scenario.evaluate``.
"""
from __future__ import annotations

import importlib.util
import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib.metadata import entry_points
from itertools import repeat
from pathlib import Path
from typing import Any, ClassVar

from harness.oracles.checks import Check
from harness.oracles.stats import percentiles
from harness.scenario.config import ScenarioConfig
from harness.scenario.registry import UnknownScenario
from harness.topology.thresholds import Thresholds

GROUP = "streamharness.loads"


@dataclass(frozen=True)
class LoadStats:
    """Locust's totals for the whole run, per request name ("dynamodb UpdateItem") and in all, and the
    calls made per second (unix second -> count)."""

    requests: int
    failures: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    by_name: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    per_second: Mapping[int, int] = field(default_factory=dict)
    #: when Locust's test started (unix time): its processes take seconds to start, the clock starts here
    started: float | None = None

    @property
    def succeeded(self) -> int:
        return self.requests - self.failures

    @property
    def error_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "succeeded": self.succeeded, "error_ratio": round(self.error_ratio, 6)}
        del out["per_second"]
        return out


def _histogram_percentile(hist: Mapping[int, int], q: float) -> float | None:
    """Percentile ``q`` of Locust's response-time histogram (rounded ms -> count)."""
    total = sum(hist.values())
    if not total:
        return None
    rank, seen = q / 100 * total, 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= rank:
            return float(ms)
    return float(max(hist))


def read_stats_json(path: str | Path) -> LoadStats:
    """The file Locust's ``--json-file`` writes at the end of a run (one entry per type+name)."""
    entries = json.loads(Path(path).read_text())
    hist: Counter[int] = Counter()
    per_s: Counter[int] = Counter()
    by_name: dict[str, dict[str, Any]] = {}
    for e in entries:
        rt = {int(float(k)): v for k, v in e["response_times"].items()}
        hist.update(rt)
        per_s.update({int(float(k)): v for k, v in e["num_reqs_per_sec"].items()})
        by_name[f"{e['method']} {e['name']}"] = {"requests": e["num_requests"], "failures": e["num_failures"],
                                                  "p50_ms": _histogram_percentile(rt, 50),
                                                  "p99_ms": _histogram_percentile(rt, 99)}
    requests = sum(e["num_requests"] for e in entries)
    start = min((e["start_time"] for e in entries), default=0.0)
    end = max((e["last_request_timestamp"] or start for e in entries), default=0.0)
    return LoadStats(requests=requests, failures=sum(e["num_failures"] for e in entries),
                     rps=requests / (end - start) if end > start else 0.0, p50_ms=_histogram_percentile(hist, 50),
                     p95_ms=_histogram_percentile(hist, 95), p99_ms=_histogram_percentile(hist, 99),
                     by_name=by_name, per_second=dict(per_s), started=start if entries else None)


def with_tallies(stats: LoadStats, directory: str | Path) -> LoadStats:
    """``stats`` with its counts replaced by the exact ones each Locust process wrote (``tally-*.json``,
    see ``streamharness.loadtests.common.Tally``); unchanged when there are none."""
    files = sorted(Path(directory).glob("tally-*.json"))
    if not files:
        return stats
    counts: dict[str, Counter[str]] = {}
    for f in files:
        for name, row in json.loads(f.read_text()).items():
            counts.setdefault(name, Counter()).update(row)
    by_name = {name: {**stats.by_name.get(name, {}), "requests": c["requests"], "failures": c["failures"]}
               for name, c in counts.items()}
    return replace(stats, requests=sum(c["requests"] for c in counts.values()),
                   failures=sum(c["failures"] for c in counts.values()), by_name=by_name)


@dataclass(frozen=True)
class Threshold:
    """An SLO of a load run: ``name`` (what is measured), the bound and whether it is a floor or a ceiling."""

    name: str
    bound: float
    floor: bool  # True: value must be >= bound; False: value must be <= bound

    def check(self, value: float | None) -> Check:
        passed = value is not None and (value >= self.bound if self.floor else value <= self.bound)
        return Check(name=f"threshold {self.name}", passed=passed,
                     expected=f"{'>=' if self.floor else '<='} {self.bound:g}",
                     actual=None if value is None else round(value, 3),
                     detail="no value measured" if value is None else "")


#: a Thresholds field -> the figure it bounds and whether the bound is a floor
_BOUNDS = {"min_events_per_s": ("events_per_s", True), "max_p99_ms": ("write_to_handler_p99_ms", False),
           "max_error_ratio": ("error_ratio", False)}


def thresholds(limits: Thresholds) -> list[Threshold]:
    """The checks of the thresholds that are set (a topology's ``thresholds:``, options over it)."""
    return [Threshold(_BOUNDS[name][0], bound, floor=_BOUNDS[name][1]) for name, bound in limits.items()]


def per_second(times: Iterable[float], start: float, end: float, weights: Iterable[float] | None = None) -> list[float]:
    """Counts (or sums of ``weights``) per whole second since ``start``, one bucket per second up to ``end``."""
    buckets = [0.0] * max(1, int(end - start) + 1)
    for t, w in zip(times, repeat(1.0) if weights is None else weights):
        k = int(t - start)
        if 0 <= k < len(buckets):
            buckets[k] += w
    return buckets


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, Any]:
    return {"count": len(latencies_ms), **(percentiles(latencies_ms, (50, 90, 95, 99, 100)) or {})}


class LoadProfile(ABC):
    """A scenario's load: its locustfile, the environment it needs, and its live-mode oracles."""

    #: the scenario (registry name) whose config, plan and topology the load runs on
    scenario: ClassVar[str]
    #: the locustfile, as a module name (``streamharness.loadtests.ip_dedup``)
    locustfile: ClassVar[str]
    #: the function whose invocations are the pipeline's end (events/s and write -> handler latency)
    function: ClassVar[str]
    #: what the write -> handler latencies ``evaluate`` returns are measured from and to
    latency_basis: ClassVar[str]
    #: the thresholds of a run whose topology has no ``thresholds:`` (options override them): at most 1% of
    #: the load's calls may fail
    thresholds: ClassVar[Thresholds] = Thresholds(max_error_ratio=0.01)

    @abstractmethod
    def config(self, seed: int) -> ScenarioConfig:
        """The scenario config the topology (and any data the locustfile shares with it) comes from."""

    @abstractmethod
    def environment(self, config: ScenarioConfig, resources: Mapping[str, Any]) -> dict[str, str]:
        """Environment variables of the Locust processes (``resources``: the control endpoint's /resources)."""

    def observe(self, client: Callable[[str], Any], config: ScenarioConfig,
                resources: Mapping[str, Any]) -> dict[str, Any]:
        """Oracle inputs read from the backend after the final drain (``client(service)``: a boto3 client)."""
        return {}

    @abstractmethod
    def evaluate(self, trace: Any, config: ScenarioConfig, plan: Any, observations: Mapping[str, Any],
                 load: LoadStats) -> tuple[list[Check], dict[str, Any], list[float]]:
        """The live-mode checks, the summary counts and the write -> handler latencies (ms)."""

    def locustfile_path(self) -> str:
        spec = importlib.util.find_spec(self.locustfile)
        if spec is None or spec.origin is None:
            raise UnknownScenario(f"locustfile module {self.locustfile} is not installed")
        return spec.origin


def load_profile(name: str) -> LoadProfile:
    """The installed load profile of scenario ``name`` (UnknownScenario naming the ones there are)."""
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in found:
        raise UnknownScenario(f"no load profile for {name!r}; installed: {', '.join(sorted(found)) or 'none'}")
    return found[name].load()()


def load_profiles() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


__all__ = ["LoadProfile", "LoadStats", "Threshold", "latency_summary", "load_profile", "load_profiles",
           "per_second", "read_stats_json", "thresholds", "with_tallies"]
