"""Lambda's asynchronous invocation behind EventBridge targets, end to end on the embedded backend:
the function's event invoke config, its destinations and its dead-letter queue."""
from __future__ import annotations

import json
from typing import Any

from test_eventbridge_delivery import FAST, FAST_ASYNC, _calls, _entry, _receive_all, _topology

from harness import EventInvokeConfig, Rule, Target


def _run(harness_for: Any, function: str, queues: tuple[str, ...] = ("q", "dlq"), **config: Any) -> Any:
    rule = Rule("orders", {"source": ["shop"]}, bus="orders",
                targets=[Target("fn", f"function:{function}", dead_letter_queue="queue:dlq")])
    h = harness_for(_topology(rule, functions=(function,), queues=queues, **config), eventbridge=FAST,
                    async_invoke=FAST_ASYNC)
    [entry] = h.client("events").put_events(Entries=[_entry(h, {"n": 1})])["Entries"]
    h.drain(10)
    return h, entry


def test_maximum_retry_attempts_zero_invokes_once(harness_for):  # type: ignore[no-untyped-def]
    h, _ = _run(harness_for, "always_fails", queues=("q", "dlq", "failures"),
                event_invoke_config=EventInvokeConfig(maximum_retry_attempts=0, on_failure="queue:failures"))
    assert len(_calls(h, "always_fails")) == 1 and _receive_all(h, "dlq") == []
    [message] = _receive_all(h, "failures")
    assert json.loads(message["Body"])["requestContext"]["approximateInvokeCount"] == 1


def test_on_success_destination_receives_the_response(harness_for):  # type: ignore[no-untyped-def]
    h, entry = _run(harness_for, "record", queues=("q", "dlq", "done"),
                    event_invoke_config={"DestinationConfig": {"OnSuccess": {"Destination": "queue:done"}}})
    [message] = _receive_all(h, "done")
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"seen": 1} and record["requestPayload"]["id"] == entry["EventId"]
    [sent] = h.trace.of("async_destination")
    assert sent["type"] == "OnSuccess" and sent["ok"] is True


def test_the_functions_dead_letter_queue_receives_the_event(harness_for):  # type: ignore[no-untyped-def]
    h, entry = _run(harness_for, "always_fails", queues=("q", "dlq", "fn-dlq"), dead_letter_queue="queue:fn-dlq")
    assert len(_calls(h, "always_fails")) == 3 and _receive_all(h, "dlq") == []
    [message] = _receive_all(h, "fn-dlq", MessageAttributeNames=["All"])
    assert json.loads(message["Body"])["id"] == entry["EventId"]  # the event itself, no record around it
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    [first] = h.trace.of("invoke", function="always_fails")[:1]
    assert attributes == {"RequestID": first["request_id"], "ErrorCode": "200", "ErrorMessage": "ValueError: poison"}


def test_without_destination_or_dlq_the_event_is_dropped_and_accounted(harness_for):  # type: ignore[no-untyped-def]
    h, _ = _run(harness_for, "always_fails")
    assert _receive_all(h, "dlq") == []
    [dropped] = h.trace.of("async_destination")
    assert dropped["dropped"] is True and dropped["condition"] == "RetriesExhausted"
    assert h.runtime.async_invoker.function_stats() == {
        "always_fails": {"accepted": 1, "succeeded": 0, "failed": 0, "dropped": 1}}


def test_a_bus_destination_routes_the_record_as_a_lambda_event(harness_for):  # type: ignore[no-untyped-def]
    rules = [Rule("orders", {"source": ["shop"]}, bus="orders", targets=[Target("fn", "function:always_fails")]),
             Rule("results", {"source": ["lambda"]}, bus="orders", targets=[Target("audit", "queue:audit")])]
    config = EventInvokeConfig(maximum_retry_attempts=0, on_failure="bus:orders")
    h = harness_for(_topology(*rules, functions=("always_fails",), queues=("audit",), event_invoke_config=config),
                    eventbridge=FAST, async_invoke=FAST_ASYNC)
    h.client("events").put_events(Entries=[_entry(h, {"n": 1})])
    h.drain(10)
    [message] = _receive_all(h, "audit")
    event = json.loads(message["Body"])
    assert event["source"] == "lambda" and event["detail-type"] == "Lambda Function Invocation Result - Failure"
    assert event["detail"]["requestContext"]["condition"] == "RetriesExhausted"
    assert event["detail"]["requestPayload"]["detail"] == {"n": 1}
