"""The few lines a failed test's report needs from a trace: what each mapping read and handled, the
event buses' traffic, and each distinct handler error with the handler's own traceback. Pure."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from harness.testing.records import Ledger, times
from harness.trace import TraceEvent

#: the harness's own frames are dropped from handler tracebacks: the user's code is what failed
HARNESS_DIR = str(Path(__file__).resolve().parents[1])
_FRAME = re.compile(r'^(?P<indent>\s*)File "(?P<path>[^"]+)", line \d+')


def handler_traceback(text: str, hide: str = HARNESS_DIR) -> str:
    """``text`` without the frames of files under ``hide`` (a frame is its ``File`` line and the
    more-indented source and caret lines below it)."""
    out: list[str] = []
    dropping_indent: int | None = None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if dropping_indent is not None and indent > dropping_indent and line.strip():
            continue
        dropping_indent = None
        frame = _FRAME.match(line)
        if frame and _under(frame["path"], hide):
            dropping_indent = len(frame["indent"])
            continue
        out.append(line)
    return "\n".join(out)


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/\\") + ("\\" if "\\" in directory else "/"))


def summarize(events: Iterable[TraceEvent], *, max_errors: int = 5, max_log_lines: int = 20) -> str:
    events = list(events)
    ledger = Ledger(events)
    lines = _mapping_lines(ledger) or ["no stream records were read"]
    kinds = Counter(e["kind"] for e in events)
    if kinds["bus_event"] or kinds["delivery"]:
        lines.append(f"event buses: {kinds['bus_event']} events, {kinds['delivery']} deliveries, "
                     f"{kinds['dead_letter']} dead-lettered")
    lines += _error_lines(events, max_errors, max_log_lines)
    return "\n".join(lines)


def _mapping_lines(ledger: Ledger) -> list[str]:
    per: dict[str, Counter[str]] = {}
    functions: dict[str, str | None] = {}
    for f in ledger.records.values():
        c = per.setdefault(f.mapping, Counter())
        functions[f.mapping] = f.function
        c["read"] += 1
        c["filtered"] += f.filtered
        c["handled"] += f.handled
        c["given up"] += f.given_up is not None
    for inv in ledger.invocations.values():
        if inv.mapping in per:
            per[inv.mapping]["invocations"] += 1
            per[inv.mapping]["errors"] += inv.ok is False
    out = []
    for name, c in per.items():
        out.append(f"mapping {name} -> {functions[name]}: {c['read']} records read, {c['filtered']} filtered, "
                   f"{c['handled']} handled, {c['given up']} given up; "
                   f"{c['invocations']} invocations, {c['errors']} failed")
    other = [i for i in ledger.invocations.values() if i.mapping is None]
    if other:
        failed = sum(i.ok is False for i in other)
        out.append(f"other invocations (event bus targets): {len(other)}, {failed} failed")
    return out


def _error_lines(events: list[TraceEvent], max_errors: int, max_log_lines: int) -> list[str]:
    errors = [e for e in events if e["kind"] == "error"]
    if not errors:
        return ["no handler errors"]
    distinct: dict[tuple[object, ...], list[TraceEvent]] = {}
    for e in errors:
        tb = handler_traceback(e.get("traceback") or "")
        distinct.setdefault((e.get("function"), e.get("error_type"), e.get("error_message"), tb), []).append(e)
    logs: dict[str, list[TraceEvent]] = {}
    for e in events:
        if e["kind"] == "log":
            logs.setdefault(str(e.get("request_id")), []).append(e)
    out = [f"handler errors: {len(errors)} ({len(distinct)} distinct)"]
    for (function, etype, message, tb), seen in list(distinct.items())[:max_errors]:
        first = seen[0]
        again = f", and {times(len(seen) - 1)} more" if len(seen) > 1 else ""
        out.append(f"-- {function}: {etype}: {message} (request {first.get('request_id')}{again})")
        out += ["   " + line for line in (tb.splitlines() if tb else [f"{etype}: {message} (no traceback)"])]
        printed = logs.get(str(first.get("request_id")), [])
        if printed:
            out.append(f"   output of that invocation ({len(printed)} line{'s' if len(printed) > 1 else ''}"
                       f"{', the last ' + str(max_log_lines) if len(printed) > max_log_lines else ''}):")
            out += [f"     {e.get('stream')}: {e.get('message')}" for e in printed[-max_log_lines:]]
    if len(distinct) > max_errors:
        out.append(f"-- and {len(distinct) - max_errors} more distinct errors (see the trace)")
    return out


__all__ = ["handler_traceback", "summarize"]
