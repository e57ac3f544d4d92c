"""Deploy and tear down a topology's event buses, rules, targets (boto3 ``events``) and SNS topics
with their SQS subscriptions (boto3 ``sns``).

Only boto3 calls, so the same code works on the embedded backend (the harness's own EventBridge
endpoint, moto's SNS) and later on LocalStack or AWS. Physical names are ``prefix + logical name``
(the ``default`` bus stays ``default``). Lambda targets are registered with the function's ARN,
``arn:aws:lambda:<region>:<account>:function:<name>`` (the ARN the runtime gives the function; it
is never created in the backend): the dispatcher maps it to the runtime's invoker.
On a backend whose EventBridge routes by itself (``capabilities.external_eventbridge``) Lambda targets
become delivery queues and every bus gets a capture-all rule: see :mod:`harness.deploy.external`.
"""
from __future__ import annotations

from collections.abc import Callable

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from harness.deploy import external, ownership, resources
from harness.deploy.model import DeployedBus, DeployedRule, DeployedTopic, Deployment, Resource, bus_name, function_arn
from harness.topology.events import DEFAULT_BUS, Rule, Target, Topic

if TYPE_CHECKING:
    from harness.backends.base import Backend
    from harness.topology.topology import Topology

def deploy_messaging(topology: Topology, backend: Backend, dep: Deployment,
                     tables_ready: Callable[[], None] = lambda: None) -> None:
    """Topics (and subscriptions) first, then buses, rules and targets; queues must be deployed.
    ``tables_ready`` returns once the tables are: rules may name a table's ARN (``${table-arn:x}``)."""
    if topology.topics:
        sns = backend.client("sns")
        for topic in topology.topics:
            dep.topics[topic.name] = _ensure_topic(sns, backend, topic, dep)
    if not topology.event_buses and not topology.rules:
        return
    events = backend.client("events")
    dep.buses[DEFAULT_BUS] = DeployedBus(DEFAULT_BUS, events.describe_event_bus(Name=DEFAULT_BUS)["Arn"])
    for bus in topology.event_buses:
        name = bus_name(dep.prefix, bus.name)
        try:
            arn = events.create_event_bus(Name=name, Tags=_pairs(dep.tags))["EventBusArn"]
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
            arn = events.describe_event_bus(Name=name)["Arn"]
            ownership.claim(backend, dep, Resource("bus", name, arn))
        else:
            ownership.created(backend, dep, Resource("bus", name, arn))
        dep.buses[bus.name] = DeployedBus(name, arn)
    tables_ready()
    for rule in topology.rules:
        dep.rules[rule.name] = _ensure_rule(events, backend, rule, dep)
    if external.is_external(backend):  # the backend routes: a capture-all rule per bus audits it
        external.deploy_capture(events, backend, dep)


def _pairs(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _ensure_topic(sns: Any, backend: Backend, topic: Topic, dep: Deployment) -> DeployedTopic:
    """The topic, created or taken over, with a subscription per topology queue. Subscriptions of other
    endpoints (someone else's) are left alone."""
    name = dep.prefix + topic.name
    arn = ownership.find_topic(sns, name)
    if arn is None:
        arn = sns.create_topic(Name=name, Tags=_pairs(dep.tags))["TopicArn"]
        ownership.created(backend, dep, Resource("topic", name, arn))
    else:
        ownership.claim(backend, dep, Resource("topic", name, arn))
    existing = {s["Endpoint"]: s["SubscriptionArn"]
                for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
                for s in page.get("Subscriptions", [])}
    subscriptions = []
    for sub in topic.subscriptions:
        queue_arn = dep.queues[sub.queue_name].arn
        attributes = {"RawMessageDelivery": "true" if sub.raw_message_delivery else "false"}
        if sub.filter_policy is not None:
            attributes["FilterPolicy"] = sub.filter_policy
            attributes["FilterPolicyScope"] = sub.filter_policy_scope
        if queue_arn in existing:
            sub_arn = existing[queue_arn]
            for key, value in attributes.items():
                sns.set_subscription_attributes(SubscriptionArn=sub_arn, AttributeName=key, AttributeValue=value)
        else:
            sub_arn = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes,
                                    ReturnSubscriptionArn=True)["SubscriptionArn"]
        subscriptions.append(sub_arn)
    return DeployedTopic(name, arn, tuple(subscriptions))


def target_arn(target: Target, backend: Backend, dep: Deployment) -> str:
    """A topology reference (``function:x``, ``queue:x``, ``topic:x``) -> the ARN PutTargets takes."""
    kind, name = target.kind, target.ref_name
    if kind == "function":
        return function_arn(backend.region, backend.account_id, name)
    if kind == "queue":
        return dep.queues[name].arn
    return dep.topics[name].arn


def target_to_aws(target: Target, backend: Backend, dep: Deployment) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": target.id, "Arn": target_arn(target, backend, dep),
                           "RetryPolicy": target.retry_policy.to_aws()}
    if target.input is not None:
        out["Input"] = target.input
    if target.input_path is not None:
        out["InputPath"] = target.input_path
    if target.input_transformer is not None:
        out["InputTransformer"] = target.input_transformer.to_aws()
    if target.dead_letter_queue is not None:
        out["DeadLetterConfig"] = {"Arn": dep.queues[target.dead_letter_queue.partition(":")[2]].arn}
    if target.message_group_id is not None:
        out["SqsParameters"] = {"MessageGroupId": target.message_group_id}
    return out


def _ensure_rule(events: Any, backend: Backend, rule: Rule, dep: Deployment) -> DeployedRule:
    bus = dep.buses[rule.bus].name
    name = dep.prefix + rule.name
    existing = resources.existing_rule(events, name, bus)
    if existing is not None:  # PutRule would replace its pattern: only if it is ours (or adopted)
        ownership.claim(backend, dep, Resource("rule", name, existing, bus=bus))
    kwargs: dict[str, Any] = {"Name": name, "EventBusName": bus, "EventPattern": dep.resolve(rule.event_pattern),
                              "State": rule.state}
    if rule.description:
        kwargs["Description"] = rule.description
    if existing is None:
        kwargs["Tags"] = _pairs(dep.tags)
    arn = events.put_rule(**kwargs)["RuleArn"]
    if existing is None:
        ownership.created(backend, dep, Resource("rule", name, arn, bus=bus))
    wanted = [target_to_aws(t, backend, dep) for t in rule.targets]
    if external.is_external(backend):  # Lambda targets become their delivery queues
        wanted = [external.backend_target(backend, dep, rule.name, bus, arn, t) for t in wanted]
    stale = [t["Id"] for t in _targets(events, name, bus) if t["Id"] not in {w["Id"] for w in wanted}]
    if stale:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=stale)
    if wanted:
        failed = events.put_targets(Rule=name, EventBusName=bus, Targets=wanted)
        if failed.get("FailedEntryCount"):
            raise RuntimeError(f"rule {name}: PutTargets failed for {failed['FailedEntries']}")
    return DeployedRule(name, arn, bus)


def _targets(events: Any, rule: str, bus: str) -> list[dict[str, Any]]:
    return [t for page in events.get_paginator("list_targets_by_rule").paginate(Rule=rule, EventBusName=bus)
            for t in page.get("Targets", [])]


__all__ = ["deploy_messaging", "target_to_aws"]
