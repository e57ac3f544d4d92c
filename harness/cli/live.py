"""A console you can watch while ``harness up`` runs: one line per invocation, every error with the handler's
traceback once, retries, splits, give-ups, dead letters and divergences, the handlers' own output, and a
status line on a terminal. It only listens to the trace, so it sees what a trace file would hold."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

#: what a listener gets: one trace event (a dict with kind, t, n and the kind's fields)
Event = Mapping[str, Any]


def _clock(event: Event) -> str:
    return datetime.fromtimestamp(float(event.get("t", time.time()))).strftime("%H:%M:%S.%f")[:-3]


class LiveConsole:
    """Turns trace events into lines. ``quiet`` keeps only errors and give-ups."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self._invokes: dict[str, Event] = {}
        self._seen_tracebacks: set[str] = set()
        self._lock = threading.Lock()
        self.counts = {"invocations": 0, "errors": 0, "retries": 0, "given_up": 0, "dead_letters": 0,
                       "divergences": 0}
        self._handlers: dict[str, Callable[[Event], None]] = {
            "invoke": self._invoke, "result": self._result, "error": self._error, "log": self._log,
            "retry": self._retry, "split": self._split, "give_up": self._give_up, "dead_letter": self._dead_letter,
            "divergence": self._divergence, "destination": self._destination,
        }

    def __call__(self, event: Event) -> None:
        handler = self._handlers.get(str(event.get("kind")))
        if handler is not None:
            with self._lock:
                handler(event)

    # -- lines --------------------------------------------------------------------------------
    def _line(self, event: Event, text: str, style: str = "", *, always: bool = False) -> None:
        if self.quiet and not always:
            return
        line = Text(f"{_clock(event)}  ", style="dim")
        line.append(text, style=style)
        self.console.print(line, soft_wrap=True)

    def _invoke(self, event: Event) -> None:
        self._invokes[str(event.get("request_id"))] = event
        self.counts["invocations"] += 1

    def _what(self, event: Event) -> str:
        """The invocation's function and what it was given: a batch of N records, or a rule's event."""
        started = self._invokes.pop(str(event.get("request_id")), {})
        fn = str(event.get("function") or started.get("function") or "?")
        if started.get("source") == "eventbridge" or event.get("source") == "eventbridge":
            given = f"event from rule {started.get('rule') or event.get('rule')}"
        else:
            size = started.get("size", len(started.get("sequence_numbers") or ()))
            given = f"batch of {size}"
        attempt = started.get("attempt") or event.get("attempt")
        if attempt and int(attempt) > 1:
            given += f" (attempt {attempt})"
        return f"{fn:<20} {given:<28}"

    def _result(self, event: Event) -> None:
        self._line(event, f"{self._what(event)} {float(event.get('duration_ms') or 0):8.1f} ms  ok", "green")

    def _error(self, event: Event) -> None:
        self.counts["errors"] += 1
        message = f"{event.get('error_type')}: {event.get('error_message')}"
        self._line(event, f"{self._what(event)} {float(event.get('duration_ms') or 0):8.1f} ms  ERROR {message}",
                   "bold red", always=True)
        tb = str(event.get("traceback") or "").rstrip()
        if tb and tb not in self._seen_tracebacks:  # each distinct traceback once
            self._seen_tracebacks.add(tb)
            self.console.print(Text(_indent(tb), style="red"), soft_wrap=True)

    def _log(self, event: Event) -> None:
        self._line(event, f"{event.get('function')} | {event.get('message')}", "")

    def _retry(self, event: Event) -> None:
        self.counts["retries"] += 1
        self._line(event, f"retry    {event.get('mapping')}: batch of {event.get('size')} (retry {event.get('retry')}, "
                          f"backoff {float(event.get('backoff_s') or 0):.2f}s): {event.get('reason')}", "yellow")

    def _split(self, event: Event) -> None:
        halves = event.get("halves") or []
        self._line(event, f"split    {event.get('mapping')}: batch of {event.get('size')} into "
                          f"{' + '.join(str(h) for h in halves)}", "yellow")

    def _give_up(self, event: Event) -> None:
        self.counts["given_up"] += int(event.get("size") or 0)
        where = event.get("destination") or "no OnFailure destination: dropped"
        self._line(event, f"give up  {event.get('mapping')}: {event.get('size')} records after "
                          f"{event.get('invocations')} invocations ({event.get('condition')}) -> {where}",
                   "bold red", always=True)

    def _destination(self, event: Event) -> None:
        if not event.get("ok"):
            self._line(event, f"OnFailure {event.get('destination')} failed: {event.get('error')}", "bold red",
                       always=True)

    def _dead_letter(self, event: Event) -> None:
        self.counts["dead_letters"] += 1
        self._line(event, f"dead letter  rule {event.get('rule')} target {event.get('target')}: "
                          f"{event.get('error_code') or event.get('error') or ''}", "bold red", always=True)

    def _divergence(self, event: Event) -> None:
        self.counts["divergences"] += 1
        self._line(event, f"divergence  {event.get('message') or event.get('event_id')}", "magenta", always=True)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def status_line(stats: Mapping[str, Any], counts: Mapping[str, int]) -> Text:
    """records seen/handled, in flight, errors: the line a terminal keeps at the bottom."""
    seen = sum(s.seen for s in stats.values())
    handled = sum(s.succeeded + s.filtered for s in stats.values())
    in_flight = sum(s.in_flight for s in stats.values())
    return Text(f"records seen {seen}  handled {handled}  in flight {in_flight}  invocations {counts['invocations']}"
                f"  errors {counts['errors']}  given up {counts['given_up']}", style="bold")


def stats_table(stats: Mapping[str, Any]) -> Table:
    table = Table(title="event source mappings", title_justify="left")
    columns = ("seen", "filtered", "succeeded", "given_up", "dropped", "in_flight", "invocations", "errors",
               "retries", "splits")
    table.add_column("mapping")
    for c in columns:
        table.add_column(c, justify="right")
    for name, s in stats.items():
        d = s.as_dict()
        table.add_row(escape(name), *(str(d.get(c, "")) for c in columns))
    return table


class JsonLinesSink:
    """Writes each trace event as it happens (``tail -f`` works); closed when the run ends."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[str] = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._lock = threading.Lock()
        self.written = 0

    def __call__(self, event: Event) -> None:
        line = json.dumps(event, default=str, separators=(",", ":"))
        with self._lock:
            if not self._file.closed:
                self._file.write(line + "\n")
                self._file.flush()
                self.written += 1

    def close(self) -> None:
        with self._lock:
            self._file.close()


class StatusBar:
    """On a terminal, a status line refreshed twice a second below the event lines; elsewhere nothing."""

    def __init__(self, console: Console, render: Callable[[], Text]) -> None:
        self._live = Live(render(), console=console, refresh_per_second=2, transient=True) \
            if console.is_terminal else None
        self._render = render
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StatusBar:
        if self._live is not None:
            self._live.start()
            self._thread = threading.Thread(target=self._refresh, name="harness-up-status", daemon=True)
            self._thread.start()
        return self

    def _refresh(self) -> None:
        while not self._stop.wait(0.5):
            if self._live is not None:
                self._live.update(self._render())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._live is not None:
            self._live.stop()


__all__ = ["JsonLinesSink", "LiveConsole", "StatusBar", "stats_table", "status_line"]
