"""Handlers for the integration tests, written like users' handlers (module state, env config)."""
from __future__ import annotations

import os
import time
from typing import Any

CALLS: list[dict[str, Any]] = []   # one entry per invocation
FAILURES_LEFT = int(os.environ.get("FAIL_TIMES", "0"))
AT_IMPORT = os.environ.get("MARKER", "")


def record(event: dict[str, Any], context: Any) -> dict[str, Any]:
    CALLS.append({"t": time.time(), "records": event["Records"], "request_id": context.aws_request_id})
    return {"n": len(event["Records"])}


def flaky(event: dict[str, Any], context: Any) -> None:
    """Fails the first FAIL_TIMES invocations, then succeeds."""
    global FAILURES_LEFT
    CALLS.append({"t": time.time(), "records": event["Records"]})
    if FAILURES_LEFT > 0:
        FAILURES_LEFT -= 1
        raise RuntimeError(f"injected failure, {FAILURES_LEFT} left")


def always_fails(event: dict[str, Any], context: Any) -> None:
    CALLS.append({"t": time.time(), "records": event["Records"]})
    raise ValueError("poison")


def introspect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print("hello from the handler")
    return {
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {k: os.environ.get(k) for k in ("AWS_REGION", "AWS_ENDPOINT_URL_DYNAMODB", "TABLE",
                                               "AWS_LAMBDA_FUNCTION_NAME", "AWS_ACCESS_KEY_ID")},
        "at_import": AT_IMPORT,
    }


def copy_to_other_table(event: dict[str, Any], context: Any) -> None:
    """Writes through plain boto3: proves AWS_ENDPOINT_URL_* reaches the backend from handler code."""
    import boto3

    ddb = boto3.client("dynamodb")
    for r in event["Records"]:
        if r["eventName"] == "INSERT":
            ddb.put_item(TableName=os.environ["TARGET"], Item=r["dynamodb"]["NewImage"])
