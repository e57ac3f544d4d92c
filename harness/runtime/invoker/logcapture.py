"""Per-invocation capture of what a handler prints or logs, without touching other threads.

sys.stdout/sys.stderr are replaced once by proxies that route a write to the current thread's
invocation sink when there is one, and to the real stream otherwise; a logging handler does the
same for log records. So the trace gets each invocation's lines, like CloudWatch Logs would.
"""
from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Sink = Callable[[str, str], None]  # (stream, line)
_local = threading.local()
_installed = 0
_install_lock = threading.Lock()


class _Proxy(io.TextIOBase):
    def __init__(self, name: str, real: Any) -> None:
        self._name, self._real = name, real
        self._partial = threading.local()

    def write(self, s: str) -> int:
        sink: Sink | None = getattr(_local, "sink", None)
        if sink is None:
            return self._real.write(s)
        buf = getattr(self._partial, "buf", "") + s
        *lines, rest = buf.split("\n")
        for line in lines:
            sink(self._name, line)
        self._partial.buf = rest
        return len(s)

    def flush_partial(self) -> None:
        rest = getattr(self._partial, "buf", "")
        sink: Sink | None = getattr(_local, "sink", None)
        if rest and sink is not None:
            sink(self._name, rest)
        self._partial.buf = ""

    def flush(self) -> None:
        self._real.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding ... of the real stream
        return getattr(self._real, name)


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        sink: Sink | None = getattr(_local, "sink", None)
        if sink is not None:
            sink("logging", f"[{record.levelname}] {record.name}: {record.getMessage()}")


_handler = _Handler()


def install() -> None:
    """Route handlers' prints and log records through the capture. Checked on every install, not only the
    first: something else (a test runner's capture, a debugger) may have replaced sys.stdout meanwhile."""
    global _installed
    with _install_lock:
        for name in ("stdout", "stderr"):
            if not isinstance(getattr(sys, name), _Proxy):
                setattr(sys, name, _Proxy(name, getattr(sys, name)))
        if _handler not in logging.getLogger().handlers:
            logging.getLogger().addHandler(_handler)
        _installed += 1


def uninstall() -> None:
    global _installed
    with _install_lock:
        _installed -= 1
        if _installed == 0:
            for name in ("stdout", "stderr"):
                stream = getattr(sys, name)
                if isinstance(stream, _Proxy):
                    setattr(sys, name, stream._real)
            logging.getLogger().removeHandler(_handler)


@contextmanager
def capture(sink: Sink) -> Iterator[None]:
    """Route this thread's prints and log records to ``sink`` while the block runs."""
    if _installed and not (isinstance(sys.stdout, _Proxy) and isinstance(sys.stderr, _Proxy)):
        with _install_lock:  # replaced since install (a test runner's per-test capture): wrap the new streams
            for name in ("stdout", "stderr"):
                if not isinstance(getattr(sys, name), _Proxy):
                    setattr(sys, name, _Proxy(name, getattr(sys, name)))
    previous = getattr(_local, "sink", None)
    _local.sink = sink
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, _Proxy):
                stream.flush_partial()
        _local.sink = previous
