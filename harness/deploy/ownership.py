"""What is ours: names AWS accepts, tags on what we create, and a refusal to touch what we did not create.

Every resource the harness creates carries ``streamharness:topology=<topology>`` and
``streamharness:run=<run id>``. Where a service keeps no tags (DynamoDB Local), the backend's ledger holds
them instead: it records what was created through that backend object. Deploy takes over an existing
resource only if it carries our topology tag (re-tagging it with this run's id); anything else with the
name it wants is someone else's and deploy refuses, unless told to adopt it (then it is used, never
deleted). Teardown deletes exactly the resources that carry this run's tag.
"""
from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from harness.backends.base import Backend
from harness.deploy.model import RUN_TAG, SERVICES, TAG, Deployment, Resource
from harness.topology.errors import ValidationException
from harness.topology.events import DEFAULT_BUS
from harness.topology.topology import Topology

#: the error codes that mean "no such resource", per service
_ABSENT = {"ResourceNotFoundException", "ResourceNotFound", "AWS.SimpleQueueService.NonExistentQueue",
           "QueueDoesNotExist", "NotFound", "NotFoundException"}

#: AWS's physical-name rules: (pattern, description) per kind
_NAME_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "table": (re.compile(r"^[A-Za-z0-9_.-]{3,255}$"), "3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'"),
    "queue": (re.compile(r"^([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$"),
              "1-80 characters of a-z, A-Z, 0-9, '_', '-' (FIFO: ending in .fifo)"),
    "topic": (re.compile(r"^([A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo)$"),
              "1-256 characters of a-z, A-Z, 0-9, '_', '-'"),
    "bus": (re.compile(r"^[/.\-_A-Za-z0-9]{1,256}$"), "1-256 characters of a-z, A-Z, 0-9, '/', '.', '-', '_'"),
    "rule": (re.compile(r"^[.\-_A-Za-z0-9]{1,64}$"), "1-64 characters of a-z, A-Z, 0-9, '.', '-', '_'"),
}


class ForeignResourceError(RuntimeError):
    """A resource the topology needs exists and is not ours: deploy will not modify it."""


def validate_names(topology: Topology, prefix: str) -> None:
    """Refuse an empty prefix and any physical name AWS would reject, before anything starts."""
    if not isinstance(prefix, str) or not prefix:
        raise ValidationException(
            "prefix must be a non-empty string: physical names are prefix + logical name, and an empty prefix "
            "would let deploy and teardown reach resources named like the topology's that are not the harness's")
    wanted = [("table", t.name) for t in topology.tables] + [("queue", q.name) for q in topology.queues]
    wanted += [("topic", t.name) for t in topology.topics] + [("bus", b.name) for b in topology.event_buses]
    wanted += [("rule", r.name) for r in topology.rules]
    bad = []
    for kind, logical in wanted:
        pattern, rule = _NAME_RULES[kind]
        if not pattern.match(prefix + logical):
            bad.append(f"{kind} {prefix + logical!r}: must be {rule}")
    if bad:
        raise ValidationException(f"prefix {prefix!r} makes names AWS would reject:\n  " + "\n  ".join(bad))


def absent(error: ClientError) -> bool:
    """Whether an error means the resource does not exist."""
    return error.response.get("Error", {}).get("Code") in _ABSENT


def read_tags(backend: Backend, res: Resource) -> dict[str, str] | None:
    """The resource's tags (from the service, or the backend's ledger where it keeps none); None if absent."""
    service = SERVICES[res.kind]
    if not backend.capabilities.keeps_tags(service):
        return dict(backend.ledger.get(res.arn, {}))
    client = backend.client(service)
    try:
        if res.kind == "table":
            pages = client.get_paginator("list_tags_of_resource").paginate(ResourceArn=res.arn)
            return {t["Key"]: t["Value"] for page in pages for t in page.get("Tags", [])}
        if res.kind == "queue":
            return dict(client.list_queue_tags(QueueUrl=res.url).get("Tags") or {})
        if res.kind == "topic":
            return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceArn=res.arn).get("Tags", [])}
        return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceARN=res.arn).get("Tags", [])}
    except ClientError as e:
        if absent(e):
            return None
        raise


def write_tags(backend: Backend, res: Resource, tags: dict[str, str]) -> None:
    service = SERVICES[res.kind]
    if not backend.capabilities.keeps_tags(service):
        backend.ledger.setdefault(res.arn, {}).update(tags)
        return
    client = backend.client(service)
    pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
    if res.kind == "table":
        client.tag_resource(ResourceArn=res.arn, Tags=pairs)
    elif res.kind == "queue":
        client.tag_queue(QueueUrl=res.url, Tags=tags)
    elif res.kind == "topic":
        client.tag_resource(ResourceArn=res.arn, Tags=pairs)
    else:
        client.tag_resource(ResourceARN=res.arn, Tags=pairs)


def created(backend: Backend, dep: Deployment, res: Resource) -> Resource:
    """Record a resource this run just created (with our tags, given at creation where the API takes them)."""
    if not backend.capabilities.keeps_tags(SERVICES[res.kind]):
        write_tags(backend, res, dep.tags)
    dep.owned.append(res)
    return res


def claim(backend: Backend, dep: Deployment, res: Resource) -> bool:
    """An existing resource deploy wants: take it over if it carries our topology tag (True), use it as it is
    if ``adopt`` allows (False), else raise :class:`ForeignResourceError` naming it."""
    tags = read_tags(backend, res) or {}
    if tags.get(TAG) == dep.topology.name:
        write_tags(backend, res, dep.tags)
        dep.owned.append(Resource(res.kind, res.name, res.arn, res.url, res.bus, created=False))
        return True
    if dep.adopt:
        dep.adopted.append(res)
        return False
    where = "" if backend.capabilities.keeps_tags(SERVICES[res.kind]) else \
        f" (this {SERVICES[res.kind]} keeps no tags: only what deploy created through this backend counts as ours)"
    raise ForeignResourceError(
        f"{res.kind} {res.name!r} already exists and is not streamharness's: it lacks the tag {TAG}={dep.topology.name}"
        f"{where}. Deploy will not modify it: remove it, choose another prefix, or adopt it explicitly "
        f"(adopt=True / --adopt: used as it is and never deleted).")


def owns(backend: Backend, dep: Deployment, res: Resource) -> bool:
    """Whether the resource (still) carries this run's tag."""
    tags = read_tags(backend, res)
    return tags is not None and tags.get(RUN_TAG) == dep.run_id


def delete(backend: Backend, res: Resource) -> bool:
    """Delete one resource (a rule loses its targets first); False if it was already gone."""
    client = backend.client(SERVICES[res.kind])
    try:
        if res.kind == "table":
            client.delete_table(TableName=res.name)
        elif res.kind == "queue":
            client.delete_queue(QueueUrl=res.url)
        elif res.kind == "topic":
            client.delete_topic(TopicArn=res.arn)
        elif res.kind == "bus":
            if res.name == DEFAULT_BUS:
                return False
            client.delete_event_bus(Name=res.name)
        else:
            ids = [t["Id"] for page in client.get_paginator("list_targets_by_rule").paginate(
                Rule=res.name, EventBusName=res.bus) for t in page.get("Targets", [])]
            if ids:
                client.remove_targets(Rule=res.name, EventBusName=res.bus, Ids=ids)
            client.delete_rule(Name=res.name, EventBusName=res.bus)
    except ClientError as e:
        if absent(e):
            return False
        raise
    backend.ledger.pop(res.arn, None)
    return True


#: teardown order: what refers to others goes first
_ORDER = {"rule": 0, "bus": 1, "topic": 2, "queue": 3, "table": 4}


def remove(backend: Backend, dep: Deployment, resources: list[Resource], *, check_tag: bool = True) -> list[str]:
    """Delete ``resources`` (rules first, tables last; newest first within a kind), each only if it carries this
    run's tag unless ``check_tag`` is off (rollback of what this run just created); returns ``kind:name``s."""
    deleted = []
    ordered = sorted(enumerate(resources), key=lambda ir: (_ORDER[ir[1].kind], -ir[0]))
    for _, res in ordered:
        if check_tag and not owns(backend, dep, res):
            continue
        if delete(backend, res):
            deleted.append(f"{_LABEL[res.kind]}:{res.name}")
    return deleted


_LABEL = {"table": "table", "queue": "queue", "topic": "topic", "bus": "event-bus", "rule": "rule"}


def find_topic(sns: Any, name: str) -> str | None:
    """The ARN of the topic called ``name``, if one exists (CreateTopic would silently return it)."""
    for page in sns.get_paginator("list_topics").paginate():
        for t in page.get("Topics", []):
            if t["TopicArn"].rsplit(":", 1)[-1] == name:
                return str(t["TopicArn"])
    return None


__all__ = ["ForeignResourceError", "absent", "claim", "created", "find_topic", "owns", "read_tags", "remove",
           "validate_names", "write_tags"]
