"""Terminal rendering of a scenario report (its JSON form, laid out for a terminal)."""
from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.scenario import Report


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def render(result: Report, console: Console) -> None:
    report = result.to_dict()
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    skip = {"checks_detail", "timings", "passed", "warnings", "mapping_stats", "api_calls", "deliveries"}
    for key, value in report.items():
        if key not in skip:
            head.add_row(key, _short(value, 90))
    console.print(head)
    t = report.get("timings", {})
    if t:
        console.print("[bold]timings[/] " + "  ".join(f"{k}={_short(v, 70)}" for k, v in t.items()
                                                       if k != "latency_basis"))
        if t.get("latency_basis"):
            console.print(f"  [dim]latency: {t['latency_basis']}[/]")
    calls = report.get("api_calls")
    if calls:
        table = Table(title="AWS calls made by the functions", title_justify="left")
        for col in ("function: operation", "calls", "items read", "items scanned", "items written"):
            table.add_column(col, justify="left" if col.startswith("function") else "right")
        for op, row in sorted(calls.items()):
            table.add_row(op, str(row["calls"]), str(row["items_read"]), str(row["items_scanned"]),
                          str(row["items_written"]))
        console.print(table)
    checks = Table(title="checks", title_justify="left")
    for col in ("", "check", "expected", "actual", "detail"):
        checks.add_column(col)
    for c in report.get("checks_detail", []):
        mark = "[green]PASS[/]" if c["passed"] else "[red]FAIL[/]"
        detail = c.get("detail", "")
        if not c["passed"] and c.get("examples"):
            detail = f"{detail} e.g. {_short(c['examples'][:3], 60)}".strip()
        checks.add_row(mark, c["name"], _short(c["expected"], 30), _short(c["actual"], 30), detail)
    console.print(checks)
    for w in report.get("warnings", []):
        console.print(f"[yellow]warning:[/] {w}")
    verdict = "[bold green]PASSED[/]" if report.get("passed") else "[bold red]FAILED[/]"
    console.print(f"{report.get('scenario', 'scenario')}: {verdict}")
