"""How much of a trace sits in memory, and the spool file that holds the rest.

A trace never loses an event: once it holds more than ``Retention.in_memory`` events (or from the
start, when a ``path`` is given) every event is also appended to a spool file of JSON lines, and
only the most recent ``in_memory`` events stay in memory. Reads stream the spool for the older
ones, so an oracle sees the whole run while a 1,000,000-record run keeps a flat memory profile.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from harness.trace.wire import dumps

#: Events kept in memory by default: a test's or a demo's trace never touches the disk, a load
#: run's memory stops growing past this many events.
DEFAULT_IN_MEMORY = 20_000


@dataclass(frozen=True)
class Retention:
    """``in_memory``: how many of the most recent events stay in memory (None: all of them).
    ``path``: stream every event to this JSON-lines file from the first one (it can be tailed
    while the run goes on, and is kept); without it a temporary spool file is opened only when
    ``in_memory`` is exceeded, and removed when the trace is closed or collected.

        Retention()                                   # the default: up to 20,000 events in memory
        Retention(in_memory=None)                     # everything in memory, never a file
        Retention(in_memory=5_000, path="run.jsonl")  # a live, tailable trace file; 5,000 in memory
    """

    in_memory: int | None = DEFAULT_IN_MEMORY
    path: str | Path | None = None

    def __post_init__(self) -> None:
        if self.in_memory is not None and self.in_memory < 0:
            raise ValueError(f"Retention.in_memory must be >= 0 or None, not {self.in_memory}")


class Spool:
    """An append-only JSON-lines file holding every event of a trace, in ``n`` order.

    Written under the trace's lock; flushed at most every ``FLUSH_S`` seconds while events flow
    (so ``tail -f`` follows a live run) and before every read.
    """

    FLUSH_S = 0.5

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            fd, name = tempfile.mkstemp(prefix="streamharness-trace-", suffix=".jsonl")
            self.path, self.owned = Path(name), True
            self._file: Any = os.fdopen(fd, "w", encoding="utf-8")
        else:
            self.path, self.owned = Path(path), False
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (closed by close())
        self.lines = 0
        self._flushed = time.monotonic()

    def write(self, event: dict[str, Any]) -> None:
        self.write_line(dumps(event))

    def write_line(self, line: str) -> None:
        self._file.write(line)
        self._file.write("\n")
        self.lines += 1
        if time.monotonic() - self._flushed > self.FLUSH_S:
            self.flush()

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()
        self._flushed = time.monotonic()

    def read_lines(self, count: int) -> Iterator[str]:
        """The first ``count`` lines (flush first: the caller holds the lock while it does)."""
        with open(self.path, encoding="utf-8") as f:
            for line in islice(f, count):
                yield line.rstrip("\n")

    def close(self) -> None:
        """Close the file; remove it if it was ours."""
        if not self._file.closed:
            self._file.close()
        if self.owned:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
