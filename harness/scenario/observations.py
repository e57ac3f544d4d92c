"""What a run writes into its trace beyond the runtime's own events, so the trace alone can be judged.

- one ``scenario`` event, the header: which scenario, variant, seed and config ran (from which the
  plan is generated again, deterministically);
- ``observation`` events: whatever an oracle needs that the runtime does not trace by itself (the
  alerts received on a queue, the items left in a table, when each write was sent, the run's timings).
"""
from __future__ import annotations

from typing import Any, Protocol

from harness.trace import TraceEvent

#: version of the header's layout; a judge refuses a trace from a layout it does not know
HEADER_FORMAT = 1


class TraceLike(Protocol):
    def emit(self, kind: str, **fields: Any) -> TraceEvent: ...
    def of(self, *kinds: str, **where: Any) -> list[TraceEvent]: ...


class TraceNotJudgeable(ValueError):
    """The trace lacks what judging needs (no header, an unknown layout, a missing observation)."""


def write_header(trace: TraceLike, scenario: str, config: dict[str, Any]) -> None:
    trace.emit("scenario", name=scenario, variant=config["variant"], seed=config["seed"], config=config,
               format=HEADER_FORMAT)


def read_header(trace: TraceLike) -> TraceEvent:
    headers = trace.of("scenario")
    if len(headers) != 1:
        raise TraceNotJudgeable(f"the trace has {len(headers)} scenario headers, not 1: only a trace written by "
                                "'harness run NAME --trace FILE' can be judged")
    header = headers[0]
    if header.get("format") != HEADER_FORMAT:
        raise TraceNotJudgeable(f"the trace's header has format {header.get('format')!r}; this harness reads "
                                f"format {HEADER_FORMAT}")
    return header


def observe(trace: TraceLike, name: str, value: Any) -> None:
    """Record an oracle input that the runtime does not trace (JSON-serialisable ``value``)."""
    trace.emit("observation", name=name, value=value)


def observed(trace: TraceLike, name: str) -> Any:
    """The value of the one ``name`` observation."""
    found = observed_each(trace, name)
    if len(found) != 1:
        raise TraceNotJudgeable(f"the trace has {len(found)} {name!r} observations, expected 1")
    return found[0]


def observed_each(trace: TraceLike, name: str) -> list[Any]:
    """The values of every ``name`` observation, in trace order."""
    return [e["value"] for e in trace.of("observation", name=name)]


__all__ = ["HEADER_FORMAT", "TraceLike", "TraceNotJudgeable", "observe", "observed", "observed_each",
           "read_header", "write_header"]
