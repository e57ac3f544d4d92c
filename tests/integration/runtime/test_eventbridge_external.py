"""External EventBridge mode against moto's EventBridge (``EmbeddedBackend(eventbridge="moto")``): the
backend routes, Lambda targets are fed from delivery queues, a capture-all rule audits the routing."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import harness_factory, module_state

from harness import AsyncInvokeOptions, DeliveryOptions, EventBus, Function, Harness, Queue, RetryPolicy, Rule, Target, Topology
from harness.backends import EmbeddedBackend
from harness.deploy.external import capture_rule_name, delivery_queue_name

HANDLERS = "eventbridge_handlers"
QUICK = DeliveryOptions(retry_backoff_base_s=0.002, retry_backoff_max_s=0.01)


@pytest.fixture(scope="module")
def moto_events() -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(dynamodb="moto", eventbridge="moto")
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def external_for(moto_events: EmbeddedBackend, request: pytest.FixtureRequest) -> Iterator[Callable[..., Harness]]:
    yield from harness_factory(moto_events, prefix="x", node=request.node)


def _topology(*rules: Rule, functions: tuple[str, ...] = ("record",)) -> Topology:
    return Topology(name="ebx", event_buses=[EventBus("orders")], queues=[Queue("q"), Queue("dlq")],
                    functions=[Function(f, f"{HANDLERS}:{f}") for f in functions], rules=list(rules))


def _put(h: Harness, *details: dict[str, Any], source: str = "shop") -> list[str]:
    response = h.client("events").put_events(Entries=[
        {"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(d), "EventBusName": h.bus_name("orders")}
        for d in details])
    assert response["FailedEntryCount"] == 0, response
    return [e["EventId"] for e in response["Entries"]]


def _calls(h: Harness, function: str) -> list[Any]:
    return module_state(h, function)["CALLS"]  # type: ignore[no-any-return]


def test_deploy_creates_delivery_and_capture_queues(external_for, moto_events):  # type: ignore[no-untyped-def]
    assert moto_events.capabilities.external_eventbridge and moto_events.eventbridge is None
    assert moto_events.endpoints["events"] == moto_events.endpoints["sqs"]
    rule = Rule("orders", {"source": ["shop"]}, bus="orders",
                targets=[Target("fn", "function:record"), Target("q", "queue:q")])
    h = external_for(_topology(rule))
    events, sqs, prefix = h.client("events"), h.client("sqs"), h.prefix
    targets = {t["Id"]: t["Arn"] for t in events.list_targets_by_rule(Rule=h.rule_name("orders"),
                                                                        EventBusName=h.bus_name("orders"))["Targets"]}
    dq = delivery_queue_name(prefix, "orders", "fn")
    assert targets == {"fn": h.deployment.delivery_queues[dq].arn, "q": h.deployment.queues["q"].arn}
    assert targets["fn"].endswith(":" + dq)
    capture = capture_rule_name(prefix, "orders")
    assert events.describe_rule(Name=capture, EventBusName=h.bus_name("orders"))["State"] == "ENABLED"
    tags = sqs.list_queue_tags(QueueUrl=h.deployment.delivery_queues[dq].url)["Tags"]
    assert tags == {"streamharness:topology": "ebx", "streamharness:run": h.deployment.run_id}
    h.stop()
    names = {u.rsplit("/", 1)[-1] for u in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])}
    assert names == set()
    assert not events.list_rules(NamePrefix=prefix, EventBusName="default")["Rules"]


def test_put_events_reach_the_function_through_its_delivery_queue(external_for):  # type: ignore[no-untyped-def]
    rule = Rule("orders", {"source": ["shop"]}, bus="orders",
                targets=[Target("fn", "function:record"), Target("q", "queue:q")])
    h = external_for(_topology(rule))
    ids = _put(h, {"n": 0}, {"n": 1}, {"n": 2}) + _put(h, {"n": 9}, source="other")
    h.drain(15)
    calls = sorted(_calls(h, "record"), key=lambda e: e["detail"]["n"])
    assert [e["detail"] for e in calls] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [e["id"] for e in calls] == ids[:3]
    assert {(e["source"], e["detail-type"]) for e in calls} == {("shop", "Order Placed")}
    assert len(h.trace.of("delivery", rule="orders", ok=True)) == 3       # the dispatcher's own trace
    assert {e["event_id"] for e in h.trace.of("invoke", function="record")} == set(ids[:3])
    bus_events = h.trace.of("bus_event", bus="orders")
    assert sorted(e["event_id"] for e in bus_events) == sorted(ids)
    assert {e["event_id"]: e["matched_rules"] for e in bus_events} == {
        ids[0]: ["orders"], ids[1]: ["orders"], ids[2]: ["orders"], ids[3]: []}
    assert h.divergences() == []
    sqs = h.client("sqs")
    for dq in h.deployment.delivery_queues.values():  # deleted once the dispatcher took them
        attrs = sqs.get_queue_attributes(QueueUrl=dq.url, AttributeNames=["All"])["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_failing_function_is_retried_by_lambda_not_dead_lettered_by_the_target(external_for):  # type: ignore[no-untyped-def]
    rule = Rule("bad", {"source": ["shop"]}, bus="orders", targets=[Target(
        "bad", "function:always_fails", retry_policy=RetryPolicy(maximum_retry_attempts=5),
        dead_letter_queue="queue:dlq")])
    h = external_for(_topology(rule, functions=("always_fails",)), eventbridge=QUICK,
                     async_invoke=AsyncInvokeOptions(retry_backoff_base_s=0.002, retry_backoff_max_s=0.01))
    [event_id] = _put(h, {"order": "o-1"})
    h.drain(15)
    assert len(_calls(h, "always_fails")) == 3  # Lambda's 1 + 2, not the target's RetryPolicy
    assert [e["error_type"] for e in h.trace.of("error", function="always_fails")] == ["ValueError"] * 3
    sqs = h.client("sqs")
    assert "Messages" not in sqs.receive_message(QueueUrl=h.queue_url("dlq"), WaitTimeSeconds=0)
    assert h.trace.of("dead_letter") == []
    assert [(d["attempt"], d["ok"], d["event_id"]) for d in h.trace.of("delivery", rule="bad")] == [(1, True, event_id)]


def test_a_disabled_rule_moto_delivers_through_is_a_divergence(external_for):  # type: ignore[no-untyped-def]
    """A known moto gap (aws-semantics.md, issue 4): moto ignores a rule's State. AWS never delivers
    through a DISABLED rule; our matcher says so, the backend did otherwise: a divergence."""
    enabled = Rule("on", {"source": ["shop"]}, bus="orders", targets=[Target("fn", "function:record")])
    disabled = Rule("off", {"source": ["shop"]}, bus="orders", state="DISABLED",
                    targets=[Target("fn", "function:record")])
    h = external_for(_topology(enabled, disabled))
    [event_id] = _put(h, {"order": "o-2"})
    h.drain(15)
    assert len(_calls(h, "record")) == 2                  # moto delivered twice: through "on" and "off"
    [bus_event] = h.trace.of("bus_event", bus="orders")
    assert bus_event["matched_rules"] == ["on"]            # our matcher: disabled rules never match
    [divergence] = h.divergences()
    assert divergence["event_id"] == event_id
    assert divergence["ours"] == ["on"] and divergence["backend"] == ["off", "on"]
    assert divergence["only_backend"] == ["off"] and divergence["only_ours"] == []
    assert "rule off" in divergence["message"] and "DISABLED" in divergence["message"]
    [traced] = h.trace.of("divergence")
    assert traced["event_id"] == event_id and traced["only_backend"] == ["off"]
