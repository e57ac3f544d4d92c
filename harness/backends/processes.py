"""Child servers that cannot outlive us.

Three layers make sure no server is left behind: the owner stops them (context manager / atexit),
SIGTERM and SIGHUP are turned into SystemExit so that owner code unwinds, and on Linux each child
gets PR_SET_PDEATHSIG so the kernel kills it even if we are SIGKILLed. Children run in their own
session so a terminal's Ctrl-C reaches only us, and we stop them in order.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_LIVE: set[ManagedProcess] = set()
_LOCK = threading.Lock()


class ProcessStartError(RuntimeError):
    """A server did not become healthy; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ManagedProcess:
    """One server process on a loopback port, health-checked before use."""

    def __init__(self, name: str, argv: Sequence[str], port: int, healthy: Callable[[], bool],
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self._healthy = healthy
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_path = Path(tempfile.gettempdir()) / f"streamharness-{name}-{os.getpid()}-{port}.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ManagedProcess:
        install_signal_handlers()
        log = open(self._log_path, "wb")
        try:
            self._proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self._env, start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            log.close()
        with _LOCK:
            _LIVE.add(self)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            assert self._proc is not None, "start() first"
            if self._proc.poll() is not None:
                raise ProcessStartError(f"{self.name} exited with code {self._proc.returncode} before it was "
                                        f"ready:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if self._healthy():
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise ProcessStartError(f"{self.name} was not healthy on port {self.port} after {timeout:.0f}s:"
                                        f"\n{self.log_tail()}")
            time.sleep(delay)  # a health probe, not a wait for work: there is no event to wait on
            delay = min(delay * 1.5, 0.1)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 3.0) -> None:
        proc, self._proc = self._proc, None
        with _LOCK:
            _LIVE.discard(self)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with contextlib.suppress(OSError):
            self._log_path.unlink()


def stop_all() -> None:
    with _LOCK:
        live = list(_LIVE)
    for p in live:
        p.stop()


_handlers_installed = False


def install_signal_handlers() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so ``with Harness(...)`` blocks unwind and clean up."""
    global _handlers_installed
    if _handlers_installed or threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _exit_on_signal)
    _handlers_installed = True


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


atexit.register(stop_all)
