"""``harness bench``'s measurements, in one run on one machine, as figures with goals and verdicts.

Per backend (embedded, and LocalStack side by side when asked), sections 1-6 (``figures.SECTIONS``).
A measurement that fails becomes a figure that says why, and the run goes on: one broken piece does not
hide the others' figures. The ceiling and end-to-end runs use the same Locust settings (users, worker
processes, run time), so their ratio is the pipeline's cost alone.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.cli.bench import eventbridge, loads
from harness.coldstart import measure_cold_start
from harness.cli.bench.figures import Figure, Goal, missing, ratio, saturation
from harness.cli.bench.settings import BenchSettings

E2E_RATIO_GOAL = Goal(">=", 0.8)
P99_GOAL_MS = Goal("<", 100)
COLD_START_GOAL_S = Goal("<", 1.0)
SQS_RATIO_GOAL = Goal(">=", 0.5)

Say = Callable[[str], None]


@dataclass
class Target:
    """A backend as the measurements reach it: by name for commands (with ``env``), as an object in process."""

    name: str
    backend: Any = "embedded"  # what Harness(backend=...) gets
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    server_start_s: float | None = None  # LocalStack's start -> ready, when this run started it


@contextmanager
def target(name: str, endpoint: str | None, say: Say) -> Iterator[Target]:
    """The backend to measure: embedded (each measurement starts its own), or one LocalStack for the whole run
    (``endpoint``, $LOCALSTACK_ENDPOINT or one on 127.0.0.1:4566 when it answers, else started here)."""
    if name == "embedded":
        yield Target(name)
        return
    from harness.backends import create_backend

    backend = create_backend(name, endpoint=endpoint) if endpoint else create_backend(name)
    say(f"[{name}] starting or reaching LocalStack (a first start takes minutes)")
    backend.start()
    started = getattr(backend, "server", None) is not None
    say(f"[{name}] ready at {backend.url} in {backend.startup_s:.1f}s" + ("" if started else " (already running)"))
    try:
        yield Target(name, backend, {**os.environ, "LOCALSTACK_ENDPOINT": backend.url},
                     backend.startup_s if started else None)
    finally:
        backend.stop()


class Suite:
    def __init__(self, settings: BenchSettings, sections: list[int], workdir: Path, say: Say) -> None:
        self.s = settings
        self.sections = sections
        self.workdir = workdir
        self.say = say
        self._loads: dict[tuple[str, int], loads.LoadRun | Exception] = {}

    def run(self, t: Target) -> list[Figure]:
        out: list[Figure] = []
        for section, measure in ((1, self.ceiling), (2, self.end_to_end), (3, self.latency), (4, self.cold_start),
                                 (5, self.scaling), (6, self.sqs)):
            if section in self.sections:
                figures = measure(t, out)
                out += figures
                for f in figures:
                    self.say(f"[{t.name}] {f.label}: " + (f"could not be measured: {f.error.splitlines()[0]}"
                                                         if f.error else f"{f.value} {f.unit}".rstrip()))
        return out

    # -- 1 ------------------------------------------------------------------------------------------
    def ceiling(self, t: Target, _: list[Figure]) -> list[Figure]:
        from harness import Harness, Topology

        s, w = self.s, self.s.workers
        label = f"scenario writes, Locust {w} processes x {s.users // w or 1} users, no pipeline"
        blabel = f"BatchWriteItem (25 items), {w} processes, no pipeline"
        self.say(f"[{t.name}] 1. raw write ceiling: {s.scenario}'s locustfile for {s.run_time_s}s, then "
                 f"BatchWriteItem for {s.run_time_s}s, against its tables alone")
        try:
            scenario_topology = self._topology()
            tables_only = Topology(name=f"{scenario_topology.name}-ceiling", tables=scenario_topology.tables,
                                   queues=scenario_topology.queues)
            with Harness(tables_only, backend=t.backend) as h:
                run = loads.locust_ceiling(h, s.scenario, workers=w, users=s.users, spawn_rate=s.spawn_rate,
                                           run_time_s=s.run_time_s, seed=s.seed, workdir=self.workdir)
                table = scenario_topology.tables[0].name
                batch = loads.batch_ceiling(h, table, workers=w, threads=max(1, s.users // w), seconds=s.run_time_s)
        except Exception as e:  # noqa: BLE001 - any failure is reported as the figure's error
            return [missing(1, "ceiling_writes_per_s", label, t.name, _why(e), "calls/s"),
                    missing(1, "ceiling_batch_items_per_s", blabel, t.name, _why(e), "items/s")]
        return [Figure(1, "ceiling_writes_per_s", label, t.name, _round(run.calls_per_s), "calls/s",
                       detail=f"{run.calls:,} calls accepted, {run.failures:,} failed; machine CPU busy "
                              f"{_pct(run.cpu_busy)}"),
                Figure(1, "ceiling_batch_items_per_s", blabel, t.name, _round(batch), "items/s")]

    # -- 2, 3, 5 ------------------------------------------------------------------------------------
    def load(self, t: Target, workers: int) -> loads.LoadRun:
        """``harness load`` with ``workers`` Locust workers, once per run (sections 2, 3 and 5 share it)."""
        key = (t.name, workers)
        if key not in self._loads:
            s = self.s
            self.say(f"[{t.name}] harness load {s.scenario}: {s.users} users, {workers} Locust workers, "
                     f"{s.run_time_s}s, then the final drain and the live oracles")
            try:
                self._loads[key] = loads.harness_load(
                    s.scenario, backend=t.name, workers=workers, users=s.users, spawn_rate=s.spawn_rate,
                    run_time_s=s.run_time_s, seed=s.seed, workdir=self.workdir, env=t.env)
            except Exception as e:  # noqa: BLE001
                self._loads[key] = e
        found = self._loads[key]
        if isinstance(found, Exception):
            raise found
        return found

    def end_to_end(self, t: Target, earlier: list[Figure]) -> list[Figure]:
        w = self.s.workers
        label = f"end to end events/s, Locust {w} processes, every write judged"
        try:
            run = self.load(t, w)
        except Exception as e:  # noqa: BLE001
            return [missing(2, "e2e_events_per_s", label, t.name, _why(e), "events/s"),
                    missing(2, "e2e_exact", "live oracles all passed", t.name, _why(e), goal=Goal("==", True)),
                    missing(2, "e2e_ratio_to_ceiling", "end to end / write ceiling", t.name, _why(e),
                            goal=E2E_RATIO_GOAL)]
        ceiling = next((f for f in earlier if f.key == "ceiling_writes_per_s"), None)
        r = ratio(run.events_per_s, ceiling.value if ceiling else None)
        why = ("needs section 1's ceiling in the same run (--only 1,2)" if ceiling is None else
               "the write ceiling could not be measured" if ceiling.value is None else "no end-to-end rate")
        return [Figure(2, "e2e_events_per_s", label, t.name, run.events_per_s, "events/s",
                       detail=f"{run.accepted} writes accepted, {run.end_to_end_s}s from Locust's first call to the "
                              f"end of the final drain; machine CPU busy {_pct(run.cpu_busy)}"),
                Figure(2, "e2e_exact", "live oracles all passed", t.name, run.passed, goal=Goal("==", True),
                       detail="failed: " + ", ".join(run.failed_checks) if run.failed_checks else ""),
                Figure(2, "e2e_ratio_to_ceiling", "end to end / write ceiling", t.name, r, goal=E2E_RATIO_GOAL,
                       error="" if r is not None else why)]

    def latency(self, t: Target, _: list[Figure]) -> list[Figure]:
        w = self.s.workers
        keys = (("p50", None), ("p95", None), ("p99", P99_GOAL_MS))
        try:
            run = self.load(t, w)
        except Exception as e:  # noqa: BLE001
            return [missing(3, f"latency_{p}_ms", f"write -> handler {p}, window 0", t.name, _why(e), "ms", g)
                    for p, g in keys]
        return [Figure(3, f"latency_{p}_ms", f"write -> handler {p}, window 0", t.name, run.latency_ms.get(p), "ms", g,
                       error="" if run.latency_ms.get(p) is not None else "no INSERT reached the handler")
                for p, g in keys]

    def scaling(self, t: Target, _: list[Figure]) -> list[Figure]:
        out, rates, cpu = [], {}, []
        for w in self.s.scaling:
            label = f"events/s with {w} Locust worker{'s' if w > 1 else ''}"
            try:
                run = self.load(t, w)
            except Exception as e:  # noqa: BLE001
                out.append(missing(5, f"scaling_w{w}_events_per_s", label, t.name, _why(e), "events/s"))
                continue
            rates[w] = run.events_per_s
            cpu.append(f"{w}: {_pct(run.cpu_busy)}")
            out.append(Figure(5, f"scaling_w{w}_events_per_s", label, t.name, run.events_per_s, "events/s",
                              detail=f"{'exact' if run.passed else 'NOT exact: ' + ', '.join(run.failed_checks)}; "
                                     f"machine CPU busy {_pct(run.cpu_busy)}"))
        at = saturation(rates)
        text = f"{at} worker{'s' if at != 1 else ''}" if at is not None else f"not within {min(self.s.scaling)}-{max(self.s.scaling)}"
        out.append(Figure(5, "scaling_saturates_at", "saturates at (next step gains < 10%)", t.name,
                          text if rates else None, error="" if rates else "no scaling run was measured",
                          detail=f"machine CPU busy per worker count: {', '.join(cpu)} of {os.cpu_count()} CPUs"))
        return out

    # -- 4 ------------------------------------------------------------------------------------------
    def cold_start(self, t: Target, _: list[Figure]) -> list[Figure]:
        s = self.s
        self.say(f"[{t.name}] 4. cold start: {s.startup_runs} fresh processes, each deploying a topology of "
                 "every service (table + stream + mapping, queue, topic, bus + rule)")
        label = "cold start to a deployed topology (median)"
        try:
            runs = measure_cold_start(s.startup_runs, env=dict(t.env or {}), backend=t.name)
        except Exception as e:  # noqa: BLE001
            return [missing(4, "cold_start_s", label, t.name, _why(e), "s", COLD_START_GOAL_S)]
        harness_s, process_s = round(runs.harness_start_s, 3), round(runs.cold_start_s, 3)
        detail = (f"Harness.start() in a fresh process, {s.startup_runs} runs: {_list(list(runs.harness_start_runs_s))}"
                  f" s; median backend {runs.backend_s or 0:.2f} s, deploy {runs.deploy_s or 0:.2f} s, "
                  f"imports {runs.import_s:.2f} s")
        server = ""
        if t.name != "embedded":
            if t.server_start_s is None:
                server = "; LocalStack was already running: its own start (~80 s) is not included"
            else:
                harness_s, process_s = round(harness_s + t.server_start_s, 3), round(process_s + t.server_start_s, 3)
                server = f"; plus LocalStack's start -> ready, {t.server_start_s:.1f} s, measured once"
        return [Figure(4, "cold_start_s", label, t.name, harness_s, "s", COLD_START_GOAL_S, detail=detail + server),
                Figure(4, "cold_start_process_s", "same, from spawning the process (interpreter, imports)", t.name,
                       process_s, "s", detail=f"runs: {_list(list(runs.cold_start_runs_s))} s{server}")]

    # -- 6 ------------------------------------------------------------------------------------------
    def sqs(self, t: Target, _: list[Figure]) -> list[Figure]:
        from harness import Harness

        s = self.s
        labels = (f"PutEvents accepted/s, no rule matching, {s.senders} sender process(es)",
                  f"PutEvents -> rule -> SQS target, {s.sqs_queued:,} already queued",
                  "SQS target / accepted")
        self.say(f"[{t.name}] 6. PutEvents: {s.sqs_entries:,} entries no rule matches, then {s.sqs_entries:,} to an "
                 f"SQS queue holding {s.sqs_queued:,} messages")
        try:
            with Harness(eventbridge.topology(), backend=t.backend) as h:
                backlog = eventbridge.fill(h, s.sqs_queued, lambda n: self.say(f"[{t.name}]    queued {n:,}"))
                self.say(f"[{t.name}]    {backlog:,} queued; sending the entries no rule matches")
                accepted = eventbridge.measure(h, False, s.sqs_entries, s.senders, backlog)
                self.say(f"[{t.name}]    {accepted.rate:,.0f} accepted/s; sending the entries the rule sends to the queue")
                delivered = eventbridge.measure(h, True, s.sqs_entries, s.senders, backlog)
        except Exception as e:  # noqa: BLE001
            return [missing(6, k, lab, t.name, _why(e), u, g) for k, lab, u, g in
                    (("putevents_accepted_per_s", labels[0], "entries/s", None),
                     ("sqs_target_entries_per_s", labels[1], "entries/s", None),
                     ("sqs_ratio", labels[2], "", SQS_RATIO_GOAL))]
        short = delivered.delivered < delivered.entries
        return [Figure(6, "putevents_accepted_per_s", labels[0], t.name, _round(accepted.rate), "entries/s",
                       detail=f"{accepted.entries:,} entries in {accepted.seconds:.2f}s"),
                Figure(6, "sqs_target_entries_per_s", labels[1], t.name, _round(delivered.rate), "entries/s",
                       detail=f"{delivered.delivered:,} of {delivered.entries:,} entries in the queue after "
                              f"{delivered.seconds:.2f}s (backlog {delivered.backlog:,})"
                              + ("; NOT all delivered before the timeout" if short else "")),
                Figure(6, "sqs_ratio", labels[2], t.name, ratio(delivered.rate, accepted.rate), goal=SQS_RATIO_GOAL)]

    def _topology(self) -> Any:
        import tempfile

        from harness.scenario import registry
        from harness.scenario.load import load_profile

        scenario = registry.get(self.s.scenario)
        config = load_profile(self.s.scenario).config(self.s.seed)
        return scenario.topology(config, scenario.generate(config), Path(tempfile.mkdtemp(dir=self.workdir)))


def _why(e: BaseException) -> str:
    return str(e) if isinstance(e, loads.MeasurementFailed) else f"{type(e).__name__}: {e}"


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _pct(x: float | None) -> str:
    return "unknown" if x is None else f"{x:.0%}"


def _list(xs: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in xs)


__all__ = ["Suite", "Target", "target"]
