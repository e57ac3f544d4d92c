"""The one place a function is invoked: by an event source mapping's lane, by an EventBridge target.

``FunctionService.invoke`` runs the function's invoker (which applies its environment and captures
its logs and API calls) and traces the invocation the same way for every caller: ``invoke``, then
the handler's ``log`` lines and ``api_call``s, a ``worker`` event for a cold start, and ``result``
or ``error``. Whatever the invoker does, the caller gets an :class:`InvocationResult`: an invoker
that raises (even a BaseException) is a failed invocation, never a dead caller thread.

Interceptors see every invocation before the invoker does (``interceptor(request, proceed)``): the
seam where fault injection (throttles, timeouts, errors) hooks in, in one place for every caller.
"""
from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any

from harness.runtime.ids import IdSource
from harness.runtime.invoker import EXIT_ERROR, InvocationResult, Invoker, exit_message
from harness.runtime.invoker.result import exit_status
from harness.trace import Trace


@dataclass(frozen=True)
class InvocationRequest:
    """One invocation as its caller describes it."""

    function: str                    # the function's logical name (topology)
    event: Any                       # what the handler gets
    attempt: int = 1
    #: on the ``invoke``, ``result`` and ``error`` events: who invoked (mapping + batch_id, source + rule)
    tags: Mapping[str, Any] = field(default_factory=dict)
    #: on the ``invoke`` event only (shard, lane, size, target, event id, ...)
    invoke_fields: Mapping[str, Any] = field(default_factory=dict)
    #: the payload as the trace shows it, when it differs from ``event`` (None: ``event`` itself)
    view: Any = None
    request_id: str = ""             # empty: the service makes one
    #: whether the ``invoke`` event carries the payload (None: the service's default)
    trace_payload: bool | None = None


Proceed = Callable[[InvocationRequest], InvocationResult]
#: ``interceptor(request, proceed)`` returns a result, usually ``proceed(request)``'s.
Interceptor = Callable[[InvocationRequest, Proceed], InvocationResult]


class UnknownFunction(KeyError):
    """No function of that name runs in this harness."""


class FunctionService:
    def __init__(self, invokers: Mapping[str, Invoker], trace: Trace, *, ids: IdSource | None = None,
                 trace_payloads: bool = True) -> None:
        self.invokers = invokers
        self.trace = trace
        self.ids = ids or IdSource()
        self.trace_payloads = trace_payloads
        self.interceptors: list[Interceptor] = []

    def __contains__(self, function: str) -> bool:
        return function in self.invokers

    def invoker(self, function: str) -> Invoker:
        try:
            return self.invokers[function]
        except KeyError:
            raise UnknownFunction(f"no function {function!r} (functions: {', '.join(self.invokers) or 'none'})") \
                from None

    def hold_environment(self, function: str) -> AbstractContextManager[None]:
        """Keep ``function``'s environment applied across a run of its invocations (see Invoker)."""
        return self.invoker(function).hold_environment()

    def invoke(self, request: InvocationRequest) -> InvocationResult:
        if not request.request_id:
            request = replace(request, request_id=self.ids.request_id())
        emit, fn, rid = self.trace.emit, request.function, request.request_id
        with_payload = self.trace_payloads if request.trace_payload is None else request.trace_payload
        payload = {"event": request.event if request.view is None else request.view} if with_payload else {}
        emit("invoke", function=fn, **request.tags, **request.invoke_fields, request_id=rid, attempt=request.attempt,
             **payload)
        result = self._chain(0, request)
        for stream, line in result.logs:
            emit("log", function=fn, request_id=rid, stream=stream, message=line)
        for call in result.calls:
            emit("api_call", function=fn, request_id=rid, **call)
        cold: dict[str, Any] = {}
        if result.cold_start is not None:
            cold = {"cold_start": result.cold_start, "init_duration_ms": result.init_duration_ms}
        if result.cold_start:
            emit("worker", function=fn, request_id=rid, state="cold_start", init_duration_ms=result.init_duration_ms,
                 pid=result.worker_pid)
        if result.ok:
            emit("result", function=fn, **request.tags, request_id=rid, duration_ms=round(result.duration_ms, 3),
                 response=jsonable(result.response), **cold)
        else:
            emit("error", function=fn, **request.tags, request_id=rid, attempt=request.attempt,
                 duration_ms=round(result.duration_ms, 3), error_type=result.error_type,
                 error_message=result.error_message, traceback=result.traceback, **cold)
        return result

    def _chain(self, i: int, request: InvocationRequest) -> InvocationResult:
        if i < len(self.interceptors):
            return self.interceptors[i](request, lambda r: self._chain(i + 1, r))
        return self._call(request)

    def _call(self, request: InvocationRequest) -> InvocationResult:
        rid = request.request_id
        try:
            return self.invoker(request.function).invoke(request.event, rid)
        except UnknownFunction as e:
            return InvocationResult(rid, ok=False, error_type="ResourceNotFoundException", error_message=str(e))
        except (SystemExit, KeyboardInterrupt) as e:  # escaped the invoker: still the function's exit
            return InvocationResult(rid, ok=False, error_type=EXIT_ERROR, error_message=exit_message(rid, exit_status(e)),
                                    traceback=traceback.format_exc())
        except BaseException as e:  # noqa: BLE001 - an invoker bug must fail this invocation, not its caller's thread
            return InvocationResult(rid, ok=False, error_type="Runtime.Unknown",
                                    error_message=f"the invoker of function {request.function} failed: "
                                                  f"{type(e).__name__}: {e}", traceback=traceback.format_exc())


def jsonable(value: Any) -> Any:
    """``value`` if json can encode it (the trace is JSON lines), else its repr."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


__all__ = ["FunctionService", "Interceptor", "InvocationRequest", "Proceed", "UnknownFunction", "jsonable"]
