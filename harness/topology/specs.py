"""Typed, immutable specs of a pipeline's AWS resources.

Python attributes are snake_case; every AWS concept keeps its AWS name (batch_size is BatchSize).
Each spec validates itself on construction with AWS's ranges, so a bad topology fails before any
server starts, with the text AWS's ValidationException would carry.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from harness.topology.errors import ValidationException, _camel, check_range

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")


class StreamViewType(StrEnum):
    KEYS_ONLY = "KEYS_ONLY"
    NEW_IMAGE = "NEW_IMAGE"
    OLD_IMAGE = "OLD_IMAGE"
    NEW_AND_OLD_IMAGES = "NEW_AND_OLD_IMAGES"


class StartingPosition(StrEnum):
    TRIM_HORIZON = "TRIM_HORIZON"
    LATEST = "LATEST"


class ScalarAttributeType(StrEnum):
    S = "S"
    N = "N"
    B = "B"


def _frozen_map(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _enum(kind: type[StrEnum], parameter: str, value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)  # type: ignore[attr-defined]
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{_camel(parameter)}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{allowed}]", parameter=parameter) from None


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationException(
            f"{kind} name {name!r} is invalid: use 1-255 characters from a-z, A-Z, 0-9, '_', '-', '.'",
            parameter="name")


@dataclass(frozen=True)
class KeyAttribute:
    """A key attribute: its name and scalar type (S, N or B)."""

    name: str
    type: ScalarAttributeType = ScalarAttributeType.S

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= 255:
            raise ValidationException(f"key attribute name {self.name!r} must be 1-255 characters",
                                      parameter="AttributeName")
        object.__setattr__(self, "type", _enum(ScalarAttributeType, "AttributeType", self.type))

    @classmethod
    def parse(cls, value: KeyAttribute | str | Mapping[str, Any]) -> KeyAttribute:
        """Accept ``"ip"``, ``"ip:S"``, ``{"name": "ip", "type": "S"}`` or a KeyAttribute."""
        if isinstance(value, KeyAttribute):
            return value
        if isinstance(value, str):
            name, _, typ = value.partition(":")
            return cls(name, typ or "S")  # type: ignore[arg-type]
        if isinstance(value, Mapping):
            return cls(value["name"], value.get("type", "S"))
        raise ValidationException(f"key attribute must be 'name', 'name:TYPE' or a mapping, got {value!r}")


@dataclass(frozen=True)
class GlobalSecondaryIndex:
    name: str
    hash_key: KeyAttribute
    range_key: KeyAttribute | None = None
    projection: str = "ALL"
    non_key_attributes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_name("Index", self.name)
        if len(self.name) < 3:
            raise ValidationException(f"Index name {self.name!r} is invalid: index names must be between 3 and 255 "
                                      f"characters long", parameter="IndexName")
        object.__setattr__(self, "hash_key", KeyAttribute.parse(self.hash_key))
        if self.range_key is not None:
            object.__setattr__(self, "range_key", KeyAttribute.parse(self.range_key))
        if self.projection not in ("ALL", "KEYS_ONLY", "INCLUDE"):
            raise ValidationException(
                f"Index {self.name}: ProjectionType must be one of ALL, KEYS_ONLY, INCLUDE", parameter="projection")
        object.__setattr__(self, "non_key_attributes", tuple(self.non_key_attributes))


@dataclass(frozen=True)
class Table:
    """A DynamoDB table; ``stream_view_type=None`` means no stream."""

    name: str
    hash_key: KeyAttribute
    range_key: KeyAttribute | None = None
    stream_view_type: StreamViewType | None = StreamViewType.NEW_AND_OLD_IMAGES
    global_secondary_indexes: tuple[GlobalSecondaryIndex, ...] = ()
    ttl_attribute: str | None = None

    def __post_init__(self) -> None:
        _check_name("Table", self.name)
        if len(self.name) < 3:
            raise ValidationException(
                f"Table name {self.name!r} is invalid: table names must be between 3 and 255 characters long",
                parameter="name")
        object.__setattr__(self, "hash_key", KeyAttribute.parse(self.hash_key))
        if self.range_key is not None:
            object.__setattr__(self, "range_key", KeyAttribute.parse(self.range_key))
        if self.stream_view_type is not None:
            object.__setattr__(self, "stream_view_type",
                               _enum(StreamViewType, "StreamViewType", self.stream_view_type))
        gsis = tuple(g if isinstance(g, GlobalSecondaryIndex) else GlobalSecondaryIndex(**g)
                     for g in self.global_secondary_indexes)
        if len(gsis) > 20:
            raise ValidationException(f"Table {self.name}: at most 20 global secondary indexes", parameter="gsi")
        object.__setattr__(self, "global_secondary_indexes", gsis)
        types: dict[str, ScalarAttributeType] = {}
        for key in self.key_attributes():
            if types.setdefault(key.name, key.type) != key.type:
                raise ValidationException(
                    f"Table {self.name}: attribute {key.name!r} is declared with two types "
                    f"({types[key.name]} and {key.type})", parameter="AttributeDefinitions")

    def key_attributes(self) -> list[KeyAttribute]:
        """Every attribute that needs an AttributeDefinition (table and index keys)."""
        keys = [self.hash_key] + ([self.range_key] if self.range_key else [])
        for g in self.global_secondary_indexes:
            keys += [g.hash_key] + ([g.range_key] if g.range_key else [])
        return keys

    @property
    def has_stream(self) -> bool:
        return self.stream_view_type is not None


#: Variables Lambda sets itself and refuses in a function's Environment.
RESERVED_ENV = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})


#: What an asynchronous invocation's record can be sent to: ``queue:NAME``, ``topic:NAME``, ``function:NAME``,
#: ``bus:NAME`` (a function's dead-letter queue: ``queue:`` or ``topic:`` only).
DESTINATION_KINDS = ("queue", "topic", "function", "bus")


def _destination(owner: str, parameter: str, ref: Any, kinds: tuple[str, ...] = DESTINATION_KINDS) -> str:
    kind, sep, name = ref.partition(":") if isinstance(ref, str) else ("", "", "")
    if not sep or kind not in kinds or not name:
        raise ValidationException(
            f"{owner}: {parameter} {ref!r} must name a resource of the topology as "
            f"{', '.join(f'{k}:NAME' for k in kinds)}", parameter=parameter)
    return str(ref)


@dataclass(frozen=True)
class EventInvokeConfig:
    """How Lambda handles a function's asynchronous invocations (PutFunctionEventInvokeConfig): retries
    after a function error, how long an event may wait, where the record of each outcome goes."""

    maximum_retry_attempts: int = 2
    maximum_event_age_in_seconds: int = 21_600
    on_success: str | None = None
    on_failure: str | None = None

    def __post_init__(self) -> None:
        check_range("MaximumRetryAttempts", self.maximum_retry_attempts, 0, 2)
        check_range("MaximumEventAgeInSeconds", self.maximum_event_age_in_seconds, 60, 21_600)
        for parameter in ("on_success", "on_failure"):
            ref = getattr(self, parameter)
            if ref is not None:
                _destination("EventInvokeConfig", f"DestinationConfig.{_pascal(parameter)}", ref)

    @classmethod
    def parse(cls, value: EventInvokeConfig | Mapping[str, Any] | None) -> EventInvokeConfig | None:
        """AWS's shape (``MaximumRetryAttempts``, ``MaximumEventAgeInSeconds``, ``DestinationConfig:
        {OnSuccess: {Destination: ...}, OnFailure: {Destination: ...}}``) or its snake_case twin;
        a destination may also be given as the bare ``queue:NAME``."""
        if value is None or isinstance(value, EventInvokeConfig):
            return value
        if not isinstance(value, Mapping):
            raise ValidationException(f"EventInvokeConfig must be a mapping, got {value!r}",
                                      parameter="EventInvokeConfig")
        known = {"maximum_retry_attempts", "maximum_event_age_in_seconds", "destination_config", "on_success",
                 "on_failure"}
        kwargs: dict[str, Any] = {}
        for key, v in value.items():
            name = _snake_key(str(key))
            if name not in known:
                raise ValidationException(f"EventInvokeConfig: unknown key {key!r} (known: MaximumRetryAttempts, "
                                          f"MaximumEventAgeInSeconds, DestinationConfig)", parameter="EventInvokeConfig")
            if name == "destination_config":
                if not isinstance(v, Mapping):
                    raise ValidationException("EventInvokeConfig: DestinationConfig must be a mapping",
                                              parameter="DestinationConfig")
                for k, d in v.items():
                    outcome = _snake_key(str(k))
                    if outcome not in ("on_success", "on_failure"):
                        raise ValidationException(f"EventInvokeConfig: DestinationConfig has unknown key {k!r} "
                                                  f"(known: OnSuccess, OnFailure)", parameter="DestinationConfig")
                    kwargs[outcome] = _destination_value(d)
            elif name in ("on_success", "on_failure"):
                kwargs[name] = _destination_value(v)
            else:
                kwargs[name] = v
        return cls(**kwargs)


def _snake_key(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _destination_value(value: Any) -> Any:
    """``{"Destination": ref}`` (AWS) or ``ref``."""
    if isinstance(value, Mapping):
        return next((v for k, v in value.items() if str(k).lower() == "destination"), None)
    return value


@dataclass(frozen=True)
class Function:
    """A Lambda function run by the harness's own runtime (never deployed to the backend)."""

    name: str
    handler: str
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: int = 3
    memory_size: int = 128
    invoker: str = "in-process"
    #: asynchronous invocations (EventBridge targets, SNS): retries, event age, OnSuccess/OnFailure destinations
    event_invoke_config: EventInvokeConfig | None = None
    #: where asynchronous invocations that failed every attempt go, as the event itself: queue:NAME or topic:NAME
    dead_letter_queue: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.match(r"^[A-Za-z0-9_-]{1,64}$", self.name):
            raise ValidationException(
                f"Function name {self.name!r} is invalid: 1-64 characters from a-z, A-Z, 0-9, '-', '_'",
                parameter="FunctionName")
        if not isinstance(self.handler, str) or not re.match(r"^[\w.]+:\w+$", self.handler):
            raise ValidationException(
                f"Function {self.name}: handler {self.handler!r} must be 'package.module:function'",
                parameter="handler")
        check_range("Timeout", self.timeout, 1, 900)
        check_range("MemorySize", self.memory_size, 128, 10240)
        if self.invoker not in ("in-process", "worker"):
            raise ValidationException(
                f"Function {self.name}: invoker {self.invoker!r} is unknown; use 'in-process' (debuggable) "
                f"or 'worker' (isolated processes, enforced timeouts)", parameter="invoker")
        env = {k: str(v) for k, v in (self.env or {}).items()}
        reserved = sorted(set(env) & RESERVED_ENV)
        if reserved:
            raise ValidationException(
                f"Function {self.name}: Lambda was unable to configure your environment variables because the "
                f"environment variables you have provided contains reserved keys that are currently not "
                f"supported for modification. Reserved keys used in this request: {', '.join(reserved)}",
                parameter="Environment")
        size = sum(len(k.encode()) + len(v.encode()) for k, v in env.items())
        if size > 4096:
            raise ValidationException(
                f"Function {self.name}: Lambda was unable to configure your environment variables because the "
                f"environment variables you have provided exceeded the 4KB limit ({size} bytes)",
                parameter="Environment")
        object.__setattr__(self, "env", _frozen_map(env))
        object.__setattr__(self, "event_invoke_config", EventInvokeConfig.parse(self.event_invoke_config))
        if self.dead_letter_queue is not None:
            _destination(f"Function {self.name}", "DeadLetterConfig.TargetArn", self.dead_letter_queue,
                         ("queue", "topic"))

    @property
    def async_config(self) -> EventInvokeConfig:
        """The event invoke config in force: the function's, or Lambda's defaults."""
        return self.event_invoke_config or EventInvokeConfig()


@dataclass(frozen=True)
class FilterCriteria:
    """Lambda event filtering: up to 5 patterns, ORed; each is checked at construction."""

    patterns: tuple[str, ...]

    MAX_FILTERS = 5
    MAX_PATTERN_LENGTH = 4096

    def __post_init__(self) -> None:
        patterns = tuple(p if isinstance(p, str) else json.dumps(p) for p in self.patterns)
        if not patterns:
            raise ValidationException("FilterCriteria.Filters must contain at least one filter",
                                      parameter="FilterCriteria")
        if len(patterns) > self.MAX_FILTERS:
            raise ValidationException(
                f"1 validation error detected: Value at 'filterCriteria.filters' failed to satisfy constraint: "
                f"Member must have length less than or equal to {self.MAX_FILTERS} (got {len(patterns)})",
                parameter="FilterCriteria")
        from harness.patterns import InvalidPatternError, compile_pattern

        for i, p in enumerate(patterns):
            if len(p) > self.MAX_PATTERN_LENGTH:
                raise ValidationException(
                    f"FilterCriteria.Filters[{i}].Pattern is {len(p)} characters; the maximum is "
                    f"{self.MAX_PATTERN_LENGTH}", parameter="FilterCriteria")
            try:
                compile_pattern(p, dialect="lambda")
            except InvalidPatternError as e:
                raise ValidationException(
                    f"FilterCriteria.Filters[{i}]: {e}",
                    parameter="FilterCriteria") from None
        object.__setattr__(self, "patterns", patterns)

    @classmethod
    def parse(cls, value: FilterCriteria | Mapping[str, Any] | Iterable[Any]) -> FilterCriteria:
        """Accept AWS's ``{"Filters": [{"Pattern": "..."}]}``, a list of patterns, or a spec."""
        if isinstance(value, FilterCriteria):
            return value
        if isinstance(value, Mapping):
            if "Filters" not in value:
                raise ValidationException("FilterCriteria must have a 'Filters' list", parameter="FilterCriteria")
            filters = value["Filters"]
            if not isinstance(filters, (list, tuple)):
                raise ValidationException(f"FilterCriteria.Filters must be a list, not {type(filters).__name__}",
                                          parameter="FilterCriteria")
            missing = [i for i, f in enumerate(filters) if isinstance(f, Mapping) and "Pattern" not in f]
            if missing:
                raise ValidationException(f"FilterCriteria.Filters[{missing[0]}] has no 'Pattern'",
                                          parameter="FilterCriteria")
            return cls(tuple(f["Pattern"] if isinstance(f, Mapping) else f for f in filters))
        return cls(tuple(value))

    def to_aws(self) -> dict[str, Any]:
        return {"Filters": [{"Pattern": p} for p in self.patterns]}


@dataclass(frozen=True)
class EventSourceMapping:
    """A DynamoDB stream -> function mapping with every AWS parameter and its AWS default."""

    function: str
    source: str
    starting_position: StartingPosition = StartingPosition.TRIM_HORIZON
    batch_size: int = 100
    maximum_batching_window_in_seconds: int = 0
    parallelization_factor: int = 1
    maximum_retry_attempts: int = -1
    maximum_record_age_in_seconds: int = -1
    bisect_batch_on_function_error: bool = False
    tumbling_window_in_seconds: int | None = None
    function_response_types: tuple[str, ...] = ()
    filter_criteria: FilterCriteria | None = None
    on_failure: str | None = None
    enabled: bool = True
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "starting_position",
                           _enum(StartingPosition, "StartingPosition", self.starting_position))
        check_range("BatchSize", self.batch_size, 1, 10_000)
        check_range("MaximumBatchingWindowInSeconds", self.maximum_batching_window_in_seconds, 0, 300)
        check_range("ParallelizationFactor", self.parallelization_factor, 1, 10)
        check_range("MaximumRetryAttempts", self.maximum_retry_attempts, -1, 10_000)
        check_range("MaximumRecordAgeInSeconds", self.maximum_record_age_in_seconds, 60, 604_800, also=(-1,))
        if self.tumbling_window_in_seconds is not None:
            check_range("TumblingWindowInSeconds", self.tumbling_window_in_seconds, 0, 900)
        types = tuple(self.function_response_types or ())
        for t in types:
            if t != "ReportBatchItemFailures":
                raise ValidationException(
                    f"1 validation error detected: Value '[{t}]' at 'functionResponseTypes' failed to satisfy "
                    f"constraint: Member must satisfy enum value set: [ReportBatchItemFailures]",
                    parameter="FunctionResponseTypes")
        object.__setattr__(self, "function_response_types", types)
        if self.filter_criteria is not None:
            object.__setattr__(self, "filter_criteria", FilterCriteria.parse(self.filter_criteria))
        if not isinstance(self.bisect_batch_on_function_error, bool):
            raise ValidationException("BisectBatchOnFunctionError must be a boolean",
                                      parameter="BisectBatchOnFunctionError")
        if self.name is None:
            object.__setattr__(self, "name", f"{self.source}-to-{self.function}")
        _check_name("EventSourceMapping", self.name)  # type: ignore[arg-type]

    @property
    def report_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class RedrivePolicy:
    dead_letter_queue: str
    max_receive_count: int = 3

    def __post_init__(self) -> None:
        check_range("maxReceiveCount", self.max_receive_count, 1, 1000)


@dataclass(frozen=True)
class Queue:
    """An SQS queue; ``redrive_policy`` names another queue of the topology as its DLQ.
    ``content_based_deduplication`` (FIFO only) is what an EventBridge target needs: EventBridge
    sends a FIFO queue no deduplication id."""

    name: str
    fifo: bool = False
    visibility_timeout: int = 30
    message_retention_period: int = 345_600
    redrive_policy: RedrivePolicy | None = None
    content_based_deduplication: bool = False

    def __post_init__(self) -> None:
        if not re.match(r"^([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$", self.name):
            raise ValidationException(
                f"Queue name {self.name!r} is invalid: up to 80 alphanumeric characters, hyphens or "
                f"underscores (FIFO names end in .fifo)", parameter="QueueName")
        if self.fifo != self.name.endswith(".fifo"):
            raise ValidationException(
                f"Queue {self.name}: a FIFO queue's name must end in '.fifo', and only a FIFO queue's",
                parameter="QueueName")
        if self.content_based_deduplication and not self.fifo:
            raise ValidationException(f"Queue {self.name}: ContentBasedDeduplication applies only to FIFO queues",
                                      parameter="ContentBasedDeduplication")
        check_range("VisibilityTimeout", self.visibility_timeout, 0, 43_200)
        check_range("MessageRetentionPeriod", self.message_retention_period, 60, 1_209_600)
        if isinstance(self.redrive_policy, Mapping):
            object.__setattr__(self, "redrive_policy", RedrivePolicy(**self.redrive_policy))
