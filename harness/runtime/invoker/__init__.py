"""The invoker: runs users' handlers unmodified with a Lambda-like context and environment."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from harness.runtime.invoker.context import LambdaContext
from harness.runtime.invoker.inprocess import (
    HandlerImportError,
    InProcessInvoker,
    lambda_environment,
    resolve_handler,
)
from harness.runtime.invoker.result import EXIT_ERROR, InvocationResult, exit_message
from harness.runtime.invoker.worker import WorkerInvoker


class Invoker(Protocol):
    """What the runtime needs of an invoker (in-process or worker processes)."""

    def invoke(self, event: Any, request_id: str) -> InvocationResult: ...

    def hold_environment(self) -> AbstractContextManager[None]:
        """Keep the function's environment applied across several invocations (a no-op where each
        execution environment has its own, e.g. worker processes)."""
        ...

    def stop(self) -> None: ...


#: Function.invoker -> the class that runs it; every invoker has ``invoke(event, request_id)`` and ``stop()``.
INVOKERS: dict[str, type] = {"in-process": InProcessInvoker, "worker": WorkerInvoker}

__all__ = ["EXIT_ERROR", "INVOKERS", "HandlerImportError", "InProcessInvoker", "InvocationResult", "Invoker", "LambdaContext",
           "WorkerInvoker", "exit_message", "lambda_environment", "resolve_handler"]
