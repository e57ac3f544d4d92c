"""The in-process invoker as handlers see it: context, environment, logs, errors, plain boto3."""
from __future__ import annotations

from harness import EventSourceMapping, Function, Table, Topology


def _topology(handler: str, **env: str) -> Topology:
    return Topology(name="inv", tables=[Table("items", "k"), Table("copies", "k")],
                    functions=[Function("fn", f"esm_handlers:{handler}", timeout=7, memory_size=512,
                                        env={"TABLE": "${table:items}", "TARGET": "${table:copies}", **env})],
                    event_source_mappings=[EventSourceMapping("fn", "items", name="m")])


def test_handler_gets_a_lambda_context_and_environment(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("introspect", MARKER="set-before-import"))
    h.client("dynamodb").put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}})
    h.drain(10)
    (result,) = h.trace.of("result")
    out = result["response"]
    assert out["function_name"] == "fn" and out["memory_limit_in_mb"] == 512
    assert out["invoked_function_arn"] == f"arn:aws:lambda:{h.backend.region}:{h.backend.account_id}:function:fn"
    assert out["aws_request_id"] == result["request_id"]
    assert 0 < out["remaining_ms"] <= 7000
    assert out["env"] == {"AWS_REGION": h.backend.region, "AWS_ENDPOINT_URL_DYNAMODB": h.backend.endpoints["dynamodb"],
                          "TABLE": h.table_name("items"), "AWS_LAMBDA_FUNCTION_NAME": "fn",
                          "AWS_ACCESS_KEY_ID": "testing"}
    assert out["at_import"] == "set-before-import"  # module-level code saw the function's env
    logs = h.trace.of("log", request_id=result["request_id"])
    assert [(e["stream"], e["message"]) for e in logs] == [("stdout", "hello from the handler")]


def test_handler_exception_is_recorded_with_its_traceback(harness_for):  # type: ignore[no-untyped-def]
    t = Topology(name="inv", tables=[Table("items", "k")], functions=[Function("fn", "esm_handlers:always_fails")],
                 event_source_mappings=[EventSourceMapping("fn", "items", name="m", maximum_retry_attempts=0)])
    h = harness_for(t)
    h.client("dynamodb").put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}})
    h.drain(10)
    (err,) = h.trace.of("error")
    assert err["error_type"] == "ValueError" and err["error_message"] == "poison"
    assert 'esm_handlers.py", line' in err["traceback"] and "raise ValueError" in err["traceback"]
    assert h.trace.of("give_up")[0]["condition"] == "RetryAttemptsExhausted"
    assert h.stats()["m"].dropped == 1  # no OnFailure destination: reported as dropped


def test_plain_boto3_in_a_handler_reaches_the_backend(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("copy_to_other_table"))
    ddb = h.client("dynamodb")
    ddb.put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}, "v": {"N": "3"}})
    h.drain(10)
    copied = ddb.get_item(TableName=h.table_name("copies"), Key={"k": {"S": "a"}})["Item"]
    assert copied == {"k": {"S": "a"}, "v": {"N": "3"}}


def test_handler_module_is_imported_fresh_per_run(harness_for):  # type: ignore[no-untyped-def]
    from conftest import module_state

    a = harness_for(_topology("record"))
    b = harness_for(_topology("record"))
    a.client("dynamodb").put_item(TableName=a.table_name("items"), Item={"k": {"S": "only-a"}})
    a.drain(10)
    b.drain(10)
    assert len(module_state(a, "fn")["CALLS"]) == 1
    assert module_state(b, "fn")["CALLS"] == []


def test_the_api_calls_a_handler_makes_are_in_the_trace(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("copy_to_other_table"))
    ddb = h.client("dynamodb")
    ddb.put_item(TableName=h.table_name("items"), Item={"k": {"S": "a"}})
    h.drain(10)
    (call,) = h.trace.of("api_call")
    (invoke,) = h.trace.of("invoke")
    assert call["request_id"] == invoke["request_id"] and call["function"] == "fn"
    assert (call["service"], call["operation"], call["resource"]) == ("dynamodb", "PutItem", h.table_name("copies"))
    assert call["items_written"] == 1 and call["duration_ms"] > 0
    assert not [e for e in h.trace.of("api_call") if e["operation"] == "PutItem" and e["resource"] ==
                h.table_name("items")], "the test's own write is not a handler call"


def test_a_scan_is_counted_as_items_scanned(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology("scans_the_table"))
    ddb = h.client("dynamodb")
    with h.paused("m"):
        for k in "abc":
            ddb.put_item(TableName=h.table_name("items"), Item={"k": {"S": k}})
    h.drain(10)
    (call,) = h.trace.of("api_call")
    assert call["operation"] == "Scan" and call["items_scanned"] == 3 and call["items_read"] == 3
