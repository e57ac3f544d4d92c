"""Child servers that cannot outlive us, cannot be hijacked, and whose death is noticed.

Three layers make sure no server is left behind: the owner stops them (context manager / atexit),
SIGTERM and SIGHUP are turned into SystemExit so that owner code unwinds, and on Linux each child
gets PR_SET_PDEATHSIG so the kernel kills it even if we are SIGKILLed. That signal fires when the
*thread* that forked the child ends, not the process, so every server is forked by one long-lived
spawner thread (:func:`spawn`), never by the thread that happened to start a backend. Children run
in their own session so a terminal's Ctrl-C reaches only us, and we stop them in order.

Isolation: each child runs in a private directory (``mkdtemp``, mode 0700) that is its working
directory and holds its log, so nothing in the user's current directory is importable by it and no
predictable path in /tmp is written. The directory is removed at stop, unless the child died on
its own: then it is kept, because the error names its log. Ports: the parent binds and listens on
a loopback socket and hands the listening socket itself to the child (:class:`Listener`), so no
other process can take the port between its choice and the child's bind.

After start a watcher thread per child waits for its exit; an exit we did not ask for becomes a
:class:`BackendDied` (server name, pid, exit status, log tail), kept in ``failure`` and passed to
the listeners registered with :meth:`ManagedProcess.on_exit`.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_LIVE: set[ManagedProcess] = set()
_LOCK = threading.Lock()


class ProcessStartError(RuntimeError):
    """A server did not become healthy; the message carries the tail of its log."""


class ServerExited(ProcessStartError):
    """A server ended before it was healthy (rather than being slow to become so)."""


class BackendDied(RuntimeError):
    """A backend server ended while in use: which one, how, and the last lines it logged."""

    def __init__(self, name: str, pid: int, returncode: int, log_path: Path, log_tail: str) -> None:
        self.name, self.pid, self.returncode, self.log_path, self.log_tail = name, pid, returncode, log_path, log_tail
        super().__init__(f"backend server {name} (pid {pid}) {exit_status(returncode)} while the harness was using "
                         f"it; last lines of its log {log_path}:\n{log_tail}")


def exit_status(returncode: int) -> str:
    """``exited with status 1`` / ``was killed by signal SIGKILL``."""
    if returncode >= 0:
        return f"exited with status {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return f"was killed by {name}"


def free_port() -> int:
    """A port free now (racy: prefer :class:`Listener`, which keeps it until the child has it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Listener:
    """A listening socket on a free 127.0.0.1 port, made here and inherited by the child server."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(socket.SOMAXCONN)
        self.port = int(self.socket.getsockname()[1])

    @property
    def fd(self) -> int:
        return self.socket.fileno()

    def close(self) -> None:
        """Our copy only: the child keeps its own."""
        self.socket.close()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


#: a request to the spawner: Popen's keyword arguments, and where to put the Popen (or the error)
_SpawnRequest = tuple[dict[str, Any], "queue.SimpleQueue[subprocess.Popen[bytes] | BaseException]"]
_spawn_lock = threading.Lock()
_spawn_queue: queue.SimpleQueue[_SpawnRequest] | None = None
_spawn_pid: int | None = None


def spawn(**popen_kwargs: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen(**popen_kwargs)`` forked by the long-lived spawner thread (see the module
    docstring); a fresh spawner thread after our own process was forked."""
    global _spawn_queue, _spawn_pid
    with _spawn_lock:
        if _spawn_queue is None or _spawn_pid != os.getpid():
            _spawn_queue, _spawn_pid = queue.SimpleQueue(), os.getpid()
            threading.Thread(target=_spawner, args=(_spawn_queue,), name="streamharness-server-spawner",
                             daemon=True).start()
        requests = _spawn_queue
    reply: queue.SimpleQueue[subprocess.Popen[bytes] | BaseException] = queue.SimpleQueue()
    requests.put((popen_kwargs, reply))
    result = reply.get()
    if isinstance(result, BaseException):
        raise result
    return result


def _spawner(requests: queue.SimpleQueue[_SpawnRequest]) -> None:
    while True:
        kwargs, reply = requests.get()
        try:
            reply.put(subprocess.Popen(**kwargs))
        except BaseException as e:  # noqa: BLE001 - handed to the caller, the spawner lives on
            reply.put(e)


class ManagedProcess:
    """One server process on a loopback port, health-checked before use and watched after."""

    def __init__(self, name: str, argv: Sequence[str], healthy: Callable[[int], bool], *,
                 env: dict[str, str] | None = None, listener: Listener | None = None,
                 listener_on_stdin: bool = False, port: int | None = None) -> None:
        """With ``listener`` the child inherits it (as fd ``listener.fd``, or as its stdin with
        ``listener_on_stdin``); without one, ``port`` is where the child binds by itself."""
        if listener is not None:
            port = listener.port
        if port is None:
            raise ValueError(f"{name}: give a listener or a port")
        self.name = name
        self._listener = listener
        self.argv = list(argv)
        self.port = port
        self._listener_on_stdin = listener_on_stdin
        self._healthy = healthy
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix=f"streamharness-{name}-"))
        self.log_path = self.workdir / "server.log"
        self._stopping = False
        self.failure: BackendDied | None = None
        self._exit_listeners: list[Callable[[BackendDied], None]] = []
        self._watch_lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ManagedProcess:
        install_signal_handlers()
        kwargs: dict[str, Any] = {"stdin": subprocess.DEVNULL, "pass_fds": ()}
        if self._listener is not None:
            if self._listener_on_stdin:
                kwargs["stdin"] = self._listener.fd
            else:
                kwargs["pass_fds"] = (self._listener.fd,)
        try:
            with open(self.log_path, "wb") as log:
                self._proc = spawn(args=self.argv, stdout=log, stderr=subprocess.STDOUT, env=self._env,
                                   cwd=self.workdir, start_new_session=True, preexec_fn=_die_with_parent, **kwargs)
        finally:
            if self._listener is not None:
                self._listener.close()
        with _LOCK:
            _LIVE.add(self)
        threading.Thread(target=self._watch, args=(self._proc,), name=f"streamharness-watch-{self.name}",
                         daemon=True).start()
        return self

    def _watch(self, proc: subprocess.Popen[bytes]) -> None:
        returncode = proc.wait()
        with self._watch_lock:
            if self._stopping:
                return
            self.failure = BackendDied(self.name, proc.pid, returncode, self.log_path, self.log_tail())
            listeners = list(self._exit_listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a listener's error must not hide the death from the others
                listener(self.failure)

    def on_exit(self, listener: Callable[[BackendDied], None]) -> None:
        """Call ``listener(error)`` (on the watcher thread) if the server dies without being stopped;
        at once if it already has."""
        with self._watch_lock:
            failure = self.failure
            if failure is None:
                self._exit_listeners.append(listener)
        if failure is not None:
            listener(failure)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            assert self._proc is not None, "start() first"
            if self._proc.poll() is not None:
                raise ServerExited(f"{self.name} {exit_status(self._proc.returncode)} before it was ready "
                                        f"(log {self.log_path}):\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if self._healthy(self.port):
                    return
            if time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                raise ProcessStartError(f"{self.name} was not healthy on port {self.port} after {timeout:.0f}s:"
                                        f"\n{tail}")
            time.sleep(delay)  # a health probe, not a wait for work: there is no event to wait on
            delay = min(delay * 1.5, 0.1)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 3.0) -> int | None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; the exit status (None if it was never started)."""
        with self._watch_lock:
            self._stopping = True
        proc, self._proc = self._proc, None
        with _LOCK:
            _LIVE.discard(self)
        ended_by_itself = self.failure is not None or (proc is not None and proc.poll() is not None)
        if proc is not None and not ended_by_itself:
            proc.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if not ended_by_itself:  # else the directory is kept: the error message names its log
            shutil.rmtree(self.workdir, ignore_errors=True)
        return proc.returncode if proc is not None else None


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
