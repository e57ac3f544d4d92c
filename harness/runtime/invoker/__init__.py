"""The invoker: runs users' handlers unmodified with a Lambda-like context and environment."""
from __future__ import annotations

from harness.runtime.invoker.context import LambdaContext
from harness.runtime.invoker.inprocess import (
    HandlerImportError,
    InProcessInvoker,
    InvocationResult,
    lambda_environment,
    resolve_handler,
)

#: Function.invoker -> the class that runs it; every invoker has ``invoke(event, request_id)`` and ``stop()``.
INVOKERS: dict[str, type] = {"in-process": InProcessInvoker}

__all__ = ["INVOKERS", "HandlerImportError", "InProcessInvoker", "InvocationResult", "LambdaContext",
           "lambda_environment", "resolve_handler"]
