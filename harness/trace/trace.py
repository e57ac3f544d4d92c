"""The Trace: an append-only, thread-safe event log with a schema, live listeners and bounded memory."""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from harness.trace.kinds import _VIEWS, REQUIRED, TraceEvent, TraceView
from harness.trace.retention import Retention, Spool
from harness.trace.wire import dumps, kind_of, loads

Listener = Callable[[TraceEvent], None]
V = TypeVar("V", bound=TraceView)
log = logging.getLogger("harness.trace")

#: A failing listener's traceback is logged this many times, then its failures are only counted.
LISTENER_TRACEBACKS = 5


class TraceSchemaError(ValueError):
    """An event that does not fit its kind's schema: an unknown kind or a missing required field."""


def _unknown(kind: str) -> TraceSchemaError:
    return TraceSchemaError(f"unknown trace event kind {kind!r}; the kinds are {', '.join(sorted(_VIEWS))} "
                            f"(declared in harness/trace/kinds.py)")


def _known(kinds: Iterable[str]) -> frozenset[str]:
    for kind in kinds:
        if kind not in _VIEWS:
            raise _unknown(kind)
    return frozenset(kinds)


class Trace:
    """Every event of a run, in one total order ``n``, readable live and after the run.

    ``emit`` checks the kind and its required fields (:mod:`harness.trace.kinds`), stamps ``t``
    and ``n``, keeps the event (see :class:`Retention`) and calls the listeners. Reads (``of``,
    ``events``, ``views``, iteration) see every event emitted so far, streaming the spool file for
    those no longer in memory; events read from the spool are their JSON form, as ``read_jsonl``
    gives them.
    """

    def __init__(self, retention: Retention | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.retention = retention if retention is not None else Retention()
        self._clock = clock
        self._lock = threading.Lock()
        self._memory: deque[TraceEvent] = deque()
        self._count = 0  # events kept so far; the next emit's n
        self._limit = self.retention.in_memory if self.retention.in_memory is not None else sys.maxsize
        self._spool: Spool | None = None
        self._listeners: tuple[Listener, ...] = ()
        self._listener_failures: Counter[Listener] = Counter()
        self._finalizer: weakref.finalize | None = None
        if self.retention.path is not None:
            self._open_spool(self.retention.path)

    # -- writing ----------------------------------------------------------------------------------
    def emit(self, kind: str, **fields: Any) -> TraceEvent:
        """Record one event: ``kind``, ``t`` (epoch seconds), the fields, ``n``. Raises
        TraceSchemaError for an unknown kind or a missing required field."""
        required = REQUIRED.get(kind)
        if required is None:
            raise _unknown(kind)
        if not fields.keys() >= required:
            missing = ", ".join(sorted(required - fields.keys()))
            raise TraceSchemaError(f"trace event {kind!r} is missing required field(s) {missing} "
                                   f"(its schema: {_VIEWS[kind].__name__} in harness/trace/kinds.py)")
        event: TraceEvent = {"kind": kind, "t": self._clock()}
        event.update(fields)
        with self._lock:  # the fast path of _keep, inlined: this runs for every record
            event["n"] = self._count
            self._count += 1
            self._memory.append(event)
            if self._spool is not None or len(self._memory) > self._limit:
                self._overflow(event, None)
        if self._listeners:
            self._notify(event)
        return event

    def _keep(self, event: TraceEvent, line: str | None = None) -> None:
        """Append under the lock: to memory, and to the spool once there is one."""
        self._count += 1
        self._memory.append(event)
        if self._spool is not None or len(self._memory) > self._limit:
            self._overflow(event, line)

    def _overflow(self, event: TraceEvent, line: str | None) -> None:
        """Past the bound, or with a spool: spool the event (opening the spool with every event
        held so far the first time), then trim memory to the bound."""
        if self._spool is None:
            self._open_spool(None)
            return
        self._spool.write_line(line) if line is not None else self._spool.write(event)
        if len(self._memory) > self._limit:
            self._memory.popleft()

    def _open_spool(self, path: str | Path | None) -> None:
        spool = Spool(path)
        for e in self._memory:
            spool.write(e)
        while len(self._memory) > self._limit:
            self._memory.popleft()
        self._spool = spool
        self._finalizer = weakref.finalize(self, spool.close)

    def flush(self) -> None:
        """Write what is buffered to the spool file (a live trace file is flushed every half
        second while events flow, and on close)."""
        with self._lock:
            if self._spool is not None:
                self._spool.flush()

    def close(self) -> None:
        """Close the spool file; a temporary one is removed (reads of spooled events fail after
        this). A trace that is garbage-collected, or alive at exit, is closed then."""
        if self._finalizer is not None:
            with self._lock:
                self._finalizer()

    def __enter__(self) -> Trace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def spool_path(self) -> Path | None:
        """The file every event is streamed to, once there is one."""
        return self._spool.path if self._spool is not None else None

    @property
    def in_memory(self) -> int:
        """How many events sit in memory now (at most ``retention.in_memory``)."""
        return len(self._memory)

    # -- listeners --------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` after each emit, on the emitting thread, outside the trace's lock
        (so events from different threads may arrive out of ``n`` order). A listener that raises
        is logged on ``harness.trace`` and does not break the emit. Returns the unsubscribe function."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            with self._lock:
                kept = list(self._listeners)
                if listener in kept:
                    kept.remove(listener)
                self._listeners = tuple(kept)
        return unsubscribe

    def _notify(self, event: TraceEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break the pipeline, nor hide
                with self._lock:
                    self._listener_failures[listener] += 1
                    failures = self._listener_failures[listener]
                if failures <= LISTENER_TRACEBACKS:
                    log.exception("trace listener %r failed on %s event n=%s%s", listener, event["kind"],
                                  event["n"], "; its further failures are counted, not logged"
                                  if failures == LISTENER_TRACEBACKS else "")

    @property
    def listener_failures(self) -> int:
        """How often listeners raised."""
        with self._lock:
            return sum(self._listener_failures.values())

    # -- reading ----------------------------------------------------------------------------------
    def _snapshot(self) -> tuple[Spool | None, int, list[TraceEvent]]:
        """(the spool, flushed; how many of its first lines precede memory; the events in memory)."""
        with self._lock:
            memory = list(self._memory)
            spooled = self._count - len(memory)
            if self._spool is not None:
                self._spool.flush()
            return self._spool, spooled, memory

    def _stream(self, kinds: frozenset[str]) -> Iterator[TraceEvent]:
        """Every event so far (a snapshot of the count when called), oldest first."""
        return self._chain(*self._snapshot(), kinds)

    @staticmethod
    def _chain(spool: Spool | None, spooled: int, memory: list[TraceEvent],
               kinds: frozenset[str]) -> Iterator[TraceEvent]:
        if spooled and spool is not None:
            for line in spool.read_lines(spooled):
                if not kinds or kind_of(line) in kinds:
                    yield loads(line)
        for e in memory:
            if not kinds or e["kind"] in kinds:
                yield e

    def select(self, *kinds: str, **where: Any) -> Iterator[TraceEvent]:
        """Like :meth:`of`, streamed: for a long run, reads one event at a time."""
        selected = self._stream(_known(kinds))
        if not where:
            return selected
        items = where.items()
        return (e for e in selected if all(e.get(k) == v for k, v in items))

    def of(self, *kinds: str, **where: Any) -> list[TraceEvent]:
        """Events of the given kinds whose fields equal ``where`` (e.g. ``of("invoke", function="f")``).
        An unknown kind raises TraceSchemaError, so a typo cannot pass as "no events"."""
        return list(self.select(*kinds, **where))

    def views(self, cls: type[V], **where: Any) -> Iterator[V]:
        """The events of ``cls``'s kind whose fields equal ``where``, as read-only views, streamed:

            invoked = [r["eventID"] for v in trace.views(InvokeEvent, mapping="m") for r in v.records]
            checked = [v.json["ip"] for v in trace.views(LogEvent, function="detector") if v.json]
        """
        return (cls(e) for e in self.select(cls.kind, **where))

    @property
    def events(self) -> list[TraceEvent]:
        """A snapshot of every event (all of them in memory at once: prefer ``select`` or iteration
        for a long run)."""
        return list(self._stream(frozenset()))

    def __iter__(self) -> Iterator[TraceEvent]:
        return self._stream(frozenset())

    def __len__(self) -> int:
        return self._count

    def counts(self) -> Counter[str]:
        spool, spooled, memory = self._snapshot()
        counts = Counter(kind_of(line) for line in spool.read_lines(spooled)) if spool and spooled else Counter()
        counts.update(e["kind"] for e in memory)
        return counts

    def json_logs(self, function: str, event: str | None = None) -> list[tuple[dict[str, Any], TraceEvent]]:
        """(parsed line, log event) for each JSON-object log line a function printed, optionally only
        those whose ``"event"`` field is ``event`` -- structured logs, as a metric filter reads them."""
        out = []
        for e in self.select("log", function=function):
            try:
                line = json.loads(e["message"])
            except ValueError:
                continue
            if isinstance(line, dict) and (event is None or line.get("event") == event):
                out.append((line, e))
        return out

    # -- files ------------------------------------------------------------------------------------
    def _lines(self) -> Iterator[str]:
        spool, spooled, memory = self._snapshot()
        if spool is not None:  # the spool holds every event
            yield from spool.read_lines(spooled + len(memory))
        else:
            yield from map(dumps, memory)

    def write_jsonl(self, path: str | Path) -> int:
        """Write every event so far as JSON lines; returns how many. Streams: memory stays flat."""
        spool = self._spool
        if spool is not None and os.path.exists(path) and os.path.samefile(path, spool.path):
            self.flush()  # the live trace file already is that file
            return len(self)
        n = 0
        with open(path, "w", encoding="utf-8") as f:
            for line in self._lines():
                f.write(line)
                f.write("\n")
                n += 1
        return n

    @classmethod
    def read_jsonl(cls, path: str | Path, retention: Retention | None = None) -> Trace:
        """A trace of the events in a JSON-lines file (blank lines skipped), kept per ``retention``;
        emitting more continues the numbering. Events read are not schema-checked: a file from an
        older or newer harness still reads."""
        if retention is not None and retention.path is not None and os.path.exists(retention.path) \
                and os.path.samefile(retention.path, path):
            raise ValueError(f"read_jsonl({path}): the retention's path is the file being read")
        trace = cls(retention)
        with open(path, encoding="utf-8") as f:
            with trace._lock:
                for line in f:
                    if line.strip():
                        line = line.rstrip("\n")
                        trace._keep(loads(line), line)
        return trace

    @classmethod
    def from_events(cls, events: Iterable[TraceEvent], retention: Retention | None = None) -> Trace:
        """A trace holding ``events`` as they are (not schema-checked); emitting more continues
        the numbering."""
        trace = cls(retention)
        with trace._lock:
            for e in events:
                trace._keep(e)
        return trace
