"""What a deployed topology is: physical names and ARNs by logical name, the tag every resource carries,
and the ARN helpers. Data only, no AWS calls: deploy, teardown and the runtime all read it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.topology.events import DEFAULT_BUS
from harness.topology.topology import PLACEHOLDER, Topology

#: the tag every resource the harness creates carries (value: the topology's name)
TAG = "streamharness:topology"
#: the tag naming the run that owns a resource now (value: the deployment's run id); teardown deletes by it
RUN_TAG = "streamharness:run"
#: the AWS service each kind of deployed resource belongs to
SERVICES = {"table": "dynamodb", "queue": "sqs", "topic": "sns", "bus": "events", "rule": "events"}


def function_arn(region: str, account_id: str, name: str) -> str:
    """The ARN the runtime gives a function (functions are never created in the backend)."""
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


def bus_name(prefix: str, logical: str) -> str:
    """A bus's physical name: ``prefix + logical``, except the ``default`` bus."""
    return logical if logical == DEFAULT_BUS else prefix + logical


@dataclass(frozen=True)
class DeployedTable:
    name: str
    arn: str
    stream_arn: str | None


@dataclass(frozen=True)
class DeployedQueue:
    name: str
    url: str
    arn: str


@dataclass(frozen=True)
class DeployedBus:
    name: str
    arn: str


@dataclass(frozen=True)
class DeployedRule:
    name: str
    arn: str
    bus: str  # the physical bus name


@dataclass(frozen=True)
class DeployedTopic:
    name: str
    arn: str
    subscription_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryQueue:
    """The queue backing one Lambda target of one rule."""

    rule: str            # logical rule name
    target_id: str
    bus: str             # physical bus name
    name: str
    url: str
    arn: str
    target: dict[str, Any]   # the target as the harness delivers it (function ARN, RetryPolicy, DLQ, input settings)


@dataclass(frozen=True)
class CaptureQueue:
    bus: str             # logical bus name
    bus_name: str        # physical
    rule: str            # the capture rule's physical name
    rule_arn: str
    name: str
    url: str
    arn: str


@dataclass(frozen=True)
class Resource:
    """One resource a deployment owns: what teardown (and a failed deploy's rollback) deletes."""

    kind: str            # table | queue | topic | bus | rule (see SERVICES)
    name: str            # physical name
    arn: str
    url: str = ""        # queues: the QueueUrl
    bus: str = ""        # rules: the physical bus name
    created: bool = True  # False: it existed, carried our topology tag, and this run took it over


@dataclass
class Deployment:
    """Physical names and ARNs of a deployed topology, by logical name, and what this run owns."""

    topology: Topology
    prefix: str
    #: tags every resource this run owns with RUN_TAG=run_id; teardown deletes exactly those
    run_id: str = ""
    #: modify existing resources that lack our tag (never deleted by teardown) instead of refusing
    adopt: bool = False
    #: what this run owns, in creation order (teardown goes backwards)
    owned: list[Resource] = field(default_factory=list)
    #: resources without our tag that ``adopt`` allowed deploy to use: never deleted
    adopted: list[Resource] = field(default_factory=list)
    tables: dict[str, DeployedTable] = field(default_factory=dict)
    queues: dict[str, DeployedQueue] = field(default_factory=dict)
    buses: dict[str, DeployedBus] = field(default_factory=dict)
    rules: dict[str, DeployedRule] = field(default_factory=dict)
    topics: dict[str, DeployedTopic] = field(default_factory=dict)
    #: external EventBridge only (see harness/deploy/external.py): queue name -> the Lambda target it backs
    delivery_queues: dict[str, DeliveryQueue] = field(default_factory=dict)
    #: external EventBridge only: logical bus -> its capture-all rule and queue
    capture_queues: dict[str, CaptureQueue] = field(default_factory=dict)

    def resolve(self, value: str) -> str:
        """Replace ``${table:x}``, ``${table-arn:x}``, ``${stream-arn:x}``, ``${queue:x}``, ``${queue-arn:x}``,
        ``${queue-name:x}``, ``${bus:x}``, ``${topic-arn:x}`` placeholders."""
        def sub(match: Any) -> str:
            kind, name = match.group(1), match.group(2)
            if kind == "bus":
                return name if name == "default" else self.buses[name].name
            if kind == "topic-arn":
                return self.topics[name].arn
            if kind == "table":
                return self.tables[name].name
            if kind == "table-arn":
                return self.tables[name].arn
            if kind == "queue-name":
                return self.queues[name].name
            if kind == "stream-arn":
                return self.tables[name].stream_arn or ""
            if kind == "queue":
                return self.queues[name].url
            return self.queues[name].arn
        return PLACEHOLDER.sub(sub, value)

    @property
    def tags(self) -> dict[str, str]:
        """The tags of every resource this run owns."""
        return {TAG: self.topology.name, RUN_TAG: self.run_id}

    def destination_arn(self, ref: str) -> str:
        kind, _, name = ref.partition(":")
        if kind == "queue":
            return self.queues[name].arn
        if kind == "topic":
            return self.topics[name].arn
        raise KeyError(ref)


__all__ = ["RUN_TAG", "SERVICES", "TAG", "CaptureQueue", "Resource", "DeliveryQueue", "DeployedBus", "DeployedQueue", "DeployedRule", "DeployedTable",
           "DeployedTopic", "Deployment", "bus_name", "function_arn"]
