"""``harness trace FILE``: a trace file as a readable timeline, or as per-function and per-mapping tables."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.trace.timeline import function_summary, mapping_summary, record_paths, select


def _read(path: str) -> list[dict[str, Any]]:
    events = []
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except (ValueError, RecursionError) as e:
                    raise click.BadParameter(f"line {number} is not JSON: {e}", param_hint="FILE") from None
                if not isinstance(event, dict) or "kind" not in event:
                    raise click.BadParameter(f"line {number} is not a trace event", param_hint="FILE")
                events.append(event)
    except UnicodeDecodeError:
        raise click.BadParameter("not a UTF-8 JSON-lines trace", param_hint="FILE") from None
    return events


def _when(value: str | None, start: float) -> float | None:
    """Seconds from the trace's start: ``2.5`` or an ISO time (``2026-11-30T18:32:04``)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).timestamp() - start
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither seconds from the start nor an ISO time") from None


@click.command("trace")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--correlation-id", help="Only records whose images mention this value, and the bus events it names.")
@click.option("--function", help="Only records a function was invoked with.")
@click.option("--key", help="Only records with this key value (VALUE or NAME=VALUE).")
@click.option("--failed", is_flag=True, help="Only records whose path has an error, a give-up or a dead letter.")
@click.option("--since", help="Only records read at or after this time (seconds from the trace's start, or ISO).")
@click.option("--until", help="Only records read at or before this time.")
@click.option("--summary", is_flag=True, help="Per-function and per-mapping tables instead of the timeline.")
def trace_command(file: str, correlation_id: str | None, function: str | None, key: str | None, failed: bool,
                  since: str | None, until: str | None, summary: bool) -> None:
    """Print FILE (a trace from `harness run --trace`, `harness up --trace`, the pytest plugin's trace dir or a
    load run) as each stream record's path through the pipeline: read, filtered or invoked, the result, retries,
    splits, give-up and destination, the bus events its invocations put, their deliveries and what those did.

    \b
    Examples:
      harness trace t.jsonl --failed
      harness trace t.jsonl --key ORD-42
      harness trace t.jsonl --summary
    """
    events = _read(file)
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=True, width=160)
    if summary:
        _print_summary(console, events)
        return
    start = min((float(e["t"]) for e in events if "t" in e), default=0.0)
    wanted = correlation_id or (key.partition("=")[2] or key if key else None)
    paths = select(record_paths(events, wanted=wanted), events, key=key, correlation_id=correlation_id,
                   function=function, failed=failed, since=_when(since, start), until=_when(until, start))
    for p in paths:
        head = Text(f"{p.mapping}  shard …{p.shard[-8:]}  #{p.sequence_number}  {p.event_name}  {p.key_text}",
                    style="bold red" if p.failed else "bold")
        console.print(head)
        for step in p.steps:
            console.print(Text(f"  {step.t:+9.3f}s  {'  ' * step.depth}{step.text}",
                               style="red" if step.failed else ""))
    console.print(f"{len(paths)} of {sum(1 for e in events if e.get('kind') == 'record')} records", style="dim")


def _print_summary(console: Console, events: list[dict[str, Any]]) -> None:
    functions = Table(title="functions", title_justify="left")
    for c in ("function", "invocations", "errors", "p50 ms", "p95 ms", "p99 ms", "batch min/mean/max"):
        functions.add_column(c, justify="left" if c == "function" else "right")
    for r in function_summary(events):
        functions.add_row(r["function"], str(r["invocations"]), str(r["errors"]), f"{r['p50_ms']:.1f}",
                          f"{r['p95_ms']:.1f}", f"{r['p99_ms']:.1f}",
                          f"{r['batch_min']}/{r['batch_mean']:.1f}/{r['batch_max']}" if r["batch_max"] else "-")
    console.print(functions)
    mappings = Table(title="event source mappings", title_justify="left")
    rows = mapping_summary(events)
    columns = ("mapping", "records", "filtered", "batches", "invocations", "errors", "retries", "splits", "given_up")
    for c in columns:
        mappings.add_column(c, justify="left" if c == "mapping" else "right")
    for r in rows:
        mappings.add_row(*(str(r[c]) for c in columns))
    console.print(mappings)


__all__ = ["trace_command"]

