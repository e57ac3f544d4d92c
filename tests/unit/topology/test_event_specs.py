"""EventBridge and SNS specs: AWS's ranges and texts, topology cross-references, the YAML loader."""
from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from harness import (
    EventBus,
    Function,
    InputTransformer,
    Queue,
    RetryPolicy,
    Rule,
    Subscription,
    Target,
    Topic,
    Topology,
    ValidationException,
)
from harness.deploy.model import DeployedBus, DeployedTopic, Deployment
from harness.topology.loader import load_dict

PATTERN = {"source": ["shop"]}


def topology(**overrides: Any) -> Topology:
    base: dict[str, Any] = dict(
        name="t", queues=[Queue("q"), Queue("dlq"), Queue("f.fifo", fifo=True),
                          Queue("g.fifo", fifo=True, content_based_deduplication=True)],
        functions=[Function("fn", "m:h")], event_buses=[EventBus("orders")], topics=[Topic("news", ["q"])],
        rules=[Rule("r", PATTERN, bus="orders", targets=[
            Target("a", "function:fn", dead_letter_queue="queue:dlq"), Target("b", "queue:q"),
            Target("c", "topic:news")])])
    base.update(overrides)
    return Topology(**base)


# -- RetryPolicy, InputTransformer, Target -----------------------------------------------------
def test_retry_policy_defaults_are_aws_defaults() -> None:
    assert RetryPolicy() == RetryPolicy(185, 86_400)
    assert RetryPolicy.parse({"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}).to_aws() == \
        {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"maximum_retry_attempts": 186}, "Value '186' at 'maximumRetryAttempts' failed to satisfy constraint: Member "
                                      "must have value greater than or equal to 0 and less than or equal to 185"),
    ({"maximum_retry_attempts": -1}, "at 'maximumRetryAttempts'"),
    ({"maximum_event_age_in_seconds": 59}, "Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: "
                                           "Member must have value greater than or equal to 60 and less than or "
                                           "equal to 86400"),
    ({"maximum_event_age_in_seconds": 86_401}, "at 'maximumEventAgeInSeconds'"),
])
def test_retry_policy_ranges(kwargs: dict[str, int], text: str) -> None:
    with pytest.raises(ValidationException, match=text.replace("(", r"\(")):
        RetryPolicy(**kwargs)


def test_target_refs_and_mutually_exclusive_inputs() -> None:
    t = Target("t1", "queue:q", input={"a": 1})
    assert (t.kind, t.ref_name, t.input) == ("queue", "q", '{"a": 1}')
    for bad in ("lambda:fn", "queue", "bucket:b", "queue:"):
        with pytest.raises(ValidationException, match="must be function:NAME or queue:NAME or topic:NAME"):
            Target("t", bad)
    with pytest.raises(ValidationException, match="only one of Input, InputPath or InputTransformer"):
        Target("t", "queue:q", input="{}", input_path="$.detail")
    with pytest.raises(ValidationException, match="not valid JSON"):
        Target("t", "queue:q", input="{nope")
    with pytest.raises(ValidationException, match="InputPath"):
        Target("t", "queue:q", input_path="detail.x")
    with pytest.raises(ValidationException, match="regular expression pattern"):
        Target("bad id", "queue:q")
    with pytest.raises(ValidationException, match="DeadLetterConfig"):
        Target("t", "queue:q", dead_letter_queue="topic:x")


def test_input_transformer_is_validated_at_spec_time() -> None:
    it = InputTransformer('{"id": <id>}', {"id": "$.detail.id"})
    assert it.to_aws() == {"InputTemplate": '{"id": <id>}', "InputPathsMap": {"id": "$.detail.id"}}
    with pytest.raises(ValidationException, match="object key"):
        InputTransformer('{<id>: 1}', {"id": "$.detail.id"})
    with pytest.raises(ValidationException, match="InputTemplate is required"):
        InputTransformer.parse({"InputPathsMap": {}})


# -- Rule, EventBus, Topic ---------------------------------------------------------------------
def test_rule_validates_its_pattern_naming_the_rule() -> None:
    assert Rule("r", PATTERN).event_pattern == json.dumps(PATTERN)
    with pytest.raises(ValidationException, match=r"^Rule bad: Event pattern is not valid\. Reason:"):
        Rule("bad", {"source": "shop"})
    with pytest.raises(ValidationException, match="Rule long: Event pattern is not valid.*2048"):
        Rule("long", {"source": ["x" * 2048]})
    with pytest.raises(ValidationException, match="Rule w: Event pattern is not valid"):
        Rule("w", '{"source": [{"wildcard": "a**b"}]}')


def test_rule_limits() -> None:
    targets = [Target(f"t{i}", "queue:q") for i in range(6)]
    with pytest.raises(ValidationException, match="at most 5 targets"):
        Rule("r", PATTERN, targets=targets)
    Rule("r", PATTERN, targets=targets[:5])
    with pytest.raises(ValidationException, match="unique"):
        Rule("r", PATTERN, targets=[Target("t", "queue:q"), Target("t", "queue:dlq")])
    with pytest.raises(ValidationException, match="enum value set: \\[ENABLED, DISABLED\\]"):
        Rule("r", PATTERN, state="OFF")
    with pytest.raises(ValidationException, match="regular expression pattern"):
        Rule("r/x", PATTERN)
    with pytest.raises(ValidationException, match="length less than or equal to 64"):
        Rule("r" * 65, PATTERN)


def test_event_bus_names() -> None:
    EventBus("orders.v1")
    for bad, text in (("default", "default already exists"), ("aws.partner", "reserved"),
                      ("a/b", "regular expression")):
        with pytest.raises(ValidationException, match=text):
            EventBus(bad)


def test_topic_and_subscription() -> None:
    topic = Topic("news", [Subscription("queue:q", filter_policy={"kind": ["a"]}, raw_message_delivery=True), "dlq"])
    assert [s.queue for s in topic.subscriptions] == ["queue:q", "queue:dlq"]
    assert json.loads(topic.subscriptions[0].filter_policy) == {"kind": ["a"]}  # type: ignore[arg-type]
    with pytest.raises(ValidationException, match="Topic Name"):
        Topic("bad name")
    with pytest.raises(ValidationException, match="FilterPolicyScope"):
        Subscription("q", filter_policy_scope="Body")
    with pytest.raises(ValidationException, match="JSON object"):
        Subscription("q", filter_policy="[1]")


# -- Topology cross-references -----------------------------------------------------------------
def test_a_complete_topology_is_accepted() -> None:
    t = topology()
    assert t.rule("r").bus == "orders" and t.topic("news").subscriptions[0].queue_name == "q"


@pytest.mark.parametrize(("overrides", "text"), [
    ({"rules": [Rule("r", PATTERN, bus="other")]}, "event bus 'other' is not in the topology"),
    ({"rules": [Rule("r", PATTERN, targets=[Target("a", "function:nope")])]}, "function 'nope'"),
    ({"rules": [Rule("r", PATTERN, targets=[Target("a", "queue:nope")])]}, "queue 'nope'"),
    ({"rules": [Rule("r", PATTERN, targets=[Target("a", "topic:nope")])]}, "topic 'nope'"),
    ({"rules": [Rule("r", PATTERN, targets=[Target("a", "queue:q", dead_letter_queue="queue:nope")])]},
     "dead-letter queue 'nope' is not in the topology"),
    ({"rules": [Rule("r", PATTERN, targets=[Target("a", "queue:q", dead_letter_queue="queue:f.fifo")])]},
     "must be standard queues"),
    ({"rules": [Rule("r", PATTERN, targets=[Target("a", "queue:g.fifo")])]},
     r"Parameter\(s\) SqsParameters must be specified for target: a\."),
    ({"rules": [Rule("r", PATTERN, targets=[Target("a", "queue:f.fifo", message_group_id="g")])]},
     "FIFO queue 'f.fifo' needs content_based_deduplication"),
    ({"rules": [Rule("r", PATTERN), Rule("r", PATTERN, bus="orders")]}, "two rules are named 'r'"),
    ({"topics": [Topic("news", ["nope"])]}, "subscription to queue 'nope'"),
    ({"event_buses": [EventBus("orders"), EventBus("orders")]}, "two event buss are named"),
    ({"functions": [Function("fn", "m:h", env={"B": "${bus:nope}"})]}, "refers to bus 'nope'"),
    ({"functions": [Function("fn", "m:h", env={"T": "${topic-arn:nope}"})]}, "refers to topic 'nope', which is not in the topology \\(topics: news\\)"),
])
def test_references_must_name_resources_of_the_topology(overrides: dict[str, Any], text: str) -> None:
    with pytest.raises(ValidationException, match=text):
        topology(**overrides)


def test_a_fifo_queue_target_takes_its_message_group_from_every_spelling() -> None:
    t = topology(rules=[Rule("r", PATTERN, targets=[Target("a", "queue:g.fifo", message_group_id="orders")])])
    assert t.rule("r").targets[0].message_group_id == "orders"
    loaded = load_dict({"name": "t", "queues": [{"name": "g.fifo", "fifo": True, "ContentBasedDeduplication": True}],
                        "rules": [{"Name": "r", "EventPattern": PATTERN, "Targets": [
                            {"Id": "a", "Arn": "queue:g.fifo", "SqsParameters": {"MessageGroupId": "orders"}}]}]})
    assert loaded.rule("r").targets[0].message_group_id == "orders"
    with pytest.raises(ValidationException, match="only to a queue target"):
        Target("a", "function:fn", message_group_id="orders")
    with pytest.raises(ValidationException, match="only to FIFO queues"):
        Queue("q", content_based_deduplication=True)


def test_300_rules_per_bus() -> None:
    rules = [Rule(f"r{i}", PATTERN) for i in range(301)]
    with pytest.raises(ValidationException, match="more than 300 rules"):
        topology(rules=rules)
    topology(rules=rules[:300])


def test_env_placeholders_for_buses_and_topics_resolve() -> None:
    t = topology(functions=[Function("fn", "m:h", env={"BUS": "${bus:orders}", "DEF": "${bus:default}",
                                                        "TOPIC": "${topic-arn:news}"})])
    dep = Deployment(topology=t, prefix="p-")
    dep.buses["orders"] = DeployedBus("p-orders", "arn:bus")
    dep.topics["news"] = DeployedTopic("p-news", "arn:aws:sns:us-east-1:1:p-news")
    env = {k: dep.resolve(v) for k, v in t.function("fn").env.items()}
    assert env == {"BUS": "p-orders", "DEF": "default", "TOPIC": "arn:aws:sns:us-east-1:1:p-news"}
    assert dep.destination_arn("topic:news") == "arn:aws:sns:us-east-1:1:p-news"


def test_mapping_on_failure_may_be_a_topic() -> None:
    from harness import EventSourceMapping, Table

    t = topology(tables=[Table("items", "k")], event_source_mappings=[
        EventSourceMapping("fn", "items", on_failure="topic:news")])
    assert t.event_source_mappings[0].on_failure == "topic:news"
    with pytest.raises(ValidationException, match="'queue:NAME' or 'topic:NAME'"):
        topology(tables=[Table("items", "k")], event_source_mappings=[
            EventSourceMapping("fn", "items", on_failure="topic:nope")])


# -- the loader --------------------------------------------------------------------------------
YAML = """
name: shop
queues: [{name: q}, {name: dlq}, {name: audit}]
functions:
  - {name: invoice, handler: shop.handlers:invoice, env: {BUS: "${bus:orders}"}}
event_buses: [orders]
topics:
  - name: news
    subscriptions:
      - {Queue: q, FilterPolicy: {kind: [big]}, RawMessageDelivery: true}
      - audit
rules:
  - Name: both-checks
    EventBusName: orders
    Description: invoice once both checks passed
    EventPattern: {detail: {account-check: [{exists: true}], in-stock: [{exists: true}]}}
    State: ENABLED
    Targets:
      - Id: invoice
        Arn: function:invoice
        RetryPolicy: {MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120}
        DeadLetterConfig: {Arn: queue:dlq}
      - Id: copy
        Arn: queue:q
        InputTransformer:
          InputPathsMap: {order: $.detail.order-id}
          InputTemplate: '{"order": <order>}'
      - {Id: detail, Arn: topic:news, InputPath: $.detail}
      - {Id: fixed, Arn: queue:audit, Input: {constant: true}}
  - {name: 'off', event_pattern: '{"source": ["x"]}', state: DISABLED}
"""


def test_yaml_uses_aws_key_names() -> None:
    t = load_dict(yaml.safe_load(YAML))
    rule = t.rule("both-checks")
    assert rule.bus == "orders" and rule.description.startswith("invoice")
    invoice, copy, detail, fixed = rule.targets
    assert invoice.retry_policy == RetryPolicy(3, 120) and invoice.dead_letter_queue == "queue:dlq"
    assert copy.input_transformer == InputTransformer('{"order": <order>}', {"order": "$.detail.order-id"})
    assert detail.input_path == "$.detail" and json.loads(fixed.input or "") == {"constant": True}
    assert t.rule("off").state == "DISABLED" and t.rule("off").bus == "default"
    sub, audit = t.topic("news").subscriptions
    assert sub.raw_message_delivery is True and json.loads(sub.filter_policy or "") == {"kind": ["big"]}
    assert audit.queue == "queue:audit" and audit.filter_policy is None
    assert [b.name for b in t.event_buses] == ["orders"]


def test_yaml_unknown_keys_are_rejected_with_the_known_ones() -> None:
    data = yaml.safe_load(YAML)
    data["rules"][0]["Targets"][0]["Retries"] = 3
    with pytest.raises(ValidationException, match="unknown key 'Retries'.*known: .*RetryPolicy"):
        load_dict(data)
    data = yaml.safe_load(YAML)
    data["rules"][1]["Pattern"] = "{}"
    with pytest.raises(ValidationException, match="unknown key 'Pattern'"):
        load_dict(data)
