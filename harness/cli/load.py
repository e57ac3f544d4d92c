"""``harness load NAME``: Locust load on a scenario's pipeline, then its live-mode oracles and thresholds.

Three kinds of process, so that Locust (gevent, monkey-patched) never shares an interpreter with the
harness (real threads): ``harness up`` runs the backend and the pipeline and serves its loopback
control endpoint (``harness.cli.control``); Locust runs headless in one process, or as its own master
and W worker processes; this process starts both, asks the control endpoint for the resources, waits
for Locust, drains the pipeline through the endpoint, reads what is left in the backend, stops
``harness up`` (which writes its trace file) and judges the run from that trace.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from harness.cli.backend import backend_options, select_backend
from harness.cli.control import request
from harness.cli.exits import CHECK_FAILED, HARNESS_FAILED, INTERRUPTED, PASSED, check_output_path, fail
from harness.oracles.checks import Check, check_equal
from harness.scenario import Report, ScenarioLoadError, UnknownScenario, registry
from harness.scenario.load import (LoadProfile, LoadStats, latency_summary, load_profile, per_second,
                                   read_stats_json, thresholds, with_tallies)
from harness.topology import Topology, ValidationException
from harness.topology.loader import load_file
from harness.trace import Trace

READY_TIMEOUT_S = 180.0
_RUN_TIME = re.compile(r"^(\d+h)?(\d+m)?(\d+s)?$|^\d+$")


class HarnessFailed(RuntimeError):
    """The harness, a backend or Locust failed: exit 3, not a verdict on the pipeline."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Pipeline:
    """The ``harness up`` process and its control endpoint."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    trace_path: Path

    def call(self, path: str, method: str = "GET", timeout: float = 30.0) -> Any:
        return request(self.url + path, method, timeout)

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM: ``harness up`` stops like Ctrl-C and closes its trace file."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def pipeline(topology_file: Path, backend: str, endpoint: str | None, workdir: Path) -> Iterator[Pipeline]:
    """``harness up`` in its own process, until its control endpoint answers; stopped on the way out."""
    log, trace_path = workdir / "up.log", workdir / "trace.jsonl"
    cmd = [sys.executable, "-m", "harness.cli", "up", "--topology", str(topology_file), "--backend", backend,
           "--quiet", "--trace", str(trace_path), "--control-port", "0"] + (["--endpoint", endpoint] if endpoint else [])
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    p = Pipeline(proc, "", log, trace_path)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not p.url:
            if proc.poll() is not None:
                raise HarnessFailed(f"harness up exited with {proc.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise HarnessFailed(f"harness up was not ready after {READY_TIMEOUT_S:.0f}s:\n{_tail(log)}")
            found = re.search(r"^control (http://127\.0\.0\.1:\d+)$", log.read_text(errors="replace"), re.M)
            if found and "running; Ctrl-C to stop" in log.read_text(errors="replace"):
                p.url = found.group(1)
            else:
                time.sleep(0.1)
        yield p
    finally:
        p.stop()


def locust_commands(locustfile: str, users: int, spawn_rate: float, run_time: str, workers: int,
                    json_prefix: str, csv_prefix: str | None = None) -> list[list[str]]:
    """The Locust processes: one headless runner, or a master and ``workers`` workers on loopback.
    Locust writes its final statistics to ``json_prefix``.json (and its CSV files when asked)."""
    base = [sys.executable, "-m", "locust", "-f", locustfile]
    run = ["--headless", "-u", str(users), "-r", str(spawn_rate), "-t", run_time, "--json-file", json_prefix,
           "--stop-timeout", "5"] + (["--csv", csv_prefix, "--csv-full-history"] if csv_prefix else [])
    if workers == 0:
        return [base + run]
    port = _free_port()
    master = base + run + ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                           "--expect-workers", str(workers)]
    worker = base + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    return [master] + [worker] * workers


def run_locust(commands: list[list[str]], env: Mapping[str, str], timeout: float, output: Path | None = None) -> int:
    """Run Locust's processes to the end (Locust's own output goes to this terminal, or to the file ``output``);
    its exit code."""
    with output.open("ab") if output else contextlib.nullcontext() as out:
        procs = [subprocess.Popen(c, env=dict(env), stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT if out else None) for c in commands]
    try:
        code = procs[0].wait(timeout)
        for p in procs[1:]:
            p.wait(30)
        return code
    except subprocess.TimeoutExpired:
        raise HarnessFailed(f"Locust did not finish within {timeout:.0f}s") from None
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def _seconds(run_time: str) -> int:
    if run_time.isdigit():
        return int(run_time)
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([hms])", run_time))


def _boto3_clients(environment: Mapping[str, str]) -> Any:
    import boto3

    from harness.backends.base import endpoint_env_name

    session = boto3.session.Session(aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
                                    aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
                                    region_name=environment["AWS_DEFAULT_REGION"])

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=environment[endpoint_env_name(service)])

    return client


def pipeline_checks(drained: Mapping[str, Any], stats: Mapping[str, Any]) -> list[Check]:
    """Checks every load run makes: the final drain came back quiet and balanced, nothing was given up."""
    lost = {name: {k: s.get(k, 0) for k in ("given_up", "dropped")} for name, s in stats["mappings"].items()}
    dead = stats.get("deliveries", {}).get("dead_lettered", 0)
    return [
        Check(name="final_drain", passed=bool(drained.get("drained")), expected="quiet and balanced",
              actual="quiet and balanced" if drained.get("drained") else "not", detail=drained.get("error", "")),
        check_equal("nothing_given_up", {"given_up": 0, "dropped": 0, "dead_lettered": 0},
                    {"given_up": sum(v["given_up"] for v in lost.values()),
                     "dropped": sum(v["dropped"] for v in lost.values()), "dead_lettered": dead},
                    detail="records given up or dropped by the mappings, bus events dead-lettered"),
    ]


def series(trace: Trace, function: str, start: float, end: float, calls: Mapping[int, int]) -> dict[str, Any]:
    """Per-second time series of the run for the report's plots (seconds since the load started)."""
    invokes = trace.of("invoke", function=function)
    out: dict[str, Any] = {
        "t0": start,
        "writes_accepted": per_second(list(calls), start, end, list(calls.values())),
        "stream_records_read": per_second([e["t"] for e in trace.of("record")], start, end),
        "invocations": per_second([e["t"] for e in invokes], start, end),
        "bus_events": per_second([e["t"] for e in trace.of("bus_event")], start, end),
        "retries": per_second([e["t"] for e in trace.of("retry")], start, end),
        "dead_letters": per_second([e["t"] for e in trace.of("give_up", "dead_letter")], start, end),
        "batch_sizes": [e["size"] for e in invokes if e.get("size") is not None],
    }
    return out


def _check_inputs(name: str, run_time: str) -> tuple[LoadProfile, Any]:
    if not _RUN_TIME.match(run_time) or _seconds(run_time) <= 0:
        raise click.BadParameter(f"{run_time!r}: a duration such as 30s, 2m, 1h30m", param_hint="--run-time")
    try:
        profile = load_profile(name)
        scenario = registry.get(profile.scenario)
    except (UnknownScenario, ScenarioLoadError) as e:
        raise click.UsageError(str(e)) from None
    return profile, scenario


def _topology_file(path: str, scenario_topology: Topology) -> Topology:
    """A topology file to run instead of the scenario's: it must have the scenario's resources (the
    locustfile and the oracles find them by their logical names)."""
    try:
        topology = load_file(path)
    except ValidationException as e:
        raise click.BadParameter(str(e), param_hint="--topology") from None
    missing = [f"{kind} {n}" for kind, attr in _RESOURCES for n in _names(scenario_topology, attr)
               if n not in _names(topology, attr)]
    if missing:
        raise click.BadParameter(f"{path}: the scenario's pipeline needs {', '.join(missing)}", param_hint="--topology")
    return topology


_RESOURCES = (("table", "tables"), ("queue", "queues"), ("function", "functions"), ("bus", "event_buses"),
              ("event source mapping", "event_source_mappings"))


def _names(topology: Topology, attr: str) -> set[str]:
    return {x.name for x in getattr(topology, attr)}


@click.command("load")
@click.argument("name", metavar="SCENARIO")
@click.option("--users", "-u", default=10, show_default=True, type=click.IntRange(1), help="Locust users.")
@click.option("--spawn-rate", "-r", default=10.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="Users started per second.")
@click.option("--run-time", "-t", default="30s", show_default=True, help="How long Locust writes (30s, 2m, ...).")
@click.option("--workers", "-w", default=0, show_default=True, type=click.IntRange(0, 64),
              help="Locust worker processes under a Locust master (0: one headless Locust process).")
@click.option("--seed", default=7, show_default=True, type=int, help="Seed of the scenario's data (IP population, ...).")
@backend_options
@click.option("--topology", "topology_path", type=click.Path(exists=True, dir_okay=False),
              help="Run this topology file (YAML or JSON) instead of the scenario's own: same logical resource "
                   "names, other settings; its 'thresholds:' block sets the thresholds.")
@click.option("--csv", "csv_prefix", help="Keep Locust's CSV files under this prefix (PREFIX_stats.csv, ...).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, writable=True),
              help="Write the report as one self-contained HTML page with plots.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True), help="Write the report as JSON.")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False, writable=True),
              help="Keep the pipeline's trace file (JSON lines) here.")
@click.option("--min-events-per-s", type=click.FloatRange(0),
              help="Threshold: end-to-end events/s at least this (overrides the topology's).")
@click.option("--max-p99-ms", type=click.FloatRange(0),
              help="Threshold: write -> handler p99 at most this, ms (overrides the topology's).")
@click.option("--max-error-ratio", type=click.FloatRange(0, 1),
              help="Threshold: failed calls / calls at most this (overrides the topology's).")
@click.option("--drain-timeout", default=300.0, show_default=True, type=click.FloatRange(1),
              help="Seconds the final drain may take.")
def load(name: str, users: int, spawn_rate: float, run_time: str, workers: int, seed: int, backend: str,
         endpoint: str | None, topology_path: str | None, csv_prefix: str | None, html_path: str | None,
         json_path: str | None, trace_path: str | None, min_events_per_s: float | None, max_p99_ms: float | None,
         max_error_ratio: float | None, drain_timeout: float) -> None:
    """Put Locust load on SCENARIO's pipeline, then judge everything the load wrote (live mode).

    \b
    Starts `harness up` with the scenario's topology in its own process, runs Locust headless
    (--workers W: Locust's master and W worker processes), drains the pipeline through the loopback
    control endpoint, and runs the scenario's live-mode oracles and the thresholds on the trace.
    Thresholds come from the topology's 'thresholds:' block (else the scenario's defaults), each
    option overriding its own.
    Exit 0 when every check and threshold passes, 1 when one fails, 2 for bad input, 3 when the
    harness, a backend or Locust failed, 130 when interrupted.
    Example:
      harness load ip-dedup --users 20 --spawn-rate 20 --run-time 30s --workers 2 --html r.html
    """
    profile, scenario = _check_inputs(name, run_time)
    select_backend(backend, endpoint)
    for path, flag in ((html_path, "--html"), (json_path, "--json"), (trace_path, "--trace")):
        check_output_path(path, flag)
    overrides = {"min_events_per_s": min_events_per_s, "max_p99_ms": max_p99_ms, "max_error_ratio": max_error_ratio}
    console = Console(highlight=False)
    try:
        report, extra = run_load(profile, users=users, spawn_rate=spawn_rate, run_time=run_time, workers=workers,
                                 seed=seed, backend=backend, endpoint=endpoint, topology_path=topology_path,
                                 overrides=overrides, csv_prefix=csv_prefix, trace_path=trace_path,
                                 drain_timeout=drain_timeout, console=console)
    except HarnessFailed as e:
        fail(str(e), HARNESS_FAILED)
    except KeyboardInterrupt:
        fail("interrupted: Locust and the pipeline were stopped; no checks were judged", INTERRUPTED)
    from harness.cli.load_report import render_terminal, write_html

    render_terminal(report, extra, console)
    if json_path:
        Path(json_path).write_text(json.dumps({**report.to_dict(), **extra}, indent=2, default=str))
    if html_path:
        write_html(report, extra, html_path)
        console.print(f"html report: {html_path}")
    sys.exit(PASSED if report.passed else CHECK_FAILED)


def run_load(profile: LoadProfile | str, *, users: int, spawn_rate: float, run_time: str, workers: int = 0,
             seed: int = 7, backend: str = "embedded", endpoint: str | None = None, topology_path: str | None = None,
             overrides: Mapping[str, float | None] | None = None, csv_prefix: str | None = None,
             trace_path: str | None = None, drain_timeout: float = 300.0,
             console: Console | None = None) -> tuple[Report, dict[str, Any]]:
    """One load run, judged: the report (checks, thresholds included) and the extra keys of its JSON form
    (load stats, thresholds, series). Raises HarnessFailed when the harness, a backend or Locust failed;
    click.UsageError / BadParameter for bad input."""
    if isinstance(profile, str):
        profile, scenario = _check_inputs(profile, run_time)
    else:
        scenario = registry.get(profile.scenario)
    console = console or Console(highlight=False, quiet=True)
    with tempfile.TemporaryDirectory(prefix=f"load-{profile.scenario}-") as tmp:
        result = _run(profile, scenario, Path(tmp), users=users, spawn_rate=spawn_rate, run_time=run_time,
                      workers=workers, seed=seed, backend=backend, endpoint=endpoint, topology_path=topology_path,
                      csv_prefix=csv_prefix, console=console, drain_timeout=drain_timeout, keep_trace=trace_path)
    limits = (result.topology.thresholds or profile.thresholds).override(**(overrides or {}))
    return _judge(result, thresholds(limits))


@dataclass
class LoadResult:
    profile: LoadProfile
    config: Any
    plan: Any
    topology: Topology
    trace: Trace
    load: LoadStats
    observations: dict[str, Any]
    drained: dict[str, Any]
    stats: dict[str, Any]
    times: dict[str, float]
    settings: dict[str, Any]


def _run(profile: LoadProfile, scenario: Any, workdir: Path, *, users: int, spawn_rate: float, run_time: str,
         workers: int, seed: int, backend: str, endpoint: str | None, topology_path: str | None,
         csv_prefix: str | None, console: Console, drain_timeout: float, keep_trace: str | None) -> LoadResult:
    from harness.cli.topology_file import write_topology

    config = profile.config(seed)
    plan = scenario.generate(config)
    topology = scenario.topology(config, plan, workdir)
    if topology_path is not None:
        topology = _topology_file(topology_path, topology)
    topology_file = write_topology(topology, workdir / "topology.json")
    stats_prefix = str(workdir / "locust")
    t_start = time.time()
    with pipeline(topology_file, backend, endpoint, workdir) as p:
        t_ready = time.time()
        resources = p.call("/resources")
        tally = workdir / "tally"
        tally.mkdir()
        env = {**os.environ, **resources["environment"], **profile.environment(config, resources),
               "LOAD_TALLY_DIR": str(tally)}
        console.print(f"[bold]pipeline ready[/] in {t_ready - t_start:.1f}s ({p.url}); Locust: {users} users, "
                      f"{workers or 'no'} workers, {run_time}")
        commands = locust_commands(profile.locustfile_path(), users, spawn_rate, run_time, workers, stats_prefix, csv_prefix)
        load_start = time.time()
        code = run_locust(commands, env, timeout=_seconds(run_time) + 120)
        load_end = time.time()
        if code not in (0, 1):  # 1: some requests failed, judged by --max-error-ratio; else Locust itself failed
            raise HarnessFailed(f"Locust exited with {code}")
        console.print("[bold]draining[/] the pipeline")
        try:
            drained = p.call(f"/drain?timeout={drain_timeout}", "POST", timeout=drain_timeout + 30)
        except RuntimeError as e:
            drained = {"drained": False, "error": str(e)}
        drained_at = time.time()
        stats = p.call("/stats")
        observations = profile.observe(_boto3_clients(resources["environment"]), config, resources)
        p.stop()
        if p.process.returncode not in (0, None):
            raise HarnessFailed(f"harness up exited with {p.process.returncode}:\n{_tail(p.log)}")
        if keep_trace:
            shutil.copyfile(p.trace_path, keep_trace)
        trace = Trace.read_jsonl(p.trace_path)
    try:
        load_stats = with_tallies(read_stats_json(f"{stats_prefix}.json"), workdir / "tally")
    except (OSError, ValueError, KeyError) as e:
        raise HarnessFailed(f"Locust's statistics could not be read: {e}") from None
    return LoadResult(profile=profile, config=config, plan=plan, topology=topology, trace=trace, load=load_stats,
                      observations=observations, drained=drained, stats=stats,
                      times={"startup_s": t_ready - t_start, "load_start": load_start, "load_end": load_end,
                             "drained_at": drained_at},
                      settings={"users": users, "spawn_rate": spawn_rate, "run_time": run_time, "workers": workers,
                                "backend": backend})


def _judge(r: LoadResult, limits: list[Any]) -> tuple[Report, dict[str, Any]]:
    t = dict(r.times)
    if r.load.started is not None:  # Locust's processes take seconds to start: the load starts with its test
        t["load_start"] = max(t["load_start"], r.load.started)
    r.load = replace(r.load, rps=r.load.requests / (t["load_end"] - t["load_start"]))
    checks, summary, latencies = r.profile.evaluate(r.trace, r.config, r.plan, r.observations, r.load)
    checks = pipeline_checks(r.drained, r.stats) + checks
    handled = sum(1 for _ in r.trace.select("invoke", function=r.profile.function))
    records = sum(s.get("seen", 0) for s in r.stats["mappings"].values())
    events = r.load.succeeded  # every accepted write, through the whole pipeline (the oracles say none was lost)
    e2e_s = t["drained_at"] - t["load_start"]
    lat = latency_summary(latencies)
    values = {"events_per_s": events / e2e_s if e2e_s > 0 else None, "write_to_handler_p99_ms": lat.get("p99"),
              "error_ratio": r.load.error_ratio}
    threshold_checks = [limit.check(values[limit.name]) for limit in limits]
    timings = {"startup_s": round(t["startup_s"], 3), "load_s": round(t["load_end"] - t["load_start"], 3),
               "drain_s": round(t["drained_at"] - t["load_end"], 3), "end_to_end_s": round(e2e_s, 3),
               "events_per_s": None if values["events_per_s"] is None else round(values["events_per_s"], 1),
               "latency_ms": {k: v for k, v in lat.items() if k != "count"} or None,
               "latency_basis": r.profile.latency_basis}
    mapping_stats = next(iter(r.stats["mappings"].values()), None) if len(r.stats["mappings"]) == 1 else None
    report = Report(scenario=r.profile.scenario, variant=r.config.variant, backend=r.settings["backend"],
                    seed=r.config.seed, checks=tuple(checks + threshold_checks),
                    summary={**summary, "invocations": handled}, timings=timings, mapping_stats=mapping_stats,
                    deliveries=r.stats.get("deliveries") or None)
    extra = {
        "load": {**r.load.to_dict(), **r.settings},
        "thresholds": [{"name": lim.name, "bound": lim.bound, "floor": lim.floor, "value": values[lim.name],
                        "passed": c.passed} for lim, c in zip(limits, threshold_checks)],
        "pipeline": {"mappings": r.stats["mappings"], "latency_ms": lat, "records_seen": records},
        "series": series(r.trace, r.profile.function, t["load_start"], t["drained_at"], r.load.per_second),
        "latencies_ms": sorted(round(x, 3) for x in latencies),
    }
    return report, extra
