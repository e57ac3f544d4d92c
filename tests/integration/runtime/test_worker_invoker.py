"""Functions with ``invoker="worker"`` on the embedded backend: handlers run in worker processes."""
from __future__ import annotations

import os
from typing import Any

from harness import EventSourceMapping, Function, Table, Topology


def where_am_i(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A handler (this module is imported again inside the worker process)."""
    print(f"handled {len(event['Records'])} record(s)")
    return {"pid": os.getpid(), "parent": os.getppid(), "keys": [r["dynamodb"]["Keys"] for r in event["Records"]]}


def _topology(handler: str, **env: str) -> Topology:
    return Topology(name="wrk", tables=[Table("items", "k"), Table("copies", "k")],
                    functions=[Function("fn", handler, timeout=7, memory_size=512, invoker="worker",
                                        env={"TABLE": "${table:items}", "TARGET": "${table:copies}", **env})],
                    event_source_mappings=[EventSourceMapping("fn", "items", name="m")])


def test_a_table_write_reaches_the_handler_in_a_worker_process(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("test_worker_invoker:where_am_i"))
    h.client("dynamodb").put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}})
    h.drain(20)
    (result,) = h.trace.of("result")
    out = result["response"]
    assert out["pid"] != os.getpid() and out["parent"] == os.getpid()
    assert out["keys"] == [{"k": {"S": "a"}}]
    assert result["cold_start"] is True and result["init_duration_ms"] > 0
    logs = h.trace.of("log", request_id=result["request_id"])
    assert ("stdout", "handled 1 record(s)") in [(e["stream"], e["message"]) for e in logs]
    assert h.runtime.invokers["fn"].worker_pids == [out["pid"]]  # type: ignore[attr-defined]


def test_the_worker_gets_the_lambda_context_and_environment(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("esm_handlers:introspect", MARKER="set-before-import"))
    h.client("dynamodb").put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}})
    h.drain(20)
    (result,) = h.trace.of("result")
    out = result["response"]
    assert out["function_name"] == "fn" and out["memory_limit_in_mb"] == 512
    assert out["invoked_function_arn"] == f"arn:aws:lambda:{h.backend.region}:{h.backend.account_id}:function:fn"
    assert out["aws_request_id"] == result["request_id"] and 0 < out["remaining_ms"] <= 7000
    assert out["env"] == {"AWS_REGION": h.backend.region, "AWS_ENDPOINT_URL_DYNAMODB": h.backend.endpoints["dynamodb"],
                          "TABLE": h.table_name("items"), "AWS_LAMBDA_FUNCTION_NAME": "fn",
                          "AWS_ACCESS_KEY_ID": "testing"}
    assert out["at_import"] == "set-before-import"
    logs = h.trace.of("log", request_id=result["request_id"])
    assert [(e["stream"], e["message"]) for e in logs] == [("stdout", "hello from the handler")]


def test_plain_boto3_in_a_worker_reaches_the_backend(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("esm_handlers:copy_to_other_table"))
    ddb = h.client("dynamodb")
    ddb.put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}, "v": {"N": "3"}})
    h.drain(20)
    assert not h.trace.of("error")
    copied = ddb.get_item(TableName=h.table_name("copies"), Key={"k": {"S": "a"}})["Item"]
    assert copied == {"k": {"S": "a"}, "v": {"N": "3"}}
    (call,) = h.trace.of("api_call")  # recorded in the worker, as the in-process invoker records them
    assert (call["operation"], call["resource"], call["items_written"]) == ("PutItem", h.table_name("copies"), 1)
    pids = h.runtime.invokers["fn"].worker_pids  # type: ignore[attr-defined]
    h.stop()
    assert pids and all(not os.path.exists(f"/proc/{pid}") for pid in pids)  # stop() ended and reaped them
