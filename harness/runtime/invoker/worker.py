"""Run handlers in worker processes: one Lambda execution environment per concurrent invocation.

Each worker is ``sys.executable`` running ``_worker_main.py`` with the function's environment and the
harness's ``sys.path``. It imports the handler once (the cold start, reported as ``init_duration_ms``),
then serves invocations one at a time over two dedicated pipes, keeping module state between them
(warm starts). The pool grows on demand up to ``max_workers`` per function (beyond that, callers wait)
and reuses the most recently used idle worker, as Lambda does.

What the in-process invoker cannot do, this one does as Lambda does: a handler that overruns its
Timeout is killed ("Sandbox.Timedout"), one that ends its process (os._exit, sys.exit, a segfault)
is a "Runtime.ExitError", a return value json cannot encode is a "Runtime.MarshalError", and a handler
that cannot be imported is a "Runtime.ImportModuleError" on the first invocation. After a timeout,
an exit or an init error the worker is replaced by a fresh (cold) one; after an exception or a marshal
error it stays warm, as in Lambda. What handlers print or log, and the AWS API calls they make
(calls.py), come back per invocation, streamed as they happen so a killed worker still leaves them.

No worker outlives the harness: ``stop()`` ends them all and waits, an atexit hook stops live
invokers, and each worker asks the kernel (PR_SET_PDEATHSIG, processes.py's helper) to be killed
with us. That signal fires when the *thread* that forked the worker ends, so every fork happens on
one long-lived spawner thread, never on the engine thread that happened to need a worker.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from harness.backends.processes import install_signal_handlers
from harness.runtime.invoker import _worker_main as proto
from harness.runtime.invoker.inprocess import os_environ_pristine
from harness.runtime.invoker.result import EXIT_ERROR, InvocationResult, exit_message
from harness.topology.specs import Function

WORKER_MAIN = Path(proto.__file__).resolve()
DEFAULT_MAX_WORKERS = 10
MAX_WORKERS_ENV = "STREAMHARNESS_WORKERS_PER_FUNCTION"
INIT_PHASE_S = 10.0  # Lambda gives the init phase 10 s, then retries it within the invocation's Timeout
STOP_GRACE_S = 2.0

#: Kept for callers that named it: worker results are plain InvocationResults, cold-start fields included.
WorkerInvocationResult = InvocationResult


class _Timeout(Exception):
    pass


class _Dead(Exception):
    pass


class _Spawner:
    """Forks every worker from one long-lived daemon thread (see the module docstring: PDEATHSIG is per thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[dict[str, Any], Future[subprocess.Popen[bytes]]]] = queue.SimpleQueue()
        self._pid: int | None = None

    def popen(self, **kwargs: Any) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._pid != os.getpid():  # first use, or we are a fork of the process that started the thread
                self._queue = queue.SimpleQueue()
                threading.Thread(target=self._run, args=(self._queue,), name="streamharness-worker-spawner",
                                 daemon=True).start()
                self._pid = os.getpid()
            q = self._queue
        future: Future[subprocess.Popen[bytes]] = Future()
        q.put((kwargs, future))
        return future.result()

    @staticmethod
    def _run(q: queue.SimpleQueue[tuple[dict[str, Any], Future[subprocess.Popen[bytes]]]]) -> None:
        while True:
            kwargs, future = q.get()
            try:
                future.set_result(subprocess.Popen(**kwargs))
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                future.set_exception(e)


_SPAWNER = _Spawner()


class _Worker:
    """One worker process and the parent's ends of its two pipes. The thread holding it owns the fds."""

    def __init__(self, proc: subprocess.Popen[bytes], request_fd: int, response_fd: int, started: float) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.request_fd = request_fd      # non-blocking, so a stuck worker cannot stall a send past its deadline
        self.response_fd = response_fd
        self.started = started            # perf_counter at spawn
        self.ready = False
        self.healthy = False              # answered its last invocation and may be reused
        self.init_ms: float | None = None
        self.init_message = b""
        self._buf = bytearray()
        self._in = select.poll()
        self._in.register(response_fd, select.POLLIN)
        self._out = select.poll()
        self._out.register(request_fd, select.POLLOUT)
        self._closed = False

    def send(self, payload: bytes, deadline: float) -> None:
        data = memoryview(proto.REQUEST_HEADER.pack(len(payload)) + payload)
        while True:
            try:
                data = data[os.write(self.request_fd, data):]
            except BlockingIOError:
                pass
            except OSError as e:  # EPIPE: it is gone
                raise _Dead from e
            if not data:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            self._out.poll(math.ceil(remaining * 1000))

    def frame(self, deadline: float) -> tuple[int, bytes]:
        buf = self._buf
        header = proto.FRAME_HEADER
        while True:
            if len(buf) >= header.size:
                length, kind = header.unpack_from(buf)
                end = header.size + length
                if len(buf) >= end:
                    payload = bytes(buf[header.size:end])
                    del buf[:end]
                    return kind, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            if not self._in.poll(math.ceil(remaining * 1000)):
                continue
            try:
                chunk = os.read(self.response_fd, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                raise _Dead
            buf += chunk

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        """Signal the worker and whatever its handler started (it leads its own session)."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)

    def reap(self, timeout: float = 5.0) -> int:
        """Its pipe closed: collect the exit status (killing it if it closed the pipe but lives on)."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            return self.proc.wait()

    def kill(self) -> None:
        self.signal_group(signal.SIGKILL)
        self.proc.wait()

    def close_request(self) -> None:
        """EOF on its request pipe: an idle worker exits on its own."""
        if self.request_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.request_fd)
            self.request_fd = -1

    def close(self) -> None:
        if not self._closed:
            self.close_request()
            with contextlib.suppress(OSError):
                os.close(self.response_fd)
            self._closed = True


class WorkerInvoker:
    """Same interface as InProcessInvoker: ``invoke(event, request_id)`` from any thread, ``stop()``."""

    def __init__(self, function: Function, function_arn: str, env: Mapping[str, str], *,
                 max_workers: int | None = None) -> None:
        self.function = function
        self.function_arn = function_arn
        self.env = dict(env)
        if max_workers is None:
            max_workers = int(os.environ.get(MAX_WORKERS_ENV, DEFAULT_MAX_WORKERS))
        if max_workers < 1:
            raise ValueError(f"function {function.name}: max_workers must be at least 1, not {max_workers}")
        self.max_workers = max_workers
        with os_environ_pristine:  # not while an in-process function's env is applied
            self._base_environ = dict(os.environ)
        self._sys_path = list(sys.path)  # handler modules resolve in workers as they would here
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []    # most recently used last: reused first, as Lambda does
        self._all: set[_Worker] = set()   # idle and busy
        self._starting = 0
        self._stopped = False
        self.waiting = 0                  # callers waiting for a worker (the pool is at max_workers)
        install_signal_handlers()
        _LIVE.add(self)

    # -- the interface ------------------------------------------------------------------------------
    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        payload = json.dumps({"id": request_id, "e": event}, separators=(",", ":")).encode()
        return self._invoke(payload, request_id)

    def invoke_json(self, event_json: str, request_id: str) -> InvocationResult:
        """``invoke`` for an event already serialised to JSON (spares a decode and an encode)."""
        return self._invoke(f'{{"id":{json.dumps(request_id)},"e":{event_json}}}'.encode(), request_id)

    def hold_environment(self) -> contextlib.nullcontext[None]:
        """Each worker process has its own environment: nothing to hold."""
        return contextlib.nullcontext()

    def stop(self) -> None:
        """End every worker and wait for them. Invocations in flight get a Runtime.ExitError."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._starting == 0, timeout=30)  # forks in flight discard themselves
            idle, self._idle = self._idle, []
            busy = [w for w in self._all if w not in idle]
            self._all.clear()
        _LIVE.discard(self)
        for w in idle:
            w.close_request()
        for w in busy:  # their invoke() threads own the fds and will see EOF
            w.signal_group(signal.SIGKILL)
        deadline = time.monotonic() + STOP_GRACE_S
        for w in idle:
            try:
                w.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.kill()
            w.close()
        for w in busy:
            w.proc.wait()

    # -- introspection --------------------------------------------------------------------------------
    @property
    def worker_pids(self) -> list[int]:
        with self._cond:
            return sorted(w.pid for w in self._all)

    @property
    def idle_count(self) -> int:
        with self._cond:
            return len(self._idle)

    # -- the pool ---------------------------------------------------------------------------------------
    def _acquire(self) -> tuple[_Worker | None, bool]:
        """An idle worker (warm), or a new one (cold), or None when stopped."""
        dead: list[_Worker] = []
        try:
            with self._cond:
                while True:
                    if self._stopped:
                        return None, False
                    while self._idle:
                        w = self._idle.pop()
                        if w.alive():
                            w.healthy = False
                            return w, False
                        self._all.discard(w)  # ended while idle (killed from outside): replace it
                        dead.append(w)
                    if len(self._all) + self._starting < self.max_workers:
                        self._starting += 1
                        break
                    self.waiting += 1
                    try:
                        self._cond.wait()
                    finally:
                        self.waiting -= 1
        finally:
            for w in dead:
                w.reap()
                w.close()
        try:
            w = self._spawn()
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify_all()
            raise
        with self._cond:
            stopped = self._stopped
            if not stopped:
                self._all.add(w)
        if stopped:
            w.kill()
            w.close()
        with self._cond:
            self._starting -= 1
            self._cond.notify_all()
        return (None, False) if stopped else (w, True)

    def _release(self, w: _Worker) -> None:
        with self._cond:
            if w.healthy and not self._stopped:
                self._idle.append(w)
                self._cond.notify()
                return
            self._all.discard(w)
            self._cond.notify()
        w.kill()
        w.close()

    def _spawn(self) -> _Worker:
        log_stream = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        env = {**self._base_environ, **self.env, "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
               "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        started = time.perf_counter()
        try:
            proc = _SPAWNER.popen(
                args=[sys.executable, "-P", str(WORKER_MAIN), str(request_r), str(response_w), str(os.getpid())],
                stdin=subprocess.DEVNULL, env=env, pass_fds=(request_r, response_w), start_new_session=True)
        except BaseException:
            for fd in (request_w, response_r):
                os.close(fd)
            raise
        finally:
            for fd in (request_r, response_w):
                os.close(fd)
        os.set_blocking(request_w, False)
        w = _Worker(proc, request_w, response_r, started)
        w.init_message = json.dumps({
            "path": self._sys_path, "handler": self.function.handler, "function_name": self.function.name,
            "memory_size": self.function.memory_size, "function_arn": self.function_arn,
            "timeout": self.function.timeout, "log_stream_name": log_stream}).encode()
        return w

    # -- one invocation ---------------------------------------------------------------------------------
    def _invoke(self, payload: bytes, request_id: str) -> InvocationResult:
        try:
            w, cold = self._acquire()
        except OSError as e:  # cannot fork (fd or process limits): a failed invocation, not a crashed engine
            return InvocationResult(request_id, ok=False, error_type="Runtime.Unknown",
                                          error_message=f"cannot start a worker process: {e}")
        if w is None:
            return InvocationResult(request_id, ok=False, error_type="Runtime.Unknown",
                                          error_message=f"the invoker of function {self.function.name} is stopped")
        logs: list[tuple[str, str]] = []
        calls: list[dict[str, Any]] = []
        try:
            if cold:
                failed = self._init(w, request_id, logs, calls)
                if failed is not None:
                    return failed
            return self._run(w, payload, request_id, logs, calls, cold)
        finally:
            self._release(w)

    def _init(self, w: _Worker, request_id: str, logs: list[tuple[str, str]],
              calls: list[dict[str, Any]]) -> InvocationResult | None:
        def result(**kw: Any) -> InvocationResult:
            w.init_ms = (time.perf_counter() - w.started) * 1000
            return InvocationResult(request_id, ok=False, logs=logs, calls=calls, cold_start=True,
                                          init_duration_ms=w.init_ms, worker_pid=w.pid, **kw)

        deadline = time.monotonic() + INIT_PHASE_S + self.function.timeout
        try:
            w.send(w.init_message, deadline)
            while True:
                kind, body = w.frame(deadline)
                stream = proto.LOG_STREAMS.get(kind)
                if stream is not None:
                    logs.append((stream, body.decode("utf-8", "replace")))
                elif kind == proto.CALL:  # module-level code made it
                    calls.append(json.loads(body))
                elif kind == proto.READY:
                    w.init_ms = (time.perf_counter() - w.started) * 1000
                    w.ready = True
                    return None
                elif kind == proto.INIT_ERROR:
                    err = json.loads(body)
                    return result(error_type=err["type"], error_message=err["message"], traceback=err["traceback"])
                else:
                    raise _Dead
        except _Timeout:
            w.kill()
            return result(error_type="Sandbox.Timedout",
                          error_message=f"Task timed out after {self.function.timeout:.2f} seconds")
        except _Dead:
            return result(error_type=EXIT_ERROR, error_message=exit_message(request_id, w.reap()))

    def _run(self, w: _Worker, payload: bytes, request_id: str, logs: list[tuple[str, str]],
             calls: list[dict[str, Any]], cold: bool) -> InvocationResult:
        init_ms = w.init_ms if cold else None
        extra: dict[str, Any] = {"logs": logs, "calls": calls, "cold_start": cold, "init_duration_ms": init_ms,
                                 "worker_pid": w.pid}
        t0 = time.monotonic()
        deadline = t0 + self.function.timeout
        try:
            w.send(payload, deadline)
            while True:
                kind, body = w.frame(deadline)
                stream = proto.LOG_STREAMS.get(kind)
                if stream is not None:
                    logs.append((stream, body.decode("utf-8", "replace")))
                    continue
                if kind == proto.CALL:
                    calls.append(json.loads(body))
                    continue
                if kind not in (proto.RESULT, proto.RESULT_BYTES, proto.ERROR):
                    raise _Dead
                (duration,) = proto.DURATION.unpack_from(body)
                w.healthy = True
                if kind == proto.RESULT:
                    return InvocationResult(request_id, ok=True, response=json.loads(body[8:]),
                                                  duration_ms=duration, **extra)
                if kind == proto.RESULT_BYTES:
                    return InvocationResult(request_id, ok=True, response=body[8:], duration_ms=duration,
                                                  **extra)
                err = json.loads(body[8:])
                return InvocationResult(request_id, ok=False, error_type=err["type"],
                                              error_message=err["message"], traceback=err["traceback"],
                                              duration_ms=duration, **extra)
        except _Timeout:
            w.kill()  # Lambda ends the execution environment; the next invocation gets a fresh one
            return InvocationResult(request_id, ok=False, error_type="Sandbox.Timedout",
                                          error_message=f"Task timed out after {self.function.timeout:.2f} seconds",
                                          duration_ms=(time.monotonic() - t0) * 1000, **extra)
        except _Dead:
            return InvocationResult(request_id, ok=False, error_type=EXIT_ERROR,
                                          error_message=exit_message(request_id, w.reap()),
                                          duration_ms=(time.monotonic() - t0) * 1000, **extra)


_LIVE: weakref.WeakSet[WorkerInvoker] = weakref.WeakSet()


def _stop_all() -> None:
    for invoker in list(_LIVE):
        invoker.stop()


atexit.register(_stop_all)
