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

__all__ = ["HandlerImportError", "InProcessInvoker", "InvocationResult", "LambdaContext",
           "lambda_environment", "resolve_handler"]
