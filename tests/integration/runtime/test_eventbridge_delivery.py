"""EventBridge on the embedded backend: PutEvents -> rules -> Lambda / SQS targets, end to end."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import module_state

from harness import (
    AsyncInvokeOptions,
    DeliveryOptions,
    EventBus,
    EventInvokeConfig,
    Function,
    InputTransformer,
    Queue,
    RetryPolicy,
    Rule,
    Target,
    Topology,
)
from harness.patterns import compile_pattern

HANDLERS = "eventbridge_handlers"
FAST = DeliveryOptions(retry_backoff_base_s=0.002, retry_backoff_max_s=0.01)
FAST_ASYNC = AsyncInvokeOptions(retry_backoff_base_s=0.002, retry_backoff_max_s=0.01)


def _topology(*rules: Rule, functions: tuple[str, ...] = ("record",), env: dict[str, str] | None = None,
              queues: tuple[str, ...] = ("q", "dlq"), **function: Any) -> Topology:
    """``function``: more Function parameters, for every function (event_invoke_config, dead_letter_queue)."""
    return Topology(name="eb", event_buses=[EventBus("orders")], queues=[Queue(q) for q in queues],
                    functions=[Function(f, f"{HANDLERS}:{f}", env=env or {}, **function) for f in functions],
                    rules=list(rules))


def _entry(h: Any, detail: dict[str, Any], source: str = "shop", bus: str = "orders", **extra: Any) -> dict[str, Any]:
    return {"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(detail),
            "EventBusName": h.bus_name(bus), **extra}


def _calls(h: Any, function: str) -> list[Any]:
    return module_state(h, function)["CALLS"]  # type: ignore[no-any-return]


def _receive_all(h: Any, queue: str, **kwargs: Any) -> list[dict[str, Any]]:
    sqs, url = h.client("sqs"), h.queue_url(queue)
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **kwargs).get("Messages", [])
        if not got:
            return out
        out += got
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_put_events_from_test_code_reach_a_lambda_and_an_sqs_target(harness_for):  # type: ignore[no-untyped-def]
    rule = Rule("orders", {"source": ["shop"]}, bus="orders",
                targets=[Target("fn", "function:record"), Target("q", "queue:q", input_path="$.detail")])
    h = harness_for(_topology(rule))
    assert h.environment()["AWS_ENDPOINT_URL_EVENTBRIDGE"] == h.backend.endpoints["events"]
    response = h.client("events").put_events(
        Entries=[_entry(h, {"n": i}) for i in range(3)] + [_entry(h, {"n": 9}, source="other")])
    assert response["FailedEntryCount"] == 0
    h.drain(10)
    events = sorted(_calls(h, "record"), key=lambda e: e["detail"]["n"])
    assert [e["detail"] for e in events] == [{"n": 0}, {"n": 1}, {"n": 2}]
    first = events[0]
    assert first["id"] == response["Entries"][0]["EventId"]
    assert {k: first[k] for k in ("version", "source", "detail-type", "account", "region", "resources")} == {
        "version": "0", "source": "shop", "detail-type": "Order Placed", "account": h.backend.account_id,
        "region": h.backend.region, "resources": []}
    assert datetime.strptime(first["time"], "%Y-%m-%dT%H:%M:%SZ")
    bodies = sorted(json.loads(m["Body"])["n"] for m in _receive_all(h, "q"))
    assert bodies == [0, 1, 2]
    bus_events = h.trace.of("bus_event", bus="orders")
    assert len(bus_events) == 4
    assert sorted(len(e["matched_rules"]) for e in bus_events) == [0, 1, 1, 1]
    assert len(h.trace.of("delivery", rule="orders", ok=True)) == 6
    assert h.dispatcher.stats["succeeded"] == 6


def test_a_handler_puts_events_with_plain_boto3_and_they_are_routed(harness_for):  # type: ignore[no-untyped-def]
    relay = Rule("relay", {"source": ["trigger"]}, targets=[Target("pub", "function:publish")])
    relayed = Rule("relayed", {"source": ["from-handler"]}, bus="orders",
                   targets=[Target("rec", "function:record"), Target("q", "queue:q")])
    h = harness_for(_topology(relay, relayed, functions=("publish", "record"), env={"BUS": "${bus:orders}"}))
    h.client("events").put_events(Entries=[_entry(h, {"order": "o-1"}, source="trigger", bus="default")])
    h.drain(10)
    [event] = _calls(h, "record")
    assert event["source"] == "from-handler" and event["detail"] == {"relayed": {"order": "o-1"}, "by": "publish"}
    [message] = _receive_all(h, "q")
    assert json.loads(message["Body"])["id"] == event["id"]
    [call] = h.trace.of("api_call", function="publish", operation="PutEvents")
    assert call["failed_entry_count"] == 0 and call["resource"] == h.bus_name("orders")


def test_a_disabled_rule_does_not_deliver_until_enabled(harness_for):  # type: ignore[no-untyped-def]
    rule = Rule("off", {"source": ["shop"]}, bus="orders", state="DISABLED", targets=[Target("fn", "function:record")])
    h = harness_for(_topology(rule))
    events = h.client("events")
    events.put_events(Entries=[_entry(h, {"n": 1})])
    h.drain(10)
    assert _calls(h, "record") == [] and h.trace.of("bus_event")[0]["matched_rules"] == []
    assert events.describe_rule(Name=h.rule_name("off"), EventBusName=h.bus_name("orders"))["State"] == "DISABLED"
    events.enable_rule(Name=h.rule_name("off"), EventBusName=h.bus_name("orders"))
    events.put_events(Entries=[_entry(h, {"n": 2})])
    h.drain(10)
    assert [e["detail"]["n"] for e in _calls(h, "record")] == [2]


def test_input_transformer_output_at_lambda_and_sqs_targets(harness_for):  # type: ignore[no-untyped-def]
    transformer = InputTransformer(
        '{"order": <order>, "total": <total>, "items": <items>, "note": "order <order> by \\"<who>\\"", '
        '"rule": <aws.events.rule-name>, "missing": <gone>}',
        {"order": "$.detail.order-id", "total": "$.detail.total", "items": "$.detail.items[*].sku",
         "who": "$.detail.customer.name", "gone": "$.detail.nothing"})
    text = InputTransformer('"Order <order> placed"', {"order": "$.detail.order-id"})
    rule = Rule("orders", {"source": ["shop"]}, bus="orders", targets=[
        Target("fn", "function:record", input_transformer=transformer),
        Target("q", "queue:q", input_transformer=transformer), Target("text", "queue:dlq", input_transformer=text)])
    h = harness_for(_topology(rule))
    detail = {"order-id": "o-7", "total": 12.5, "items": [{"sku": "a"}, {"sku": "b"}], "customer": {"name": "Ann"}}
    h.client("events").put_events(Entries=[_entry(h, detail)])
    h.drain(10)
    expected = {"order": "o-7", "total": 12.5, "items": ["a", "b"], "note": 'order o-7 by "Ann"',
                "rule": h.rule_name("orders"), "missing": None}  # the rule's deployed name
    assert _calls(h, "record") == [expected]
    [message] = _receive_all(h, "q")
    assert json.loads(message["Body"]) == expected and ", " not in message["Body"]  # minified JSON text
    assert [m["Body"] for m in _receive_all(h, "dlq")] == ['"Order o-7 placed"']


def test_per_entry_errors_and_failed_entry_count(harness_for):  # type: ignore[no-untyped-def]
    rule = Rule("orders", {"source": ["shop"]}, bus="orders", targets=[Target("fn", "function:record")])
    h = harness_for(_topology(rule))
    good = _entry(h, {"n": 1})
    response = h.client("events").put_events(Entries=[
        good, {**good, "Detail": "{not json"}, {k: v for k, v in good.items() if k != "Detail"},
        {**good, "EventBusName": "no-such-bus"}, {**good, "Source": "aws.s3"}, {**good, "Detail": '"a string"'}])
    assert response["FailedEntryCount"] == 5
    codes = [e.get("ErrorCode") for e in response["Entries"]]
    assert codes == [None, "MalformedDetail", "InvalidArgument", "ResourceNotFoundException",
                     "NotAuthorizedForSourceException", "MalformedDetail"]
    assert response["Entries"][2]["ErrorMessage"] == "Parameter Detail is not valid. Reason: Detail is a required " \
                                                     "argument."
    h.drain(10)
    assert [e["id"] for e in _calls(h, "record")] == [response["Entries"][0]["EventId"]]
    with pytest.raises(ClientError) as too_big:
        h.client("events").put_events(Entries=[{**good, "Detail": json.dumps({"p": "x" * 262_144})}])
    assert too_big.value.response["Error"]["Code"] == "ValidationException"
    assert "over the limit" in too_big.value.response["Error"]["Message"]


def test_time_given_to_put_events_is_the_event_time(harness_for):  # type: ignore[no-untyped-def]
    rule = Rule("orders", {"source": ["shop"]}, bus="orders", targets=[Target("fn", "function:record")])
    h = harness_for(_topology(rule))
    h.client("events").put_events(Entries=[_entry(h, {}, Time=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))])
    h.drain(10)
    assert _calls(h, "record")[0]["time"] == "2024-05-06T07:08:09Z"


def test_a_failing_lambda_target_is_retried_by_lambda_and_never_reaches_the_targets_dlq(harness_for):  # type: ignore[no-untyped-def]
    """EventBridge invokes Lambda asynchronously: delivery succeeds once Lambda accepts the event; the
    function's errors are Lambda's to retry (1 + 2 by default), then its OnFailure destination gets AWS's record."""
    rule = Rule("orders", {"source": ["shop"]}, bus="orders", targets=[Target(
        "bad", "function:always_fails", retry_policy=RetryPolicy(maximum_retry_attempts=5),
        dead_letter_queue="queue:dlq")])
    topology = _topology(rule, functions=("always_fails",), queues=("q", "dlq", "failures"),
                         event_invoke_config=EventInvokeConfig(on_failure="queue:failures"))
    h = harness_for(topology, eventbridge=FAST, async_invoke=FAST_ASYNC)
    [entry] = h.client("events").put_events(Entries=[_entry(h, {"n": 1})])["Entries"]
    h.drain(10)
    assert len(_calls(h, "always_fails")) == 3  # the first attempt and Lambda's 2 retries, not the target's 5
    assert [e["error_type"] for e in h.trace.of("error", function="always_fails")] == ["ValueError"] * 3
    assert _receive_all(h, "dlq") == []  # the rule target's DLQ: only what EventBridge could not deliver
    assert [(d["attempt"], d["ok"]) for d in h.trace.of("delivery", target="bad")] == [(1, True)]
    [message] = _receive_all(h, "failures")
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == \
        f"arn:aws:lambda:{h.backend.region}:{h.backend.account_id}:function:always_fails:$LATEST"
    assert record["requestPayload"]["id"] == entry["EventId"] and record["requestPayload"]["detail"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "poison"
    assert set(record) == {"version", "timestamp", "requestContext", "requestPayload", "responseContext",
                           "responsePayload"}


def test_a_target_function_that_does_not_exist_is_dead_lettered_at_once(harness_for):  # type: ignore[no-untyped-def]
    rule = Rule("orders", {"source": ["shop"]}, bus="orders")
    h = harness_for(_topology(rule), eventbridge=FAST)
    ghost = f"arn:aws:lambda:{h.backend.region}:{h.backend.account_id}:function:ghost"
    events = h.client("events")
    events.put_targets(Rule=h.rule_name("orders"), EventBusName=h.bus_name("orders"), Targets=[
        {"Id": "ghost", "Arn": ghost, "DeadLetterConfig": {"Arn": h.deployment.queues["dlq"].arn}}])
    events.put_events(Entries=[_entry(h, {})])
    h.drain(10)
    [message] = _receive_all(h, "dlq", MessageAttributeNames=["All"])
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_RESOURCE" and attributes["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes and len(h.trace.of("delivery")) == 1


def test_drain_waits_for_pending_deliveries(harness_for):  # type: ignore[no-untyped-def]
    rule = Rule("orders", {"source": ["shop"]}, bus="orders", targets=[Target("fn", "function:slow")])
    h = harness_for(_topology(rule, functions=("slow",), env={"SLOW_S": "0.4"}))
    h.client("events").put_events(Entries=[_entry(h, {"n": 1})])
    t0 = time.monotonic()
    h.drain(10)
    assert time.monotonic() - t0 >= 0.3
    assert [e["detail"] for e in _calls(h, "slow")] == [{"n": 1}]
    assert h.dispatcher.pending() == []


@pytest.mark.harness_unbalanced  # stuck on purpose: drain must name what is in flight
def test_drain_reports_an_asynchronous_invocation_still_retrying(harness_for):  # type: ignore[no-untyped-def]
    from harness import DrainTimeout

    rule = Rule("orders", {"source": ["shop"]}, bus="orders", targets=[Target("bad", "function:always_fails")])
    slow_retries = AsyncInvokeOptions(retry_backoff_base_s=5, retry_backoff_max_s=5, jitter=False)
    h = harness_for(_topology(rule, functions=("always_fails",)), eventbridge=FAST, async_invoke=slow_retries)
    h.client("events").put_events(Entries=[_entry(h, {})])
    with pytest.raises(DrainTimeout, match="function always_fails .*retrying after attempt 1: ValueError: poison"):
        h.drain(0.5)


PATTERNS_AND_EVENTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"source": ["shop"]}, {"source": "shop"}),
    ({"source": ["shop"]}, {"source": "other"}),
    ({"detail": {"total": [{"numeric": [">", 10, "<=", 20]}]}}, {"detail": {"total": 15}}),
    ({"detail": {"total": [{"numeric": [">", 10]}]}}, {"detail": {"total": "15"}}),
    ({"detail": {"state": [{"anything-but": ["pending", "stopped"]}]}}, {"detail": {"state": "running"}}),
    ({"detail": {"tags": ["blue"]}}, {"detail": {"tags": ["red", "blue"]}}),
    ({"detail": {"a": [{"exists": True}], "b": [{"exists": False}]}}, {"detail": {"a": 1}}),
    ({"detail": {"a": [{"exists": True}]}}, {"detail": {"a": {"nested": 1}}}),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"detail": {"ip": "10.0.0.77"}}),
    ({"detail": {"v": [None]}}, {"detail": {"v": ""}}),
    ({"detail": {"name": [{"wildcard": "order-*-eu"}]}}, {"detail": {"name": "order-7-eu"}}),
    ({"$or": [{"source": ["a"]}, {"detail": {"n": [1]}}]}, {"source": "b", "detail": {"n": 1}}),
    ({"detail": {"items": {"sku": [{"prefix": {"equals-ignore-case": "ab"}}]}}},
     {"detail": {"items": [{"sku": "x"}, {"sku": "AB-1"}]}}),
]


@pytest.mark.parametrize(("pattern", "event"), PATTERNS_AND_EVENTS)
def test_test_event_pattern_via_boto3_agrees_with_the_matcher(backend, pattern, event):  # type: ignore[no-untyped-def]
    full = {"id": "1", "account": backend.account_id, "time": "2024-01-01T00:00:00Z", "region": backend.region,
            "detail-type": "t", "resources": [], "source": "x", "detail": {}, **event}
    result = backend.client("events").test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(full))
    assert result["Result"] is compile_pattern(pattern, dialect="eventbridge").matches(full)


def test_test_event_pattern_refuses_what_aws_refuses(backend):  # type: ignore[no-untyped-def]
    events = backend.client("events")
    full = json.dumps({"id": "1", "account": "1", "time": "t", "region": "r", "detail-type": "t", "source": "s",
                       "resources": []})
    with pytest.raises(ClientError) as invalid:
        events.test_event_pattern(EventPattern='{"source": "s"}', Event=full)
    assert invalid.value.response["Error"]["Code"] == "InvalidEventPatternException"
    for partial in ('{"source": "s"}', full.replace('"resources"', '"resource"')):  # AWS's mandatory fields
        with pytest.raises(ClientError) as refused:
            events.test_event_pattern(EventPattern='{"source": ["s"]}', Event=partial)
        assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_plain_boto3_in_test_code_reaches_the_endpoint(harness_for):  # type: ignore[no-untyped-def]
    rule = Rule("orders", {"source": ["shop"]}, bus="orders", targets=[Target("fn", "function:record")])
    h = harness_for(_topology(rule))
    boto3.client("events").put_events(Entries=[_entry(h, {"plain": True})])
    h.drain(10)
    assert _calls(h, "record")[0]["detail"] == {"plain": True}
