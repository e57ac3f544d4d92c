"""The program a worker process runs: one Lambda execution environment, serving one invocation at a time.

Started by ``worker.py`` as ``python -P _worker_main.py <request fd> <response fd> <parent pid>``. It must
start fast, so it imports only the standard library: ``context.py`` (the LambdaContext) and
``harness/backends/processes.py`` (the parent-death helper) are loaded from their files, without running
the ``harness`` package's ``__init__`` (which imports boto3 and the whole harness); ``calls.py`` (the
API-call log, which imports botocore) is loaded only once the handler itself imports botocore. Those
three modules must therefore keep importing nothing from ``harness``.

Protocol, over two dedicated pipes (so the handler's prints and fd writes never corrupt it):

- parent -> worker: frames ``>I`` length + JSON. The first is the init message (sys.path, handler,
  function settings); every later one is ``{"id": request_id, "e": event}``. EOF means "exit".
- worker -> parent: frames ``>IB`` length, kind + payload: log lines and AWS API calls as they happen
  (so a handler that kills its process still leaves them), one READY or INIT_ERROR after the import,
  and one RESULT, RESULT_BYTES or ERROR per invocation (``>d`` handler duration in ms, then the body).
"""
from __future__ import annotations

import sys

if __name__ == "__main__":  # before any other import: our directory (context.py ...) must not shadow anything
    import os.path as _p

    _here = _p.dirname(_p.abspath(__file__))
    sys.path[:] = [p for p in sys.path if _p.abspath(p or ".") != _here]

import decimal
import importlib
import importlib.abc
import importlib.util
import io
import json
import logging
import os
import struct
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REQUEST_HEADER = struct.Struct(">I")
FRAME_HEADER = struct.Struct(">IB")
DURATION = struct.Struct(">d")

# worker -> parent frame kinds
LOG_STDOUT, LOG_STDERR, LOG_LOGGING = 1, 2, 3
READY, INIT_ERROR = 4, 5
RESULT, RESULT_BYTES, ERROR = 6, 7, 8
CALL = 9  # one AWS API call the handler made (calls.py's record), as it completes
LOG_STREAMS = {LOG_STDOUT: "stdout", LOG_STDERR: "stderr", LOG_LOGGING: "logging"}

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path) -> ModuleType:
    """Import one of the harness's stdlib-only modules from its file, under a private name."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the harness module {name} from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up in sys.modules
    spec.loader.exec_module(module)
    return module


class _Channel:
    """The response pipe: whole frames, written under a lock (handler threads print too)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.lock = threading.Lock()
        self.broken = False

    def send(self, kind: int, payload: bytes) -> None:
        data = FRAME_HEADER.pack(len(payload), kind) + payload
        with self.lock:
            if self.broken:
                return
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self.fd, view):]
            except OSError:  # the parent is gone or stopped us: nobody to tell
                self.broken = True


class _LineWriter(io.TextIOBase):
    """sys.stdout / sys.stderr of the worker: each complete line becomes a log frame at once."""

    def __init__(self, channel: _Channel, kind: int, real: Any) -> None:
        self._channel, self._kind, self._real = channel, kind, real
        self._buf = ""
        self._lock = threading.Lock()

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        with self._lock:
            buf = self._buf + s
            if "\n" in buf:
                *lines, buf = buf.split("\n")
                for line in lines:
                    self._channel.send(self._kind, line.encode("utf-8", "replace"))
            self._buf = buf
        return len(s)

    def flush_partial(self) -> None:
        with self._lock:
            if self._buf:
                self._channel.send(self._kind, self._buf.encode("utf-8", "replace"))
                self._buf = ""

    def flush(self) -> None:
        """Complete lines are sent as they are written; a partial line waits for its end (or the invocation's)."""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # fd-level writes (C extensions, subprocesses) go where the parent's went
        return int(self._real.fileno())

    @property
    def buffer(self) -> Any:  # bytes written here bypass the capture, as with the in-process invoker
        return self._real.buffer

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"


class _LogHandler(logging.Handler):
    """Log records as the in-process invoker's capture formats them."""

    def __init__(self, channel: _Channel) -> None:
        super().__init__()
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = f"[{record.levelname}] {record.name}: {record.getMessage()}"
        except Exception:  # a bad format string must not kill the invocation
            self.handleError(record)
            return
        self._channel.send(LOG_LOGGING, line.encode("utf-8", "replace"))


class _CallSink(list):  # type: ignore[type-arg]
    """What calls.py appends each API call to: sent to the parent at once."""

    def __init__(self, channel: _Channel) -> None:
        super().__init__()
        self._channel = channel

    def append(self, call: Any) -> None:
        self._channel.send(CALL, json.dumps(call, default=str).encode())


class _ApiCalls:
    """The API-call log of calls.py, in the worker. calls.py imports botocore, which costs a cold start
    ~100 ms, so it is loaded only once the handler imports botocore.client (at import or mid-invocation)."""

    def __init__(self, channel: _Channel) -> None:
        self._channel = channel
        self._module: ModuleType | None = None
        self._recording: Any = None  # the recording() context of the invocation in progress
        self._sink: _CallSink | None = None
        if "botocore.client" in sys.modules:
            self._loaded()
        else:
            sys.meta_path.insert(0, _AfterImport("botocore.client", self._loaded))

    def _loaded(self) -> None:
        try:
            self._module = _load("_streamharness_worker_calls", HERE / "calls.py")
            self._module.install()
        except Exception:  # noqa: BLE001 - no API-call log is better than a broken worker
            self._module = None
            return
        if self._sink is not None and threading.current_thread() is threading.main_thread():
            self._start_recording()

    def _start_recording(self) -> None:
        if self._module is None or self._sink is None:
            raise RuntimeError("API-call recording started before the calls module or the invocation's sink")
        self._recording = self._module.recording(self._sink)
        self._recording.__enter__()

    def begin(self) -> None:
        self._sink = _CallSink(self._channel)
        if self._module is not None:
            self._start_recording()

    def end(self) -> None:
        self._sink = None
        if self._recording is not None:
            self._recording.__exit__(None, None, None)
            self._recording = None


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs ``then`` right after the module ``name`` has been imported (once)."""

    def __init__(self, name: str, then: Callable[[], None]) -> None:
        self._name, self._then = name, then

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self._name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module, then = spec.loader.exec_module, self._then

        def exec_then(module: ModuleType) -> None:
            exec_module(module)
            then()

        spec.loader.exec_module = exec_then  # type: ignore[method-assign]
        return spec


def _json_default(o: Any) -> Any:
    if isinstance(o, decimal.Decimal):  # as Lambda's marshaller does: a number (boto3's resource API returns these)
        return int(o) if o.is_finite() and o == o.to_integral_value() else float(o)
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _error(e: BaseException, skip_frames: int = 0) -> dict[str, Any]:
    tb = e.__traceback__
    for _ in range(skip_frames):  # drop our own frames, as Lambda's bootstrap drops its own
        if tb is not None:
            tb = tb.tb_next
    return {"type": type(e).__name__, "message": str(e),
            "traceback": "".join(traceback.format_exception(type(e), e, tb))}


def _import_handler(handler: str) -> Any:
    """Import ``module:function``; raise _InitError with Lambda's error types for what cannot be imported."""
    module_name, _, attr = handler.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}",
                         _error(e, 1)["traceback"]) from e
    except SyntaxError as e:
        raise _InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}",
                         _error(e, 1)["traceback"]) from e
    try:
        return getattr(module, attr)
    except AttributeError:
        raise _InitError("Runtime.HandlerNotFound", f"Handler '{attr}' missing on module '{module_name}'",
                         None) from None


class _InitError(Exception):
    def __init__(self, error_type: str, message: str, tb: str | None) -> None:
        super().__init__(message)
        self.error_type, self.message, self.tb = error_type, message, tb


def _read_exactly(stream: io.BufferedReader, n: int) -> bytes | None:
    data = stream.read(n)
    return data if data is not None and len(data) == n else None


def _read_message(stream: io.BufferedReader) -> Any:
    header = _read_exactly(stream, REQUEST_HEADER.size)
    if header is None:
        return None
    (length,) = REQUEST_HEADER.unpack(header)
    body = _read_exactly(stream, length)
    return None if body is None else json.loads(body)


def main(argv: list[str]) -> int:
    request_fd, response_fd, parent_pid = int(argv[1]), int(argv[2]), int(argv[3])
    for fd in (request_fd, response_fd):  # the handler's own subprocesses must not hold our pipes open
        os.set_inheritable(fd, False)

    processes = _load("_streamharness_worker_processes", HERE.parents[1] / "backends" / "processes.py")
    processes._die_with_parent()  # PR_SET_PDEATHSIG: the kernel ends us if the harness dies, even by SIGKILL
    if os.getppid() != parent_pid:  # it died before we asked
        return 0
    context_module = _load("_streamharness_worker_context", HERE / "context.py")
    LambdaContext = context_module.LambdaContext

    requests = os.fdopen(request_fd, "rb", buffering=1 << 16)
    channel = _Channel(response_fd)
    init = _read_message(requests)
    if init is None:
        return 0
    sys.path[:] = init["path"]  # handler modules resolve exactly as in the harness
    importlib.invalidate_caches()

    stdout = _LineWriter(channel, LOG_STDOUT, sys.stdout)
    stderr = _LineWriter(channel, LOG_STDERR, sys.stderr)
    sys.stdout, sys.stderr = stdout, stderr  # type: ignore[assignment]
    logging.getLogger().addHandler(_LogHandler(channel))
    api_calls = _ApiCalls(channel)

    def flush_partials() -> None:
        stdout.flush_partial()
        stderr.flush_partial()

    t0 = time.perf_counter()
    try:
        handler = _import_handler(init["handler"])
    except _InitError as e:
        flush_partials()
        channel.send(INIT_ERROR, json.dumps({"type": e.error_type, "message": e.message,
                                             "traceback": e.tb}).encode())
        return 0
    except Exception as e:  # module-level code raised: Lambda reports the exception itself
        flush_partials()
        channel.send(INIT_ERROR, json.dumps(_error(e, 2)).encode())
        return 0
    flush_partials()
    channel.send(READY, json.dumps({"init_ms": (time.perf_counter() - t0) * 1000, "pid": os.getpid()}).encode())

    function_name, memory, arn = init["function_name"], init["memory_size"], init["function_arn"]
    timeout_s, log_stream = init["timeout"], init["log_stream_name"]
    encode = json.JSONEncoder(default=_json_default, separators=(",", ":")).encode
    pack = DURATION.pack
    perf = time.perf_counter
    while True:
        request = _read_message(requests)
        if request is None:  # the parent closed the pipe: stop
            return 0
        context = LambdaContext(function_name=function_name, memory_limit_in_mb=memory, invoked_function_arn=arn,
                                timeout_s=timeout_s, aws_request_id=request["id"], log_stream_name=log_stream)
        api_calls.begin()
        t0 = perf()
        try:
            response = handler(request["e"], context)
        except Exception as e:  # SystemExit and KeyboardInterrupt end the process, as in Lambda
            duration = (perf() - t0) * 1000
            api_calls.end()
            flush_partials()
            channel.send(ERROR, pack(duration) + json.dumps(_error(e, 1)).encode())
            continue
        api_calls.end()
        try:
            if isinstance(response, (bytes, bytearray)):
                kind, body = RESULT_BYTES, bytes(response)
            else:
                kind, body = RESULT, encode(response).encode()
        except Exception as e:  # what Lambda's runtime says when json cannot encode the return value
            duration = (perf() - t0) * 1000
            flush_partials()
            channel.send(ERROR, pack(duration) + json.dumps(
                {"type": "Runtime.MarshalError", "message": f"Unable to marshal response: {e}",
                 "traceback": None}).encode())
            continue
        duration = (perf() - t0) * 1000
        flush_partials()
        channel.send(kind, pack(duration) + body)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
