"""Locust runs of a scenario's load: through its whole pipeline (``harness load``, in its own process),
and against its tables alone (the raw write ceiling: the same locustfile, the same processes, no pipeline).

``harness load`` is run as a command and read back from its ``--json``: the bench measures whatever
that command does, so a change to the pipeline or to the load runner is measured without touching this.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.cli.bench.machine import cpu_busy

#: seconds a run may take beyond its Locust run time (harness up's start, the final drain, the judging)
SLACK_S = 600


class MeasurementFailed(RuntimeError):
    """A measurement could not be made (a command failed or timed out); the message says which and why."""


@dataclass
class LoadRun:
    """One ``harness load`` run, as the bench reads it."""

    workers: int
    backend: str
    events_per_s: float | None
    passed: bool
    latency_ms: Mapping[str, float] = field(default_factory=dict)
    accepted: int | None = None
    startup_s: float | None = None
    end_to_end_s: float | None = None
    cpu_busy: float | None = None
    failed_checks: list[str] = field(default_factory=list)


def tail(path: Path, lines: int = 12) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _run_logged(cmd: list[str], log: Path, env: Mapping[str, str], timeout: float) -> int:
    """Run ``cmd`` with its output in ``log``; its exit code (MeasurementFailed when it overruns)."""
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=dict(env))
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            raise MeasurementFailed(f"{' '.join(cmd[2:5])} did not finish within {timeout:.0f}s "
                                    f"(log {log}):\n{tail(log)}") from None


def harness_load(scenario: str, *, backend: str, workers: int, users: int, spawn_rate: float, run_time_s: int,
                 seed: int, workdir: Path, env: Mapping[str, str] | None = None) -> LoadRun:
    """``harness load SCENARIO`` with these settings; its events/s, verdict and write -> handler latency."""
    out = workdir / f"load-{backend}-w{workers}.json"
    log = workdir / f"load-{backend}-w{workers}.log"
    cmd = [sys.executable, "-m", "harness.cli", "load", scenario, "--users", str(users), "--spawn-rate",
           str(spawn_rate), "--run-time", f"{run_time_s}s", "--workers", str(workers), "--seed", str(seed),
           "--backend", backend, "--json", str(out)]
    with cpu_busy() as busy:
        code = _run_logged(cmd, log, env or os.environ, run_time_s + SLACK_S)
    if code not in (0, 1) or not out.exists():
        raise MeasurementFailed(f"harness load exited with {code} (log {log}):\n{tail(log)}")
    doc = json.loads(out.read_text())
    return read_load_json(doc, workers=workers, backend=backend, cpu=busy())


def read_load_json(doc: Mapping[str, Any], *, workers: int, backend: str, cpu: float | None = None) -> LoadRun:
    """The figures of ``harness load --json`` (MeasurementFailed naming a key the report lacks)."""
    timings = doc.get("timings")
    if not isinstance(timings, Mapping) or "events_per_s" not in timings:
        raise MeasurementFailed(f"harness load's JSON has no timings.events_per_s (keys: {', '.join(doc)})")
    failed = [c.get("name", "?") for c in doc.get("checks_detail", []) if isinstance(c, Mapping) and not c.get("passed")]
    load = doc.get("load") or {}
    return LoadRun(workers=workers, backend=backend, events_per_s=timings.get("events_per_s"),
                   passed=bool(doc.get("passed")), latency_ms=dict(timings.get("latency_ms") or {}),
                   accepted=load.get("succeeded"), startup_s=timings.get("startup_s"),
                   end_to_end_s=timings.get("end_to_end_s"), cpu_busy=cpu, failed_checks=failed)


@dataclass
class CeilingRun:
    """Locust's writes against the scenario's tables with nothing attached: accepted calls per second."""

    workers: int
    calls_per_s: float | None
    calls: int
    failures: int
    cpu_busy: float | None = None


def locust_ceiling(harness: Any, scenario: str, *, workers: int, users: int, spawn_rate: float, run_time_s: int,
                   seed: int, workdir: Path) -> CeilingRun:
    """The scenario's locustfile, ``workers`` Locust worker processes, against ``harness`` (tables, no pipeline)."""
    from harness.cli.load import locust_commands, run_locust
    from harness.scenario.load import load_profile, read_stats_json, with_tallies

    profile = load_profile(scenario)
    config = profile.config(seed)
    dep = harness.deployment
    resources = {"environment": harness.environment(), "tables": {n: t.name for n, t in dep.tables.items()},
                 "queues": {n: q.url for n, q in dep.queues.items()}}
    run_dir = Path(tempfile.mkdtemp(prefix=f"ceiling-w{workers}-", dir=workdir))
    tally = run_dir / "tally"
    tally.mkdir()
    env = {**os.environ, **resources["environment"], **profile.environment(config, resources),
           "LOAD_TALLY_DIR": str(tally)}
    prefix = str(run_dir / "locust")
    commands = locust_commands(profile.locustfile_path(), users, spawn_rate, f"{run_time_s}s", workers, prefix)
    log = run_dir / "locust.log"
    with cpu_busy() as busy:
        code = run_locust(commands, env, run_time_s + SLACK_S, output=log)
    if code not in (0, 1):
        raise MeasurementFailed(f"Locust exited with {code} (log {log}):\n{tail(log)}")
    raw = read_stats_json(f"{prefix}.json")
    if not raw.requests:
        raise MeasurementFailed(f"Locust made no call in its {run_time_s}s (its processes may have been too slow to "
                                f"start on a loaded machine: a longer run time helps; log {log}):\n{tail(log)}")
    span = raw.requests / raw.rps if raw.rps else None  # Locust's first request to its last
    stats = with_tallies(raw, tally)
    return CeilingRun(workers=workers, calls_per_s=None if not span else stats.succeeded / span,
                      calls=stats.succeeded, failures=stats.failures, cpu_busy=busy())


def _batch_writer(env: Mapping[str, str], table: str, key: str, threads: int, ready: Any, start: Any,
                  seconds: float, results: Any) -> None:
    """A writer process: ``threads`` threads of BatchWriteItem (25 PutItem each) for ``seconds`` after ``start``."""
    import threading

    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "dynamodb", endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"], region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 1}, max_pool_connections=max(10, threads)))
    client.describe_table(TableName=table)  # connected before the clock starts
    ready.release()
    counts = [0] * threads

    def write(slot: int) -> None:
        n = 0
        start.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            now = repr(time.time())
            items = [{"PutRequest": {"Item": {key: {"S": f"b-{os.getpid()}-{slot}-{n + i}"}, "packets": {"N": "1"},
                                              "protocol": {"S": "tcp"}, "last_seen": {"N": now},
                                              "written_at": {"N": now}}}} for i in range(25)]
            left = client.batch_write_item(RequestItems={table: items}).get("UnprocessedItems", {})
            n += 25 - len(left.get(table, []))
        counts[slot] = n

    pool = [threading.Thread(target=write, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results.put(sum(counts))


def wait_ready(ready: Any, procs: list[Any], what: str, timeout: float = SLACK_S) -> None:
    """Until each process has released ``ready`` once; MeasurementFailed as soon as one exits before it did."""
    deadline, count = time.monotonic() + timeout, 0
    while count < len(procs):
        if ready.acquire(timeout=1):
            count += 1
            continue
        dead = [p.exitcode for p in procs if p.exitcode is not None]
        if dead:
            raise MeasurementFailed(f"a {what} process exited with {dead[0]} before it was ready (its error is above)")
        if time.monotonic() > deadline:
            raise MeasurementFailed(f"a {what} process was not ready after {timeout:.0f}s")


def batch_ceiling(harness: Any, table: str, *, workers: int, threads: int, seconds: float) -> float:
    """Items/s written with BatchWriteItem (25 items a call) from ``workers`` processes, ``threads`` each."""
    import multiprocessing as mp

    key = next(t for t in harness.topology.tables if t.name == table).hash_key.name
    ctx = mp.get_context("spawn")
    ready, start, results = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_batch_writer, args=(harness.environment(), harness.table_name(table), key, threads,
                                                     ready, start, seconds, results)) for _ in range(workers)]
    for p in procs:
        p.start()
    wait_ready(ready, procs, "BatchWriteItem writer")
    t0 = time.perf_counter()
    start.set()
    total = sum(results.get(timeout=seconds + SLACK_S) for _ in procs)
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join(30)
    return total / elapsed


__all__ = ["CeilingRun", "LoadRun", "MeasurementFailed", "batch_ceiling", "harness_load", "locust_ceiling",
           "read_load_json", "wait_ready"]
