"""Handlers run by the worker invoker's unit tests, each in a worker process."""
from __future__ import annotations

import ctypes
import decimal
import logging
import os
import socket
import sys
import threading
from typing import Any

AT_IMPORT = os.environ.get("WORKER_T_AT_IMPORT", "")
COUNT = 0
print("printed at import")


def echo(event: Any, context: Any) -> Any:
    return {"event": event, "pid": os.getpid()}


def trivial(event: Any, context: Any) -> int:
    return 1


def count(event: Any, context: Any) -> dict[str, int]:
    global COUNT
    COUNT += 1
    return {"count": COUNT, "pid": os.getpid()}


def introspect(event: Any, context: Any) -> dict[str, Any]:
    return {
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "at_import": AT_IMPORT,
        "env": {k: os.environ.get(k) for k in ("WORKER_T_AT_IMPORT", "AWS_LAMBDA_FUNCTION_NAME",
                                               "AWS_LAMBDA_LOG_STREAM_NAME", "PATH")},
        "sys_path_has_tests": any(p.endswith(os.path.join("tests", "unit", "runtime", "invoker")) for p in sys.path),
    }


def rendezvous(event: dict[str, str], context: Any) -> int:
    """Connects to the test's socket, then waits for its go: the test sends it only once every invocation
    it expects is connected, i.e. running at the same time."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(event["socket"])
        s.recv(1)
    return os.getpid()


def wait_for_fifo(event: dict[str, str], context: Any) -> int:
    """Blocks until the test opens the FIFO for writing and closes it."""
    with open(event["fifo"], "rb") as f:
        f.read()
    return os.getpid()


def exits(event: dict[str, Any], context: Any) -> None:
    print("last words")
    how = event["how"]
    if how == "os._exit":
        os._exit(event.get("code", 3))
    elif how == "sys.exit":
        sys.exit(event.get("code"))
    elif how == "segfault":
        ctypes.string_at(0)


def fails(event: Any, context: Any) -> None:
    _deeper(event)


def _deeper(event: Any) -> None:
    raise ValueError(f"bad event {event!r}")


def chatty(event: Any, context: Any) -> str:
    print("to stdout")
    print("to stderr", file=sys.stderr)
    logging.getLogger("worker.test").warning("a warning for %s", context.aws_request_id)
    sys.stdout.write("two\nlines\npartial")
    return "done"


def not_json(event: Any, context: Any) -> Any:
    return {"a set": {1, 2}}


def decimals(event: Any, context: Any) -> Any:
    return {"int": decimal.Decimal("3"), "float": decimal.Decimal("2.5")}


def raw_bytes(event: Any, context: Any) -> bytes:
    return b"\x00raw"


def pid(event: Any, context: Any) -> int:
    return os.getpid()


NOT_CALLABLE = 42


def announce_then_hang(event: dict[str, str], context: Any) -> None:
    """Tells the test it is running (a byte on a FIFO), then never returns."""
    with open(event["fifo"], "wb") as f:
        f.write(b"!")
    threading.Event().wait()


def maybe_hang(event: dict[str, bool], context: Any) -> int:
    if event.get("hang"):
        print("about to hang")
        threading.Event().wait()
    return os.getpid()


def calls_aws(event: Any, context: Any) -> str:
    """Imports boto3 during its first invocation, then makes a (stubbed: no network) DynamoDB call."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("dynamodb", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stub:
        stub.add_response("put_item", {}, {"TableName": "t", "Item": {"k": {"S": "v"}}})
        client.put_item(TableName="t", Item={"k": {"S": "v"}})
    return "called"
