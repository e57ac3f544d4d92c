"""``harness bench``: the figures of issue 11's benchmark, one run, one machine; a table and bench.json."""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click
from rich.console import Console

from harness.cli.backend import backend_options, select_backend
from harness.cli.bench import figures as fig
from harness.cli.bench.machine import describe, load_average
from harness.cli.bench.settings import BenchSettings
from harness.cli.bench.suite import Suite, target
from harness.cli.exits import CHECK_FAILED, HARNESS_FAILED, check_output_path, fail

BENCH_BACKENDS = ("embedded", "localstack")


@click.command("bench")
@click.option("--quick", is_flag=True, help="Small sizes (a smoke test of the bench, not figures to quote).")
@click.option("--out", "out_path", default="bench.json", show_default=True, help="Where to write the JSON.")
@click.option("--only", metavar="1,3,6", help="Measure only these sections (default: all): " +
              "; ".join(f"{k} {v}" for k, v in fig.SECTIONS.items()) + ".")
@backend_options
@click.option("--compare", type=click.Choice(["localstack"]),
              help="Measure the same on LocalStack too, side by side (LocalStack takes ~80 s to start).")
@click.option("--scenario", default=BenchSettings.scenario, show_default=True,
              help="The scenario (with a load profile) whose pipeline and writes are measured.")
def bench_command(quick: bool, out_path: str, only: str | None, backend: str, endpoint: str | None,
                  compare: str | None, scenario: str) -> None:
    """Measure the backend's write ceiling, the pipeline end to end, latency, cold start, scaling, and
    PutEvents -> SQS, in one run on this machine; print a table with each goal's verdict and write JSON.

    \b
    Exit 0 when every figure was measured (whatever the goals' verdicts: they depend on the machine),
    1 when the end-to-end run's oracles failed, 2 for bad input, 3 when a figure could not be measured.
    Examples:
      harness bench                          # everything, embedded backend (minutes)
      harness bench --quick --only 4,6       # a smoke test
      harness bench --compare localstack     # LocalStack side by side (opt-in: slow to start)
    """
    try:
        sections = fig.parse_sections(only)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--only") from None
    if backend not in BENCH_BACKENDS:
        fail(f"--backend {backend}: harness bench measures {' or '.join(BENCH_BACKENDS)}")
    select_backend(backend, endpoint)
    check_output_path(out_path, "--out")
    settings = BenchSettings(scenario=scenario)
    settings = settings.quickly() if quick else settings
    backends = [backend] + ([compare] if compare and compare != backend else [])
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)

    def say(message: str) -> None:
        console.print(message, markup=False)

    machine = describe()
    console.print(f"[bold]harness bench[/] on {machine['cpus']} CPUs, load average {machine['load_average']}"
                  f"{' (quick sizes)' if quick else ''}; sections {', '.join(map(str, sections))}; "
                  f"backends {', '.join(backends)}")
    workdir = Path(tempfile.mkdtemp(prefix="harness-bench-"))
    t0 = time.perf_counter()
    results: list[fig.Figure] = []
    suite = Suite(settings, sections, workdir, say)
    for name in backends:
        try:
            with target(name, endpoint if name == backend else None, say) as t:
                results += suite.run(t)
        except Exception as e:  # noqa: BLE001 - the backend could not be had: every figure says so
            results += [fig.missing(0, "backend", "backend start", name, f"{type(e).__name__}: {e}")]
    machine["load_average_end"] = load_average()
    doc = fig.to_json(results, machine=machine, settings={**settings.to_dict(), "sections": sections,
                                                           "backends": backends}, duration_s=time.perf_counter() - t0)
    console.print(fig.table(results))
    for line in fig.notes(results):
        console.print(line, soft_wrap=True)
    Path(out_path).write_text(json.dumps(doc, indent=2))
    console.print(f"bench: {doc['goals']['passed']} goals met, {doc['goals']['failed']} missed, "
                  f"{doc['goals']['not_measured']} not measured; JSON in {out_path}")
    errors = [f for f in results if f.verdict == fig.ERROR]
    if errors:
        console.print(f"logs of the runs are kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if any(f.key == "e2e_exact" and f.value is False for f in results):
        raise SystemExit(CHECK_FAILED)
    if errors:
        raise SystemExit(HARNESS_FAILED)
