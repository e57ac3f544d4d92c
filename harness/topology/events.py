"""Specs for EventBridge (buses, rules, targets) and SNS topics, validated with AWS's ranges.

References inside a topology use logical names: a target's ``arn`` is ``function:NAME``,
``queue:NAME`` or ``topic:NAME``; a dead-letter queue is ``queue:NAME``; a rule's ``bus`` is
``default`` or the name of an :class:`EventBus` of the topology. Deploy turns them into ARNs.
The texts of the errors are AWS's where AWS has one (PutRule, PutTargets, CreateEventBus).

In a topology file (AWS's key names, or their snake_case twins)::

    event_buses: [orders]                      # the default bus always exists
    topics:
      - name: alerts
        subscriptions:                         # SNS -> SQS
          - {Queue: audit, FilterPolicy: {severity: [high]}, RawMessageDelivery: true}
          - everything                         # a queue name: no filter, SNS envelope
    rules:
      - Name: invoice-when-checked
        EventBusName: orders                   # default: default
        State: ENABLED                         # or DISABLED
        EventPattern: {detail: {account-check: [{exists: true}]}}   # JSON text or YAML, <= 2,048 chars
        Targets:                               # at most 5
          - Id: invoice
            Arn: function:invoice              # function:NAME | queue:NAME | topic:NAME
            RetryPolicy: {MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600}   # 0-185, 60-86,400
            DeadLetterConfig: {Arn: queue:invoice-dlq}                            # a standard queue
          - Id: in-order
            Arn: queue:ledger.fifo             # a FIFO queue target needs its message group
            SqsParameters: {MessageGroupId: invoices}
          - Id: copy
            Arn: queue:audit
            InputTransformer:                  # or InputPath: $.detail, or Input: {constant: json}
              InputPathsMap: {order: $.detail.order-id}
              InputTemplate: '{"order": <order>, "rule": <aws.events.rule-name>}'
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from harness.topology.errors import ValidationException, check_range

DEFAULT_BUS = "default"

#: AWS quotas (EventBridge): targets per rule, rules per bus, event pattern length.
MAX_TARGETS_PER_RULE = 5
MAX_RULES_PER_BUS = 300
MAX_PATTERN_LENGTH = 2048
#: InputTransformer: at most 100 variables; InputTemplate, Input: up to 8,192 characters.
MAX_INPUT_PATHS = 100
MAX_INPUT_LENGTH = 8192
MAX_INPUT_PATH_LENGTH = 256

_RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
_TARGET_ID = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
_BUS_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,256}$")
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_INPUT_PATHS_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")

TARGET_KINDS = ("function", "queue", "topic")


def _pattern_error(parameter: str, value: str, pattern: str, max_len: int) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{parameter}' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {pattern} and have length less than or equal "
        f"to {max_len}", parameter=parameter)


def _json_text(value: str | Mapping[str, Any] | list[Any], what: str, parameter: str) -> str:
    """JSON given as text or as data; returned as text, checked to parse."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError as e:
            raise ValidationException(f"{what} is not valid JSON: {e}", parameter=parameter) from None
        return value
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValidationException(f"{what} is not JSON-serialisable: {e}", parameter=parameter) from None


def split_ref(ref: str, kinds: Iterable[str], where: str, parameter: str) -> tuple[str, str]:
    """``"queue:failed"`` -> ("queue", "failed"); the kind must be one of ``kinds``."""
    kind, sep, name = str(ref).partition(":")
    kinds = tuple(kinds)
    if not sep or kind not in kinds or not name:
        raise ValidationException(
            f"{where}: {ref!r} must be {' or '.join(f'{k}:NAME' for k in kinds)}, naming a resource of the topology",
            parameter=parameter)
    return kind, name


@dataclass(frozen=True)
class EventBus:
    """A custom event bus; every topology also has the account's ``default`` bus."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _BUS_NAME.match(self.name):
            raise _pattern_error("name", str(self.name), "[\\.\\-_A-Za-z0-9]+", 256)
        if self.name == DEFAULT_BUS:
            raise ValidationException(
                "Event bus default already exists: the default bus exists in every account; rules name it as "
                "bus: default without declaring it", parameter="name")
        if self.name.startswith("aws."):
            raise ValidationException(
                f"Event bus name {self.name!r} is invalid: names starting with 'aws.' are reserved for partner "
                f"event buses", parameter="name")


@dataclass(frozen=True)
class RetryPolicy:
    """A target's retry policy: AWS's defaults are 185 attempts and 24 hours."""

    maximum_retry_attempts: int = 185
    maximum_event_age_in_seconds: int = 86_400

    def __post_init__(self) -> None:
        check_range("MaximumRetryAttempts", self.maximum_retry_attempts, 0, 185)
        check_range("MaximumEventAgeInSeconds", self.maximum_event_age_in_seconds, 60, 86_400)

    @classmethod
    def parse(cls, value: RetryPolicy | Mapping[str, Any] | None) -> RetryPolicy:
        if value is None:
            return cls()
        if isinstance(value, RetryPolicy):
            return value
        if isinstance(value, Mapping):
            known = {"MaximumRetryAttempts": "maximum_retry_attempts",
                     "MaximumEventAgeInSeconds": "maximum_event_age_in_seconds",
                     "maximum_retry_attempts": "maximum_retry_attempts",
                     "maximum_event_age_in_seconds": "maximum_event_age_in_seconds"}
            unknown = set(value) - set(known)
            if unknown:
                raise ValidationException(
                    f"RetryPolicy: unknown keys {sorted(unknown)} (known: MaximumRetryAttempts, "
                    f"MaximumEventAgeInSeconds)", parameter="RetryPolicy")
            return cls(**{known[k]: v for k, v in value.items()})
        raise ValidationException(f"RetryPolicy must be a mapping, got {value!r}", parameter="RetryPolicy")

    def to_aws(self) -> dict[str, int]:
        return {"MaximumRetryAttempts": self.maximum_retry_attempts,
                "MaximumEventAgeInSeconds": self.maximum_event_age_in_seconds}


@dataclass(frozen=True)
class InputTransformer:
    """InputPathsMap (variable -> JSONPath into the event) and InputTemplate with ``<variable>`` placeholders."""

    input_template: str
    input_paths_map: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from harness.patterns.transform import validate_input_transformer

        paths = dict(self.input_paths_map or {})
        problem = validate_input_transformer(paths, self.input_template)
        if problem:
            raise ValidationException(problem, parameter="InputTransformer")
        object.__setattr__(self, "input_paths_map", MappingProxyType(paths))

    @classmethod
    def parse(cls, value: InputTransformer | Mapping[str, Any]) -> InputTransformer:
        if isinstance(value, InputTransformer):
            return value
        if not isinstance(value, Mapping):
            raise ValidationException(f"InputTransformer must be a mapping, got {value!r}", parameter="InputTransformer")
        template = value.get("InputTemplate", value.get("input_template"))
        paths = value.get("InputPathsMap", value.get("input_paths_map")) or {}
        unknown = set(value) - {"InputTemplate", "input_template", "InputPathsMap", "input_paths_map"}
        if unknown:
            raise ValidationException(
                f"InputTransformer: unknown keys {sorted(unknown)} (known: InputPathsMap, InputTemplate)",
                parameter="InputTransformer")
        if template is None:
            raise ValidationException("InputTransformer: InputTemplate is required", parameter="InputTransformer")
        return cls(input_template=template, input_paths_map=paths)

    def to_aws(self) -> dict[str, Any]:
        out: dict[str, Any] = {"InputTemplate": self.input_template}
        if self.input_paths_map:
            out["InputPathsMap"] = dict(self.input_paths_map)
        return out


@dataclass(frozen=True)
class Target:
    """One target of a rule: ``arn`` is ``function:NAME``, ``queue:NAME`` or ``topic:NAME``.

    At most one of ``input`` (constant JSON), ``input_path`` (JSONPath into the event) and
    ``input_transformer``; without any, the target receives the whole event. ``message_group_id``
    is AWS's ``SqsParameters.MessageGroupId``, which a FIFO queue target must have (PutTargets
    refuses one without it; the topology checks it, knowing which queues are FIFO).
    """

    id: str
    arn: str
    input: str | None = None
    input_path: str | None = None
    input_transformer: InputTransformer | None = None
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    dead_letter_queue: str | None = None
    message_group_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _TARGET_ID.match(self.id):
            raise _pattern_error("targets.member.id", str(self.id), "[\\.\\-_A-Za-z0-9]+", 64)
        split_ref(self.arn, TARGET_KINDS, f"Target {self.id}", "Arn")
        if self.dead_letter_queue is not None:
            split_ref(self.dead_letter_queue, ("queue",), f"Target {self.id}: DeadLetterConfig", "DeadLetterConfig")
        if self.message_group_id is not None and (not isinstance(self.message_group_id, str)
                                                  or not 1 <= len(self.message_group_id) <= 128):
            raise ValidationException(f"Target {self.id}: SqsParameters.MessageGroupId must be 1 to 128 characters",
                                      parameter="SqsParameters")
        if self.message_group_id is not None and self.kind != "queue":
            raise ValidationException(f"Target {self.id}: SqsParameters applies only to a queue target, not {self.arn}",
                                      parameter="SqsParameters")
        given = [n for n, v in (("Input", self.input), ("InputPath", self.input_path),
                                ("InputTransformer", self.input_transformer)) if v is not None]
        if len(given) > 1:
            raise ValidationException(
                f"Target {self.id}: only one of Input, InputPath or InputTransformer may be set (got "
                f"{', '.join(given)})", parameter="Targets")
        if self.input is not None:
            text = _json_text(self.input, f"Target {self.id}: Input", "Input")  # type: ignore[arg-type]
            if len(text) > MAX_INPUT_LENGTH:
                raise ValidationException(
                    f"1 validation error detected: Value at 'targets.member.input' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {MAX_INPUT_LENGTH}", parameter="Input")
            object.__setattr__(self, "input", text)
        if self.input_path is not None:
            from harness.patterns.transform import InvalidPathError, parse_path

            if len(self.input_path) > MAX_INPUT_PATH_LENGTH:
                raise ValidationException(
                    f"1 validation error detected: Value at 'targets.member.inputPath' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {MAX_INPUT_PATH_LENGTH}", parameter="InputPath")
            try:
                parse_path(self.input_path)
            except InvalidPathError as e:
                raise ValidationException(f"Target {self.id}: InputPath {e}", parameter="InputPath") from None
        if self.input_transformer is not None:
            object.__setattr__(self, "input_transformer", InputTransformer.parse(self.input_transformer))
        object.__setattr__(self, "retry_policy", RetryPolicy.parse(self.retry_policy))

    @property
    def kind(self) -> str:
        return self.arn.partition(":")[0]

    @property
    def ref_name(self) -> str:
        return self.arn.partition(":")[2]


@dataclass(frozen=True)
class Rule:
    """An event rule on a bus: its pattern (validated here, as PutRule would) and up to 5 targets."""

    name: str
    event_pattern: str
    bus: str = DEFAULT_BUS
    state: str = "ENABLED"
    targets: tuple[Target, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _RULE_NAME.match(self.name):
            raise _pattern_error("name", str(self.name), "[\\.\\-_A-Za-z0-9]+", 64)
        if self.state not in ("ENABLED", "DISABLED"):
            raise ValidationException(
                f"1 validation error detected: Value '{self.state}' at 'state' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [ENABLED, DISABLED]", parameter="State")
        if not isinstance(self.description, str) or len(self.description) > 512:
            raise ValidationException(
                "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must "
                "have length less than or equal to 512", parameter="Description")
        pattern = _json_text(self.event_pattern, f"Rule {self.name}: EventPattern", "EventPattern") \
            if not isinstance(self.event_pattern, str) else self.event_pattern
        from harness.patterns import InvalidPatternError, compile_pattern

        try:
            compile_pattern(pattern, dialect="eventbridge")
        except InvalidPatternError as e:
            raise ValidationException(f"Rule {self.name}: {e}", parameter="EventPattern") from None
        object.__setattr__(self, "event_pattern", pattern)
        targets = tuple(t if isinstance(t, Target) else Target(**t) for t in self.targets)
        if len(targets) > MAX_TARGETS_PER_RULE:
            raise ValidationException(
                f"Rule {self.name}: LimitExceededException: a rule has at most {MAX_TARGETS_PER_RULE} targets "
                f"(got {len(targets)})", parameter="Targets")
        ids = [t.id for t in targets]
        if len(set(ids)) != len(ids):
            raise ValidationException(f"Rule {self.name}: two targets share an Id; target Ids must be unique",
                                      parameter="Targets")
        object.__setattr__(self, "targets", targets)

    @property
    def enabled(self) -> bool:
        return self.state == "ENABLED"


@dataclass(frozen=True)
class Subscription:
    """An SNS -> SQS subscription: ``queue`` names a queue of the topology (``queue:NAME`` or ``NAME``)."""

    queue: str
    filter_policy: str | None = None
    filter_policy_scope: str = "MessageAttributes"
    raw_message_delivery: bool = False

    def __post_init__(self) -> None:
        queue = self.queue if ":" in str(self.queue) else f"queue:{self.queue}"
        split_ref(queue, ("queue",), "Subscription", "Endpoint")
        object.__setattr__(self, "queue", queue)
        if self.filter_policy is not None:
            text = _json_text(self.filter_policy, "Subscription FilterPolicy", "FilterPolicy")  # type: ignore[arg-type]
            if not isinstance(json.loads(text), dict):
                raise ValidationException("Invalid parameter: FilterPolicy: filter policy must be a JSON object",
                                          parameter="FilterPolicy")
            object.__setattr__(self, "filter_policy", text)
        if self.filter_policy_scope not in ("MessageAttributes", "MessageBody"):
            raise ValidationException(
                f"Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value "
                f"[{self.filter_policy_scope}]. Please use either MessageBody or MessageAttributes",
                parameter="FilterPolicyScope")
        if not isinstance(self.raw_message_delivery, bool):
            raise ValidationException("RawMessageDelivery must be a boolean", parameter="RawMessageDelivery")

    @property
    def queue_name(self) -> str:
        return self.queue.partition(":")[2]

    @classmethod
    def parse(cls, value: Subscription | str | Mapping[str, Any]) -> Subscription:
        if isinstance(value, Subscription):
            return value
        if isinstance(value, str):
            return cls(value)
        if not isinstance(value, Mapping):
            raise ValidationException(f"a subscription is a queue reference or a mapping, got {value!r}",
                                      parameter="Subscriptions")
        names = {"Queue": "queue", "Endpoint": "queue", "FilterPolicy": "filter_policy",
                 "FilterPolicyScope": "filter_policy_scope", "RawMessageDelivery": "raw_message_delivery"}
        kwargs: dict[str, Any] = {}
        for key, v in value.items():
            name = names.get(key, key)
            if name not in ("queue", "filter_policy", "filter_policy_scope", "raw_message_delivery"):
                raise ValidationException(
                    f"subscription: unknown key {key!r} (known: Queue, FilterPolicy, FilterPolicyScope, "
                    f"RawMessageDelivery)", parameter="Subscriptions")
            kwargs[name] = v
        return cls(**kwargs)


@dataclass(frozen=True)
class Topic:
    """An SNS topic; its subscriptions deliver to queues of the topology (SNS -> SQS fan-out)."""

    name: str
    subscriptions: tuple[Subscription, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _TOPIC_NAME.match(self.name):
            raise ValidationException(
                f"Invalid parameter: Topic Name {self.name!r}: topic names must be made up of only uppercase and "
                f"lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 "
                f"characters long", parameter="Name")
        object.__setattr__(self, "subscriptions", tuple(Subscription.parse(s) for s in self.subscriptions))


__all__ = [
    "DEFAULT_BUS", "EventBus", "InputTransformer", "MAX_PATTERN_LENGTH", "MAX_RULES_PER_BUS", "MAX_TARGETS_PER_RULE",
    "RetryPolicy", "Rule", "Subscription", "Target", "Topic",
]
