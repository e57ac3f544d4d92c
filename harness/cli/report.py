"""Terminal rendering of a scenario report (its JSON form, laid out for a terminal)."""
from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.scenario import Report


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _short(value: Any, width: int = 60) -> str:
    text = _text(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def render(result: Report, console: Console) -> None:
    """The report for a reader: in the table, values too long for a column are cut, and every value cut
    is printed in full below it, with each failed check's likely causes; nothing is ever lost to "…"."""
    report = result.to_dict()
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column(overflow="fold")
    skip = {"checks_detail", "timings", "passed", "warnings", "mapping_stats", "api_calls", "deliveries"}
    for key, value in report.items():
        if key not in skip:
            head.add_row(key, Text(_text(value)))
    console.print(head)
    t = report.get("timings", {})
    if t:
        console.print("[bold]timings[/] " + "  ".join(f"{k}={_text(v)}" for k, v in t.items()
                                                       if k != "latency_basis"))
        if t.get("latency_basis"):
            console.print(f"  [dim]latency: {t['latency_basis']}[/]")
    calls = report.get("api_calls")
    if calls:
        table = Table(title="AWS calls made by the functions", title_justify="left")
        for col in ("function: operation", "calls", "items read", "items scanned", "items written"):
            table.add_column(col, justify="left" if col.startswith("function") else "right", overflow="fold")
        for op, row in sorted(calls.items()):
            table.add_row(op, str(row["calls"]), str(row["items_read"]), str(row["items_scanned"]),
                          str(row["items_written"]))
        console.print(table)
    checks = Table(title="checks", title_justify="left")
    for col in ("", "check", "expected", "actual", "detail"):
        checks.add_column(col, overflow="fold")
    notes: list[tuple[dict[str, Any], list[tuple[str, str]]]] = []
    for c in report.get("checks_detail", []):
        mark = "[green]PASS[/]" if c["passed"] else "[red]FAIL[/]"
        detail = c.get("detail", "")
        full = [(key, _text(c[key])) for key in ("expected", "actual") if len(_text(c[key])) > 30]
        if not c["passed"] and c.get("examples"):
            detail = f"{detail} e.g. {_short(c['examples'][:3], 60)}".strip()
            if len(_text(c["examples"][:3])) > 60:
                full.append(("examples", _text(c["examples"])))
        checks.add_row(mark, Text(c["name"]), Text(_short(c["expected"], 30)), Text(_short(c["actual"], 30)),
                       Text(detail))
        if full or (not c["passed"] and c.get("causes")):
            notes.append((c, full))
    console.print(checks)
    for c, full in notes:
        console.print(f"{'PASS' if c['passed'] else 'FAIL'} {c['name']}", style="bold" if c["passed"] else "bold red")
        for key, text in full:
            console.print(f"  {key}: {text}", markup=False, highlight=False, soft_wrap=True)
        if not c["passed"]:
            for cause in c.get("causes") or ():
                console.print(f"  likely cause: {cause}", markup=False, highlight=False, soft_wrap=True)
    for w in report.get("warnings", []):
        console.print(f"[yellow]warning:[/] {w}")
    verdict = "[bold green]PASSED[/]" if report.get("passed") else "[bold red]FAILED[/]"
    console.print(f"{report.get('scenario', 'scenario')}: {verdict}")
