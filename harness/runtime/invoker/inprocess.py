"""Run ``handler(event, context)`` in this process: breakpoints work, state is shared.

Each invocation applies its function's environment to ``os.environ`` for its duration, as Lambda
gives every function its own. Invocations of the same function may run concurrently (e.g. with
ParallelizationFactor > 1); an invocation of another function waits until they are done, since
there is only one ``os.environ``. Timeouts cannot be enforced by killing a thread, so an
invocation that overruns its Timeout is reported as the function error AWS reports ("Task timed
out"), unless a debugger is attached. A handler that raises SystemExit or KeyboardInterrupt (sys.exit())
would end Lambda's runtime process: it is the function error ``Runtime.ExitError``, never a dead thread.
"""
from __future__ import annotations

import importlib
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from harness.runtime.environ import ENVIRON, Layer
from harness.runtime.invoker import calls as api_calls
from harness.runtime.invoker import logcapture
from harness.runtime.invoker.context import LambdaContext
from harness.runtime.invoker.result import EXIT_ERROR, InvocationResult, exit_message, exit_status
from harness.topology.specs import Function

Handler = Callable[[Any, Any], Any]


class _EnvironmentRoom:
    """os.environ belongs to one function at a time; any number of that function's invocations may
    be inside together. The first one in pushes the environment as a layer (environ.py), the last
    one out pops it, so a harness starting or stopping meanwhile keeps its own variables."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._owner: str | None = None
        self._count = 0
        self._layer: Layer | None = None

    def enter(self, owner: str, env: Mapping[str, str]) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._owner in (None, owner))
            if self._owner is None:
                self._owner = owner
                self._layer = ENVIRON.push(f"function {owner}", env)
            self._count += 1

    def leave(self) -> None:
        with self._cond:
            self._count -= 1
            if self._count == 0:
                if self._layer is not None:
                    ENVIRON.pop(self._layer)
                self._owner, self._layer = None, None
                self._cond.notify_all()


_ROOM = _EnvironmentRoom()


class _Pristine:
    """``with os_environ_pristine:`` -- no function's environment is applied meanwhile (e.g. to spawn a
    worker process that must not inherit another function's variables)."""

    def __enter__(self) -> None:
        _ROOM.enter("(pristine)", {})

    def __exit__(self, *exc: object) -> None:
        _ROOM.leave()


os_environ_pristine = _Pristine()


class _environment:
    """``with _environment(owner, env):`` -- the room, as a context manager."""

    def __init__(self, owner: str, env: Mapping[str, str]) -> None:
        self._owner, self._env = owner, env

    def __enter__(self) -> None:
        _ROOM.enter(self._owner, self._env)

    def __exit__(self, *exc: object) -> None:
        _ROOM.leave()


class HandlerImportError(ImportError):
    """The handler's dotted path does not resolve; names the function and what was tried."""


def resolve_handler(function: Function, fresh: bool = True) -> Handler:
    """Import the handler. ``fresh`` re-imports its module: a cold start per harness run, so module-level
    clients and state bind to this run's backend and environment, not to a previous run's."""
    module_name, _, attr = function.handler.partition(":")
    if fresh:
        sys.modules.pop(module_name, None)
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise HandlerImportError(
            f"function {function.name}: cannot import module {module_name!r} for handler {function.handler!r}: "
            f"{e} (the current directory and --handlers DIR are on sys.path)") from e
    except Exception as e:  # the module itself raised (Lambda's Runtime.ImportModuleError / init error)
        raise HandlerImportError(f"function {function.name}: module {module_name!r} raised at import: "
                                 f"{type(e).__name__}: {e}") from e
    handler = getattr(module, attr, None)
    if not callable(handler):
        raise HandlerImportError(f"function {function.name}: module {module_name!r} has no callable {attr!r}")
    return handler  # type: ignore[no-any-return]


def lambda_environment(function: Function, region: str) -> dict[str, str]:
    """The reserved variables Lambda sets, then the function's own."""
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
        "_HANDLER": function.handler,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    env.update(function.env)
    return env


class InProcessInvoker:
    def __init__(self, function: Function, function_arn: str, env: Mapping[str, str]) -> None:
        self.function = function
        self.function_arn = function_arn
        self.env = dict(env)
        self._owner = f"{function.name}@{id(self)}"
        with _environment(self._owner, self.env):  # module-level code often reads os.environ
            self.handler = resolve_handler(function)
        api_calls.install()
        self._stopped = False

    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        logs: list[tuple[str, str]] = []
        made: list[dict[str, Any]] = []
        with _environment(self._owner, self.env), logcapture.capture(lambda s, line: logs.append((s, line))), \
                api_calls.recording(made):
            context = LambdaContext(function_name=self.function.name, memory_limit_in_mb=self.function.memory_size,
                                    invoked_function_arn=self.function_arn, timeout_s=self.function.timeout,
                                    aws_request_id=request_id)
            t0 = time.perf_counter()
            try:
                response = self.handler(event, context)
            except Exception as e:  # the user's code failed: a function error, not ours
                return InvocationResult(request_id, ok=False, error_type=type(e).__name__, error_message=str(e),
                                        traceback=traceback.format_exc(), logs=logs, calls=made,
                                        duration_ms=(time.perf_counter() - t0) * 1000)
            except BaseException as e:  # noqa: BLE001 - sys.exit() & co. end Lambda's runtime process: ExitError
                return InvocationResult(request_id, ok=False, error_type=EXIT_ERROR,
                                        error_message=exit_message(request_id, exit_status(e)),
                                        traceback=traceback.format_exc(), logs=logs, calls=made,
                                        duration_ms=(time.perf_counter() - t0) * 1000)
            duration = time.perf_counter() - t0
        if duration > self.function.timeout and sys.gettrace() is None:
            return InvocationResult(request_id, ok=False, error_type="Sandbox.Timedout",
                                    error_message=f"Task timed out after {self.function.timeout:.2f} seconds",
                                    logs=logs, calls=made, duration_ms=duration * 1000)
        return InvocationResult(request_id, ok=True, response=response, logs=logs, calls=made,
                                duration_ms=duration * 1000)

    def hold_environment(self) -> AbstractContextManager[None]:
        """Keep this function's environment applied across several invocations (``with``): the
        EventBridge dispatcher delivers runs of events to one function without re-applying it."""
        return _environment(self._owner, self.env)

    def stop(self) -> None:
        """The handler lives in this process: only the API-call hook is released."""
        if not self._stopped:
            self._stopped = True
            api_calls.uninstall()
