"""``harness run SCENARIO``: one subcommand per scenario package."""
from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from harness.cli.report import render


def progress_bar(unit: str) -> Progress:
    """The transient bar a scenario shows on stderr while it writes."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
                    TimeRemainingColumn(), console=Console(stderr=True), transient=True)


def finish(report: dict[str, Any], json_path: str | None) -> None:
    """Print the report, write it as JSON if asked, and exit with its verdict."""
    render(report, Console())
    if json_path:
        with open(json_path, "w") as f:
            json.dump(report, f, indent=2, default=str)
    sys.exit(0 if report["passed"] else 1)


@click.group("run")
def run_group() -> None:
    """Run a scenario end to end and check it with its oracles (exit 1 if any check fails)."""


@run_group.command("ip-dedup")
@click.option("--packets", default=5000, show_default=True, type=click.IntRange(1), help="Packets in the flood.")
@click.option("--ips", default=400, show_default=True, type=click.IntRange(1), help="Distinct source IPs.")
@click.option("--slots", default=5, show_default=True, type=click.IntRange(1),
              help="Time slots; the pipeline is drained between slots.")
@click.option("--seed", default=7, show_default=True, type=int, help="Seed: the same seed gives the same flood.")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 10_000),
              help="BatchSize of the detector's event source mapping.")
@click.option("--window", default=0, show_default=True, type=click.IntRange(0, 300),
              help="MaximumBatchingWindowInSeconds of the mapping.")
@click.option("--dangerous-fraction", default=0.05, show_default=True, type=click.FloatRange(0, 1))
@click.option("--bursts", default=0, show_default=True, type=click.IntRange(0), help="Bursts of packets from one IP.")
@click.option("--burst-size", default=0, show_default=True, type=click.IntRange(0))
@click.option("--producers", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Writer threads (order within a slot does not change the result).")
@click.option("--variant", default="detector", show_default=True, type=click.Choice(["detector", "forgets-delete"]),
              help="'forgets-delete' is a buggy detector the oracles must catch.")
@click.option("--backend", default="embedded", show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False, writable=True),
              help="Write every trace event here as JSON lines.")
def ip_dedup(json_path: str | None, trace_path: str | None, **options: object) -> None:
    """Packet flood -> table keyed by ip -> stream (INSERT-only filter) -> detector.

    \b
    Checks: INSERT-only delivery, the exact dedup count (sum over slots of distinct IPs),
    INSERT (MODIFY*) REMOVE per IP, alerts for exactly the dangerous IPs, an empty table.
    """
    from streamharness.scenarios.ip_dedup.run import IpDedupConfig, make_flood, run

    try:
        cfg = IpDedupConfig(**options)  # type: ignore[arg-type]
        flood = make_flood(cfg)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    with progress_bar("packets") as bar:
        task = bar.add_task("starting backend", total=cfg.packets)
        report = run(cfg, flood=flood, progress=lambda n: bar.advance(task, n), trace_path=trace_path,
                     on_slot=lambda k, n: bar.update(task, description=f"slot {k + 1}/{n}"))
    finish(report, json_path)


@run_group.command("order-aggregator")
@click.option("--orders", default=200, show_default=True, type=click.IntRange(1), help="Orders in the plan.")
@click.option("--seed", default=7, show_default=True, type=int, help="Seed: the same seed gives the same plan.")
@click.option("--variant", default="fixed", show_default=True, type=click.Choice(["fixed", "as_published"]),
              help="'as_published' is the article's aggregator, bugs included; the oracles must catch them.")
@click.option("--batch-size", default=10, show_default=True, type=click.IntRange(2, 10_000),
              help="BatchSize of the aggregator's event source mapping (> 1, as in the article).")
@click.option("--window", default=1, show_default=True, type=click.IntRange(0, 300),
              help="MaximumBatchingWindowInSeconds of the mapping.")
@click.option("--backend", default="embedded", show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False, writable=True),
              help="Write every trace event here as JSON lines.")
def order_aggregator(json_path: str | None, trace_path: str | None, **options: object) -> None:
    """Two check sources -> Events table -> stream -> aggregator -> bus -> invoice rule -> invoice.

    \b
    Checks: one invoice per order whose two checks passed (none otherwise), aggregated details that
    match the orders' events, no invoice before both checks, every delivered record processed, a
    bound on items read per record (catches a Scan), rejections for failed checks (fixed variant).
    The report lists every AWS call the functions made.
    """
    from streamharness.scenarios.order_aggregator.run import OrderAggregatorConfig, make_plan, run

    try:
        cfg = OrderAggregatorConfig(**options)  # type: ignore[arg-type]
        plan = make_plan(cfg)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    with progress_bar("writes") as bar:
        task = bar.add_task("writing checks", total=len(plan.writes))
        report = run(cfg, plan=plan, progress=lambda n: bar.advance(task, n), trace_path=trace_path)
    finish(report, json_path)
