"""Find-or-create helpers every deploy module uses (a queue, a rule), with ownership checked on what exists."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from harness.backends.base import Backend
from harness.deploy import ownership
from harness.deploy.model import Deployment, Resource


def ensure_queue(sqs: Any, backend: Backend, dep: Deployment, name: str,
                 attributes: dict[str, str] | None = None) -> Resource:
    """A queue of this run: created with our tags, or an existing one taken over (attributes updated) or adopted.
    CreateQueue would silently return a same-named queue, so existence is checked first."""
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as e:
        if not ownership.absent(e):
            raise
        url = sqs.create_queue(QueueName=name, Attributes=attributes or {}, tags=dep.tags)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return ownership.created(backend, dep, Resource("queue", name, arn, url=url))
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    res = Resource("queue", name, arn, url=url)
    if ownership.claim(backend, dep, res) and attributes:
        settable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
        if settable:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=settable)
    return res


def existing_rule(events: Any, name: str, bus: str) -> str | None:
    """The ARN of the rule ``name`` on ``bus``, if it exists."""
    try:
        return str(events.describe_rule(Name=name, EventBusName=bus)["Arn"])
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        return None


__all__ = ["ensure_queue", "existing_rule"]
