"""A whole pipeline: the specs plus the references between them, checked once."""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.topology.errors import ValidationException
from harness.topology.events import DEFAULT_BUS, MAX_RULES_PER_BUS, EventBus, Rule, Topic
from harness.topology.specs import EventSourceMapping, Function, Queue, Table
from harness.topology.thresholds import Thresholds

# ${table:NAME}, ${table-arn:NAME}, ${stream-arn:NAME}, ${queue:NAME} (URL), ${queue-arn:NAME},
# ${queue-name:NAME}, ${bus:NAME} (the deployed bus name; "default" stays default), ${topic-arn:NAME} in
# Function.env values and in rules' event patterns.
PLACEHOLDER = re.compile(
    r"\$\{(table|table-arn|stream-arn|queue|queue-arn|queue-name|bus|topic-arn):([A-Za-z0-9_.-]+)\}")


@dataclass(frozen=True)
class Topology:
    """Everything a pipeline needs; resources refer to each other by their logical names."""

    name: str
    tables: tuple[Table, ...] = ()
    functions: tuple[Function, ...] = ()
    event_source_mappings: tuple[EventSourceMapping, ...] = ()
    queues: tuple[Queue, ...] = ()
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    event_buses: tuple[EventBus, ...] = ()
    rules: tuple[Rule, ...] = ()
    topics: tuple[Topic, ...] = ()
    #: directories the harness puts on sys.path for this topology's handlers (a template's code directories)
    handlers_path: tuple[str, ...] = ()
    #: the SLOs ``harness load`` checks on this topology (None: none)
    thresholds: Thresholds | None = None

    def __post_init__(self) -> None:
        for attr in ("tables", "functions", "event_source_mappings", "queues", "event_buses", "rules", "topics",
                     "handlers_path"):
            object.__setattr__(self, attr, tuple(getattr(self, attr)))
        self._check_unique("table", [t.name for t in self.tables])
        self._check_unique("function", [f.name for f in self.functions])
        self._check_unique("queue", [q.name for q in self.queues])
        self._check_unique("event source mapping", [m.name for m in self.event_source_mappings])  # type: ignore[misc]
        tables = {t.name: t for t in self.tables}
        functions = {f.name for f in self.functions}
        queues = {q.name for q in self.queues}
        for m in self.event_source_mappings:
            if m.function not in functions:
                raise ValidationException(
                    f"EventSourceMapping {m.name}: function {m.function!r} is not in the topology "
                    f"(functions: {sorted(functions)})", parameter="FunctionName")
            table = tables.get(m.source)
            if table is None:
                raise ValidationException(
                    f"EventSourceMapping {m.name}: source table {m.source!r} is not in the topology "
                    f"(tables: {sorted(tables)})", parameter="EventSourceArn")
            if not table.has_stream:
                raise ValidationException(
                    f"EventSourceMapping {m.name}: table {m.source!r} has no stream; set its stream_view_type",
                    parameter="EventSourceArn")
            if m.on_failure is not None and self._destination_kind(m.on_failure) is None:
                raise ValidationException(
                    f"EventSourceMapping {m.name}: OnFailure destination {m.on_failure!r} must name a queue "
                    f"or topic of the topology as 'queue:NAME' or 'topic:NAME'", parameter="DestinationConfig")
        for q in self.queues:
            if q.redrive_policy and q.redrive_policy.dead_letter_queue not in queues:
                raise ValidationException(
                    f"Queue {q.name}: dead-letter queue {q.redrive_policy.dead_letter_queue!r} is not in the "
                    f"topology", parameter="RedrivePolicy")
            if q.redrive_policy and self.queue(q.redrive_policy.dead_letter_queue).fifo != q.fifo:
                raise ValidationException(
                    f"Queue {q.name}: the dead-letter queue of a {'FIFO' if q.fifo else 'standard'} queue must "
                    f"also be a {'FIFO' if q.fifo else 'standard'} queue", parameter="RedrivePolicy")
        self._check_messaging(functions, queues)
        known_refs: dict[str, Any] = {"table": tables, "table-arn": tables, "stream-arn": tables, "queue": queues,
                                      "queue-arn": queues, "queue-name": queues,
                                      "bus": {DEFAULT_BUS} | {b.name for b in self.event_buses},
                                      "topic-arn": {t.name for t in self.topics}}
        for f in self.functions:
            for key, value in f.env.items():
                for kind, ref in PLACEHOLDER.findall(value):
                    known = known_refs[kind]
                    if ref not in known:
                        noun = kind.split("-")[0]
                        close = difflib.get_close_matches(ref, sorted(known), n=1)
                        raise ValidationException(
                            f"Function {f.name}: env {key} refers to {noun} {ref!r}, which is not in the topology "
                            f"({'buses' if noun == 'bus' else noun + 's'}: {', '.join(sorted(known)) or 'none'})"
                            + (f"; did you mean {close[0]!r}?" if close else ""), parameter="Environment")
                    if kind == "stream-arn" and not tables[ref].has_stream:
                        raise ValidationException(
                            f"Function {f.name}: env {key} refers to the stream of table {ref!r}, which has none",
                            parameter="Environment")

    def _destination_kind(self, ref: str) -> str | None:
        kind, _, name = ref.partition(":")
        if kind == "queue" and name in {q.name for q in self.queues}:
            return "queue"
        if kind == "topic" and name in {t.name for t in self.topics}:
            return "topic"
        return None

    def _check_messaging(self, functions: set[str], queues: set[str]) -> None:
        """Buses, rules, targets, DLQs and topic subscriptions refer to resources of this topology."""
        self._check_unique("event bus", [b.name for b in self.event_buses])
        self._check_unique("topic", [t.name for t in self.topics])
        self._check_unique("rule", [r.name for r in self.rules])  # logical names, unique across buses too
        buses = {DEFAULT_BUS} | {b.name for b in self.event_buses}
        topics = {t.name for t in self.topics}
        fifo = {q.name for q in self.queues if q.fifo}
        known = {"function": functions, "queue": queues, "topic": topics}
        per_bus: dict[str, list[str]] = {}
        for rule in self.rules:
            if rule.bus not in buses:
                raise ValidationException(
                    f"Rule {rule.name}: event bus {rule.bus!r} is not in the topology (buses: {sorted(buses)})",
                    parameter="EventBusName")
            names = per_bus.setdefault(rule.bus, [])
            names.append(rule.name)
            if len(names) > MAX_RULES_PER_BUS:
                raise ValidationException(
                    f"LimitExceededException: bus {rule.bus!r} has more than {MAX_RULES_PER_BUS} rules",
                    parameter="Rules")
            for target in rule.targets:
                if target.ref_name not in known[target.kind]:
                    raise ValidationException(
                        f"Rule {rule.name}: target {target.id} refers to {target.kind} {target.ref_name!r}, which is "
                        f"not in the topology ({target.kind}s: {sorted(known[target.kind])})", parameter="Targets")
                if target.kind == "queue" and target.ref_name in fifo and target.message_group_id is None:
                    raise ValidationException(  # PutTargets' own words; the queue is named for the reader
                        f"Rule {rule.name}: Parameter(s) SqsParameters must be specified for target: {target.id}. "
                        f"(queue {target.ref_name!r} is FIFO: give the target a message_group_id)",
                        parameter="SqsParameters")
                if target.kind == "queue" and target.ref_name in fifo \
                        and not self.queue(target.ref_name).content_based_deduplication:
                    raise ValidationException(  # AWS accepts the target; every delivery then fails
                        f"Rule {rule.name}: target {target.id}: FIFO queue {target.ref_name!r} needs "
                        f"content_based_deduplication: EventBridge sends it no deduplication id, so SQS refuses "
                        f"every event", parameter="ContentBasedDeduplication")
                if target.dead_letter_queue is not None:
                    dlq = target.dead_letter_queue.partition(":")[2]
                    if dlq not in queues:
                        raise ValidationException(
                            f"Rule {rule.name}: target {target.id}: dead-letter queue {dlq!r} is not in the "
                            f"topology", parameter="DeadLetterConfig")
                    if dlq in fifo:
                        raise ValidationException(
                            f"Rule {rule.name}: target {target.id}: dead-letter queue {dlq!r} is a FIFO queue; "
                            f"EventBridge dead-letter queues must be standard queues", parameter="DeadLetterConfig")
        for f in self.functions:
            self._check_async(f, {**known, "bus": buses}, fifo)
        for topic in self.topics:
            for sub in topic.subscriptions:
                if sub.queue_name not in queues:
                    raise ValidationException(
                        f"Topic {topic.name}: subscription to queue {sub.queue_name!r}, which is not in the topology",
                        parameter="Subscriptions")

    @staticmethod
    def _check_async(f: Function, known: Mapping[str, set[str]], fifo: set[str]) -> None:
        """A function's destinations and dead-letter queue are resources of this topology (standard queues:
        Lambda cannot send to FIFO ones)."""
        refs = [("DeadLetterConfig", f.dead_letter_queue)]
        if f.event_invoke_config is not None:
            refs += [("DestinationConfig.OnSuccess", f.event_invoke_config.on_success),
                     ("DestinationConfig.OnFailure", f.event_invoke_config.on_failure)]
        for parameter, ref in refs:
            if ref is None:
                continue
            kind, _, name = ref.partition(":")
            if name not in known[kind]:
                raise ValidationException(
                    f"Function {f.name}: {parameter} refers to {kind} {name!r}, which is not in the topology "
                    f"({kind}{'es' if kind == 'bus' else 's'}: {', '.join(sorted(known[kind])) or 'none'})",
                    parameter=parameter.split(".")[0])
            if kind == "queue" and name in fifo:
                raise ValidationException(
                    f"Function {f.name}: {parameter} names FIFO queue {name!r}; Lambda sends asynchronous "
                    f"invocation records only to standard queues", parameter=parameter.split(".")[0])

    @staticmethod
    def _check_unique(kind: str, names: Iterable[str]) -> None:
        seen: set[str] = set()
        for n in names:
            if n in seen:
                raise ValidationException(f"two {kind}s are named {n!r}; names must be unique", parameter="name")
            seen.add(n)

    def table(self, name: str) -> Table:
        return _find(self.tables, name, "table")

    def function(self, name: str) -> Function:
        return _find(self.functions, name, "function")

    def queue(self, name: str) -> Queue:
        return _find(self.queues, name, "queue")

    def mapping(self, name: str) -> EventSourceMapping:
        return _find(self.event_source_mappings, name, "event source mapping")

    def rule(self, name: str) -> Rule:
        return _find(self.rules, name, "rule")

    def topic(self, name: str) -> Topic:
        return _find(self.topics, name, "topic")

    @classmethod
    def from_file(cls, path: str | Path) -> Topology:
        from harness.topology.loader import load_file

        return load_file(path)

    @classmethod
    def from_template(cls, path: str | Path, parameters: Mapping[str, Any] | None = None) -> Topology:
        """A SAM / CloudFormation template (``cdk synth`` output too) as a topology.

        What the template declares and the harness does not run is emitted as one ``TemplateWarning``;
        use :func:`harness.topology.template.load_template` to get those lines instead.
        """
        import warnings

        from harness.topology.template import TemplateWarning, format_warning, load_template

        topology, lines = load_template(path, parameters)
        if lines:
            warnings.warn(format_warning(path, lines), TemplateWarning, stacklevel=2)
        return topology

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Topology:
        from harness.topology.loader import load_dict

        return load_dict(data)


def _find(items: Iterable[Any], name: str, kind: str) -> Any:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"no {kind} named {name!r}")
