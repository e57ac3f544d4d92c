"""CloudFormation tables, queues, topics, subscriptions, buses and rules -> the topology's specs."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from harness.topology.events import DEFAULT_BUS, EventBus, Rule, Subscription, Target
from harness.topology.specs import GlobalSecondaryIndex, KeyAttribute, Queue, RedrivePolicy, Table
from harness.topology.template.build import Build, get_bool, get_int, get_json, present
from harness.topology.template.intrinsics import TOKEN, TOPOLOGY_KINDS, Resolver, parse_ref

_TAGS_AND_ENCRYPTION = ("Tags", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled")


def table(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str) -> None:
    b.properties(logical, props, (
        "TableName", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "StreamSpecification",
        "TimeToLiveSpecification"), (
        "BillingMode", "ProvisionedThroughput", "Tags", "SSESpecification", "PointInTimeRecoverySpecification",
        "DeletionProtectionEnabled", "TableClass", "ContributorInsightsSpecification", "ResourcePolicy",
        "WarmThroughput", "OnDemandThroughput"))
    types = {d["AttributeName"]: d["AttributeType"]
             for d in b.resolve(props.get("AttributeDefinitions") or [], f"{where}.AttributeDefinitions")}

    def keys(schema: Any, at: str) -> tuple[KeyAttribute, KeyAttribute | None]:
        roles = {k.get("KeyType"): k.get("AttributeName") for k in b.resolve(schema or [], at)}
        if "HASH" not in roles:
            raise b.error(at, "KeySchema needs a HASH key")
        for attr in roles.values():
            if attr not in types:
                raise b.error(at, f"key attribute {attr!r} is not in AttributeDefinitions ({sorted(types)})")
        rng = roles.get("RANGE")
        return KeyAttribute(roles["HASH"], types[roles["HASH"]]), KeyAttribute(rng, types[rng]) if rng else None

    hash_key, range_key = keys(props.get("KeySchema"), f"{where}.KeySchema")
    gsis = []
    for i, g in enumerate(b.resolve(props.get("GlobalSecondaryIndexes") or [], f"{where}.GlobalSecondaryIndexes")):
        at = f"{where}.GlobalSecondaryIndexes[{i}]"
        b.properties(logical, g, ("IndexName", "KeySchema", "Projection"),
                     ("ProvisionedThroughput", "ContributorInsightsSpecification", "OnDemandThroughput",
                      "WarmThroughput"), prefix=f"GlobalSecondaryIndexes[{i}].")
        gh, gr = keys(g.get("KeySchema"), f"{at}.KeySchema")
        projection = g.get("Projection") or {}
        gsis.append(GlobalSecondaryIndex(g["IndexName"], gh, gr, projection.get("ProjectionType", "KEYS_ONLY"),
                                         tuple(projection.get("NonKeyAttributes") or ())))
    stream = b.resolve(props.get("StreamSpecification"), f"{where}.StreamSpecification") or {}
    ttl = b.resolve(props.get("TimeToLiveSpecification"), f"{where}.TimeToLiveSpecification") or {}
    ttl_on = present(ttl, "Enabled") and get_bool(b, ttl["Enabled"], f"{where}.TimeToLiveSpecification.Enabled")
    b.tables.append(Table(name, hash_key, range_key, stream.get("StreamViewType"), tuple(gsis),
                          ttl.get("AttributeName") if ttl_on else None))


def queue(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str) -> None:
    b.properties(logical, props, ("QueueName", "FifoQueue", "VisibilityTimeout", "MessageRetentionPeriod",
                                  "RedrivePolicy", "ContentBasedDeduplication"),
                 (*_TAGS_AND_ENCRYPTION, "RedriveAllowPolicy"))
    kwargs: dict[str, Any] = {"fifo": queue_is_fifo(b.resolver, props, where)}
    if present(props, "ContentBasedDeduplication"):
        at = f"{where}.ContentBasedDeduplication"
        kwargs["content_based_deduplication"] = get_bool(b.resolver, b.resolve(props["ContentBasedDeduplication"], at), at)
    for key, attr in (("VisibilityTimeout", "visibility_timeout"),
                      ("MessageRetentionPeriod", "message_retention_period")):
        if present(props, key):
            kwargs[attr] = get_int(b, b.resolve(props[key], f"{where}.{key}"), f"{where}.{key}")
    if present(props, "RedrivePolicy"):
        at = f"{where}.RedrivePolicy"
        policy = get_json(b, b.resolve(props["RedrivePolicy"], at), at)
        dlq = b.reference(logical, policy.get("deadLetterTargetArn"), at, ("queue",),
                          "RedrivePolicy.deadLetterTargetArn")
        if dlq:
            kwargs["redrive_policy"] = RedrivePolicy(dlq.partition(":")[2],
                                                     get_int(b, policy.get("maxReceiveCount", 3), at))
    b.queues.append(Queue(name, **kwargs))


def queue_is_fifo(r: Resolver, props: Mapping[str, Any], where: str) -> bool:
    return present(props, "FifoQueue") and get_bool(r, r.resolve(props["FifoQueue"], f"{where}.FifoQueue"), where)


def topic(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str) -> None:
    b.properties(logical, props, ("TopicName", "Subscription"), (
        "DisplayName", "Tags", "KmsMasterKeyId", "TracingConfig", "DataProtectionPolicy", "SignatureVersion",
        "DeliveryStatusLogging", "ArchivePolicy"))
    subs = b.topics.setdefault(name, [])
    for i, s in enumerate(b.resolve(props.get("Subscription") or [], f"{where}.Subscription")):
        if str(s.get("Protocol")).lower() != "sqs":
            b.note(logical, f"Subscription[{i}] (protocol {s.get('Protocol')}): only sqs subscriptions are run")
            continue
        q = b.reference(logical, s.get("Endpoint"), where, ("queue",), f"Subscription[{i}].Endpoint")
        if q:
            subs.append(Subscription(q))


def subscription(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str) -> None:
    b.properties(logical, props, ("TopicArn", "Protocol", "Endpoint", "FilterPolicy", "FilterPolicyScope",
                                  "RawMessageDelivery"), ("Region", "SubscriptionRoleArn"))
    p = b.resolve({k: props[k] for k in props if k != "Region"}, where)
    if str(p.get("Protocol")).lower() != "sqs":
        b.note(logical, f"Protocol {p.get('Protocol')}: only sqs subscriptions are run; subscription left out")
        return
    topic_ref = b.reference(logical, p.get("TopicArn"), where, ("topic",), "TopicArn")
    queue_ref = b.reference(logical, p.get("Endpoint"), where, ("queue",), "Endpoint")
    if not (topic_ref and queue_ref):
        return
    kwargs: dict[str, Any] = {}
    if present(p, "FilterPolicy"):
        kwargs["filter_policy"] = json.dumps(get_json(b, p["FilterPolicy"], f"{where}.FilterPolicy"))
    if present(p, "FilterPolicyScope"):
        kwargs["filter_policy_scope"] = p["FilterPolicyScope"]
    if present(p, "RawMessageDelivery"):
        kwargs["raw_message_delivery"] = get_bool(b, p["RawMessageDelivery"], f"{where}.RawMessageDelivery")
    b.topics.setdefault(topic_ref.partition(":")[2], []).append(Subscription(queue_ref, **kwargs))


def event_bus(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str) -> None:
    b.properties(logical, props, ("Name",), ("Tags", "Policy", "Description", "KmsKeyIdentifier"))
    b.buses.append(EventBus(name))


def rule(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str) -> None:
    b.properties(logical, props, ("Name", "EventBusName", "EventPattern", "State", "Targets", "Description"),
                 ("RoleArn",))
    if not present(props, "EventPattern"):
        b.note(logical, "no EventPattern (only event-pattern rules run): rule left out")
        return
    targets = []
    for i, t in enumerate(b.resolve(props.get("Targets") or [], f"{where}.Targets")):
        target = rule_target(b, logical, t, f"{where}.Targets[{i}]", f"Targets[{i}]")
        if target is not None:
            targets.append(target)
    state = b.resolve(props.get("State", "ENABLED"), f"{where}.State")
    add_rule(b, logical, name, props.get("EventPattern"), props.get("EventBusName"), state, targets, where,
             b.resolve(props.get("Description", ""), f"{where}.Description"))


def rule_target(b: Build, logical: str, raw: Mapping[str, Any], where: str, label: str,
                arn: str | None = None) -> Target | None:
    """An Events::Rule target (or a SAM event's, with ``arn`` already known)."""
    b.properties(logical, raw, ("Id", "Arn", "Input", "InputPath", "InputTransformer", "RetryPolicy",
                                "DeadLetterConfig", "SqsParameters"), ("RoleArn",), prefix=f"{label}.")
    t = b.resolve({k: v for k, v in raw.items() if k != "RoleArn"}, where)
    arn = arn or b.reference(logical, t.get("Arn"), where, ("function", "queue", "topic"), f"{label}.Arn")
    if arn is None:
        return None
    dlq = None
    if present(t, "DeadLetterConfig"):
        dlq = b.reference(logical, t["DeadLetterConfig"].get("Arn"), where, ("queue",), f"{label}.DeadLetterConfig.Arn")
    retry = t.get("RetryPolicy")
    group = (t.get("SqsParameters") or {}).get("MessageGroupId")
    if group is not None and not arn.startswith("queue:"):
        b.note(logical, f"{label}.SqsParameters: only a queue target takes it; left out")
        group = None
    return Target(t["Id"], arn, input=t.get("Input"), input_path=t.get("InputPath"),
                  input_transformer=t.get("InputTransformer"), dead_letter_queue=dlq, message_group_id=group,
                  **({"retry_policy": retry} if retry else {}))


def add_rule(b: Build, logical: str, name: str, pattern: Any, bus: Any, state: str, targets: list[Target],
             where: str, description: str = "") -> None:
    """Shared by Events::Rule and SAM's EventBridgeRule events."""
    pattern = b.resolve(pattern, f"{where}.EventPattern")
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    for kind, ref in TOKEN.findall(text):
        if kind not in TOPOLOGY_KINDS:
            b.note(logical, f"EventPattern: {b.describe(kind, ref)} has no equivalent; it stays as text")
    bus_name = DEFAULT_BUS
    if bus is not None:
        bus_value = b.resolve(bus, f"{where}.EventBusName")
        if parse_ref(bus_value) is not None:
            bus_ref = b.reference(logical, bus_value, where, ("bus",), "EventBusName")
            if bus_ref is None:
                return
            bus_name = bus_ref.partition(":")[2]
        else:  # a literal name, or a literal ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)
            bus_name = str(bus_value).rpartition("event-bus/")[2]
    if state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
        b.note(logical, f"State {state}: run as ENABLED")
        state = "ENABLED"
    b.rules.append(Rule(name, text, bus_name, state, tuple(targets), description))
