"""A hand-written trace for the assertion and summary tests: events carry only the fields a test cares
about (the runtime's emits are schema-checked; these sketches are not, as a trace read from a file is not)."""
from __future__ import annotations

import time
from typing import Any

from harness.trace import Trace, TraceEvent


class SketchTrace(Trace):
    def emit(self, kind: str, **fields: Any) -> TraceEvent:
        event: TraceEvent = {"kind": kind, "t": time.time(), **fields}
        with self._lock:
            event["n"] = self._count
            self._keep(event)
        return event
