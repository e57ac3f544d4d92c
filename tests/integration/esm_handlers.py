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


def _key(record: dict[str, Any]) -> str:
    return record["dynamodb"]["Keys"]["k"]["S"]


def poison(event: dict[str, Any], context: Any) -> None:
    """Fails any batch that contains the key named by POISON."""
    keys = [_key(r) for r in event["Records"]]
    CALLS.append({"keys": keys})
    if os.environ["POISON"] in keys:
        raise ValueError(f"poison record {os.environ['POISON']}")


def report_failures(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reports the records whose key is in FAIL_KEYS as failed, the first time each is seen.
    MALFORMED=1 makes the first response carry an identifier that is not in the batch."""
    keys = [_key(r) for r in event["Records"]]
    CALLS.append({"keys": keys})
    if os.environ.get("MALFORMED") and len(CALLS) == 1:
        return {"batchItemFailures": [{"itemIdentifier": "not-a-sequence-number"}]}
    failing = set(os.environ.get("FAIL_KEYS", "").split(",")) - FAILED_ONCE
    failures = []
    for r in event["Records"]:
        if _key(r) in failing:
            FAILED_ONCE.add(_key(r))
            failures.append({"itemIdentifier": r["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}


FAILED_ONCE: set[str] = set()


def powertools_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A user's handler built on aws-lambda-powertools' BatchProcessor."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def record_handler(record: Any) -> None:
        key = record.dynamodb.keys["k"]
        CALLS.append({"key": key})
        if key in os.environ["FAIL_KEYS"].split(",") and key not in FAILED_ONCE:
            FAILED_ONCE.add(key)
            raise RuntimeError(f"cannot process {key}")

    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=BatchProcessor(event_type=EventType.DynamoDBStreams), context=context)


def slow_keys(event: dict[str, Any], context: Any) -> None:
    """Notes each invocation's interval and keys, taking long enough for invocations to overlap."""
    start = time.monotonic()
    time.sleep(float(os.environ.get("SLEEP", "0.03")))
    CALLS.append({"start": start, "end": time.monotonic(),
                  "records": [(_key(r), r["dynamodb"]["NewImage"]["v"]["N"]) for r in event["Records"]]})


def tumbling_count(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Counts records per tumbling window in the state AWS carries between invocations."""
    CALLS.append({k: event[k] for k in ("window", "state", "isFinalInvokeForWindow", "shardId",
                                         "eventSourceARN", "isWindowTerminatedEarly")}
                 | {"records": len(event["Records"])})
    state = dict(event["state"])
    state["count"] = state.get("count", 0) + len(event["Records"])
    return {"state": state}


def sleeps_past_timeout(event: dict[str, Any], context: Any) -> None:
    CALLS.append({"remaining_ms_at_start": context.get_remaining_time_in_millis()})
    time.sleep(1.2)


def scans_the_table(event: dict[str, Any], context: Any) -> None:
    """Reads the whole table for every batch: the cost the API-call log makes visible."""
    import boto3

    boto3.client("dynamodb").scan(TableName=os.environ["TABLE"])


def dies_once(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Kills its own process the first time (a marker file remembers across processes)."""
    marker = os.environ["MARKER_FILE"]
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)
    return {"pid": os.getpid()}
