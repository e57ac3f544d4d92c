"""Deploy for an external EventBridge (``Backend.capabilities.external_eventbridge``: moto's, LocalStack's,
AWS's), whose routing the harness does not control.

- Every rule target that is a Lambda function of the topology is backed by a *delivery queue*
  (``{prefix}dq-{rule}-{target id}``), registered as the rule's target on the backend with the same
  Id and the target's Input / InputPath / InputTransformer (the backend applies them, so the queue
  carries what the function should receive). RetryPolicy and DeadLetterConfig stay with the
  harness: its dispatcher invokes the function from the queue with them. SQS and SNS targets are
  registered as they are.
- Every bus gets a capture-all rule (``{prefix}capture-{bus}``, :data:`CAPTURE_PATTERN`) whose target
  is a *capture queue* (same name): the runtime records each event from it and compares the
  backend's routing with our matcher (harness/runtime/delivery/external.py).

Queues get a policy letting ``events.amazonaws.com`` send from their rule (AWS needs it; emulators ignore it)
and our tags; teardown removes them with the rest of what the run owns.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any


from harness.deploy import ownership, resources
from harness.deploy.model import CaptureQueue, DeliveryQueue, Deployment, Resource

if TYPE_CHECKING:
    from harness.backends.base import Backend

#: matches every event (every event has a string ``source``); valid for our matcher and accepted by moto and AWS
CAPTURE_PATTERN = json.dumps({"source": [{"prefix": ""}]})
CAPTURE_TARGET_ID = "capture"


def is_external(backend: Backend) -> bool:
    return backend.capabilities.external_eventbridge


_QUEUE_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def queue_name(text: str) -> str:
    """An SQS queue name (80 characters of ``[A-Za-z0-9_-]``): other characters become ``_``, a long name
    is cut and ends with a hash of the whole."""
    name = _QUEUE_UNSAFE.sub("_", text)
    if len(name) > 80:
        name = name[:71] + "-" + hashlib.sha1(text.encode()).hexdigest()[:8]
    return name


def delivery_queue_name(prefix: str, rule: str, target_id: str) -> str:
    return queue_name(f"{prefix}dq-{rule}-{target_id}")


def capture_rule_name(prefix: str, bus: str) -> str:
    """A rule name (64 characters of ``[.-_A-Za-z0-9]``)."""
    name = f"{prefix}capture-{bus}"
    return name if len(name) <= 64 else name[:55] + "-" + hashlib.sha1(name.encode()).hexdigest()[:8]


def _allow_rule(sqs: Any, url: str, arn: str, rule_arn: str) -> None:
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "streamharness-eventbridge", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})


def backend_target(backend: Backend, dep: Deployment, rule: str, bus: str, rule_arn: str,
                   target: dict[str, Any]) -> dict[str, Any]:
    """The target to register on the backend for a target of the topology (AWS-shaped, as
    ``target_to_aws`` makes it): a Lambda target becomes its delivery queue (created here)."""
    if not target["Arn"].startswith("arn:aws:lambda:"):
        return target
    sqs = backend.client("sqs")
    name = delivery_queue_name(dep.prefix, rule, target["Id"])
    queue = resources.ensure_queue(sqs, backend, dep, name)
    url, arn = queue.url, queue.arn
    _allow_rule(sqs, url, arn, rule_arn)
    dep.delivery_queues[name] = DeliveryQueue(rule, target["Id"], bus, name, url, arn, target)
    out = {"Id": target["Id"], "Arn": arn}
    for key in ("Input", "InputPath", "InputTransformer"):
        if key in target:
            out[key] = target[key]
    return out


def deploy_capture(events: Any, backend: Backend, dep: Deployment) -> None:
    """A capture-all rule and its queue on every bus of the deployment (the default bus included)."""
    sqs = backend.client("sqs")
    for logical, bus in dep.buses.items():
        rule = capture_rule_name(dep.prefix, logical)
        queue = resources.ensure_queue(sqs, backend, dep, queue_name(rule))
        url, arn = queue.url, queue.arn
        existing = resources.existing_rule(events, rule, bus.name)
        if existing is not None:
            ownership.claim(backend, dep, Resource("rule", rule, existing, bus=bus.name))
        rule_arn = events.put_rule(Name=rule, EventBusName=bus.name, EventPattern=CAPTURE_PATTERN, State="ENABLED",
                                   Description="streamharness: records every event of the bus",
                                   **({} if existing else {"Tags": [{"Key": k, "Value": v}
                                                                    for k, v in dep.tags.items()]}))["RuleArn"]
        if existing is None:
            ownership.created(backend, dep, Resource("rule", rule, rule_arn, bus=bus.name))
        _allow_rule(sqs, url, arn, rule_arn)
        events.put_targets(Rule=rule, EventBusName=bus.name, Targets=[{"Id": CAPTURE_TARGET_ID, "Arn": arn}])
        dep.capture_queues[logical] = CaptureQueue(logical, bus.name, rule, rule_arn, queue_name(rule), url, arn)


__all__ = ["CAPTURE_PATTERN", "CaptureQueue", "DeliveryQueue", "backend_target", "capture_rule_name",
           "delivery_queue_name", "deploy_capture", "is_external"]
