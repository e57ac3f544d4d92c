"""Handlers for test_core_invoker.py, imported by the InProcessInvoker like a user's module (not a test file)."""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

AT_IMPORT = os.environ.get("CORE_T_AT_IMPORT")  # read by module-level code, as handlers often do
CALLS: list[Any] = []
ENTERED = threading.Event()
RELEASE = threading.Event()
log = logging.getLogger("core.handler")


def echo(event: Any, context: Any) -> dict[str, Any]:
    CALLS.append(event)
    return {"event": event, "calls": len(CALLS)}


def fails(event: Any, context: Any) -> None:
    print(f"about to fail on {event['id']}")
    raise ValueError(f"poison {event['id']}")


def env_probe(event: Any, context: Any) -> dict[str, str | None]:
    return {k: os.environ.get(k) for k in event["keys"]}


def context_probe(event: Any, context: Any) -> dict[str, Any]:
    return {"function_name": context.function_name, "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn, "aws_request_id": context.aws_request_id,
            "function_version": context.function_version, "log_group_name": context.log_group_name,
            "remaining_ms": context.get_remaining_time_in_millis()}


def chatty(event: Any, context: Any) -> str:
    print(f"hello {event['n']}")
    print("two\nlines")
    sys.stderr.write("to stderr\n")
    log.warning("warned %s", event["n"])
    print("no newline at the end", end="")
    return "done"


def gated(event: Any, context: Any) -> None:
    print("inside: before")
    ENTERED.set()
    RELEASE.wait(10)
    print("inside: after")


def slow(event: Any, context: Any) -> str:
    start = time.monotonic()
    while time.monotonic() - start < event["seconds"]:  # busy-wait: overrun the function's Timeout
        pass
    return "finished late"
