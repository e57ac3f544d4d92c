"""EventBridge's state and operations (buses, rules, targets, PutEvents), as plain objects.

No HTTP here (see responses.py and server.py) and no delivery (see dispatcher.py): PutEvents
validates its entries, builds the envelope AWS delivers, matches every enabled rule of the bus
with :mod:`harness.patterns` and returns what matched; the endpoint hands that to a dispatcher.

Errors carry AWS's ``__type`` names and texts where known. Decisions where AWS's docs are silent
or disagree are listed in the docstrings of the methods concerned.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.emulators.ids import new_id
from harness.patterns import EventPattern, InvalidPatternError, compile_pattern
from harness.patterns import transform

DEFAULT_BUS = "default"
MAX_ENTRIES = 10
#: "The total entry size must be less than 256KB" (eb-putevent-size): an entry may be 262,144 bytes.
MAX_ENTRY_BYTES = 256 * 1024
MAX_RULES_PER_BUS = 300
MAX_TARGETS_PER_RULE = 5
#: A target's RetryPolicy when PutTargets gave none: 185 attempts, 24 hours.
DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE_S = 86_400

_NAME = re.compile(r"^[.\-_A-Za-z0-9]+$")
_REQUIRED = ("Source", "DetailType", "Detail")


# -- errors -----------------------------------------------------------------------------------
class EventsError(Exception):
    """An error response: ``code`` is AWS's ``__type``, the message AWS's text."""

    code = "InternalException"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResourceNotFoundException(EventsError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(EventsError):
    code = "ResourceAlreadyExistsException"


class ValidationException(EventsError):
    code = "ValidationException"


class InvalidEventPatternException(EventsError):
    code = "InvalidEventPatternException"


class LimitExceededException(EventsError):
    code = "LimitExceededException"


class SerializationException(EventsError):
    code = "SerializationException"


class UnknownOperationException(EventsError):
    code = "UnknownOperationException"


class InternalException(EventsError):
    """A bug of ours, answered as AWS answers its own."""

    status = 500


def _length_error(parameter: str, low: int, high: int, value: Any = None) -> ValidationException:
    shown = f"Value '{value}' at" if value is not None else "Value at"
    bound = (f"greater than or equal to {low} and less than or equal to {high}" if low
             else f"less than or equal to {high}")
    return ValidationException(f"1 validation error detected: {shown} '{parameter}' failed to satisfy constraint: "
                               f"Member must have length {bound}")


def _check_name(parameter: str, value: Any, regex: re.Pattern[str], max_len: int) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationException(f"1 validation error detected: Value null at '{parameter}' failed to satisfy "
                                  f"constraint: Member must not be null")
    if len(value) > max_len:
        raise _length_error(parameter, 1, max_len, value)
    if not regex.match(value):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{parameter}' failed to satisfy constraint: Member must "
            f"satisfy regular expression pattern: {regex.pattern.strip('^$')}")
    return value


def iso_seconds(epoch: float) -> str:
    """The ``time`` of an event: ``2015-11-11T21:29:54Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- state ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TargetModel:
    """A target as PutTargets stored it (``data``, AWS's shape) plus what delivery reads from it,
    worked out once."""

    data: Mapping[str, Any]
    id: str
    arn: str
    service: str
    function: str
    max_retry_attempts: int
    max_event_age_s: int
    dead_letter_arn: str | None
    input: str | None
    input_path: str | None
    input_paths_map: Mapping[str, str] | None
    input_template: str | None
    message_group_id: str | None

    @classmethod
    def from_aws(cls, data: Mapping[str, Any]) -> TargetModel:
        arn = data["Arn"]
        parts = arn.split(":")
        policy = data.get("RetryPolicy") or {}
        transformer = data.get("InputTransformer") or {}
        attempts, age = policy.get("MaximumRetryAttempts"), policy.get("MaximumEventAgeInSeconds")
        return cls(
            data=data, id=data["Id"], arn=arn, service=parts[2] if len(parts) > 2 else "",
            function=parts[6] if len(parts) > 6 and parts[5] == "function" else "",
            max_retry_attempts=DEFAULT_MAX_RETRY_ATTEMPTS if attempts is None else int(attempts),
            max_event_age_s=DEFAULT_MAX_EVENT_AGE_S if age is None else int(age),
            dead_letter_arn=(data.get("DeadLetterConfig") or {}).get("Arn"), input=data.get("Input"),
            input_path=data.get("InputPath"), input_paths_map=transformer.get("InputPathsMap"),
            input_template=transformer.get("InputTemplate"),
            message_group_id=(data.get("SqsParameters") or {}).get("MessageGroupId"))


@dataclass
class RuleModel:
    name: str
    bus: str
    arn: str
    event_pattern: str
    pattern: EventPattern
    state: str = "ENABLED"
    description: str = ""
    #: the targets, replaced (never mutated) on change so a PutEvents snapshot is stable
    targets: tuple[TargetModel, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.state != "DISABLED"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": self.name, "Arn": self.arn, "EventPattern": self.event_pattern,
                               "State": self.state, "EventBusName": self.bus}
        if self.description:
            out["Description"] = self.description
        return out


@dataclass
class BusModel:
    name: str
    arn: str
    created: float = field(default_factory=time.time)
    rules: dict[str, RuleModel] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"Name": self.name, "Arn": self.arn}


@dataclass(frozen=True)
class Match:
    """A rule an event matched, with the rule's targets at that moment."""

    rule: str
    rule_arn: str
    bus: str
    targets: tuple[TargetModel, ...]


@dataclass
class BusEvent:
    """An accepted event: the envelope targets receive, where it was put, and what it matched."""

    event: dict[str, Any]
    bus: str
    ingestion_time: float
    matches: tuple[Match, ...]
    _text: str | None = None

    @property
    def id(self) -> str:
        return self.event["id"]  # type: ignore[no-any-return]

    @property
    def text(self) -> str:
        """The envelope as compact JSON, serialised once for every target."""
        if self._text is None:
            self._text = json.dumps(self.event, separators=(",", ":"), ensure_ascii=False)
        return self._text


def entry_size(entry: Mapping[str, Any]) -> int:
    """AWS's PutEventsRequestEntry size: 14 bytes for Time (if given), then the UTF-8 bytes of
    Source, DetailType, Detail and each of Resources (eb-putevent-size)."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        value = entry.get(key)
        if isinstance(value, str):
            size += len(value.encode("utf-8"))
    for resource in entry.get("Resources") or ():
        if isinstance(resource, str):
            size += len(resource.encode("utf-8"))
    return size


def _entry_time(value: Any, now: float) -> float:
    """boto3 sends Time as epoch seconds; other SDKs may send ISO 8601 text."""
    if value is None:
        return now
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
    raise ValueError(f"Time {value!r} is not a timestamp")


class EventsModel:
    """One account+region's EventBridge: the default bus always exists."""

    def __init__(self, region: str = "us-east-1", account_id: str = "123456789012", *,
                 max_entry_bytes: int = MAX_ENTRY_BYTES) -> None:
        self.region = region
        self.account_id = account_id
        self.max_entry_bytes = max_entry_bytes
        self._lock = threading.RLock()
        self.buses: dict[str, BusModel] = {DEFAULT_BUS: BusModel(DEFAULT_BUS, self.bus_arn(DEFAULT_BUS))}
        #: resource ARN -> its tags (buses and rules); deploy reads them to tell its own resources from others'
        self.tags: dict[str, dict[str, str]] = {}

    # -- names and ARNs ---------------------------------------------------------------------
    def bus_arn(self, name: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account_id}:event-bus/{name}"

    def rule_arn(self, bus: str, name: str) -> str:
        path = name if bus == DEFAULT_BUS else f"{bus}/{name}"
        return f"arn:aws:events:{self.region}:{self.account_id}:rule/{path}"

    @staticmethod
    def bus_name(value: str | None) -> str:
        """EventBusName may be a name or an ARN; absent means the default bus."""
        if not value:
            return DEFAULT_BUS
        if value.startswith("arn:"):
            return value.split(":event-bus/", 1)[-1]
        return value

    def _bus(self, name: str | None) -> BusModel:
        bus_name = self.bus_name(name)
        bus = self.buses.get(bus_name)
        if bus is None:
            raise ResourceNotFoundException(f"Event bus {bus_name} does not exist.")
        return bus

    def _rule(self, name: str, bus_name: str | None) -> RuleModel:
        bus = self._bus(bus_name)
        rule = bus.rules.get(name)
        if rule is None:
            raise ResourceNotFoundException(f"Rule {name} does not exist on EventBus {bus.name}.")
        return rule

    # -- buses ------------------------------------------------------------------------------
    def create_event_bus(self, name: str, tags: Mapping[str, str] | None = None) -> BusModel:
        _check_name("name", name, _NAME, 256)
        if name.startswith("aws."):
            raise ValidationException(f"Event source {name} does not exist.")
        with self._lock:
            if name in self.buses:
                raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
            bus = self.buses[name] = BusModel(name, self.bus_arn(name))
            if tags:
                self.tags[bus.arn] = dict(tags)
            return bus

    def delete_event_bus(self, name: str) -> None:
        """Deleting an absent bus succeeds (as AWS does); the default bus cannot be deleted.
        Decision: a custom bus is deleted with its rules."""
        name = self.bus_name(name)
        if name == DEFAULT_BUS:
            raise ValidationException("Cannot delete event bus default.")
        with self._lock:
            bus = self.buses.pop(name, None)
            if bus is not None:
                self.tags.pop(bus.arn, None)
                for rule in bus.rules.values():
                    self.tags.pop(rule.arn, None)

    def describe_event_bus(self, name: str | None) -> BusModel:
        with self._lock:
            return self._bus(name)

    def list_event_buses(self, prefix: str | None = None) -> list[BusModel]:
        with self._lock:
            return [b for n, b in sorted(self.buses.items()) if not prefix or n.startswith(prefix)]

    # -- rules ------------------------------------------------------------------------------
    def put_rule(self, name: str, *, bus: str | None = None, event_pattern: str | None = None,
                 schedule_expression: str | None = None, state: str | None = None,
                 description: str | None = None) -> RuleModel:
        """Create or update; an update keeps the rule's targets (and its state unless given)."""
        _check_name("name", name, _NAME, 64)
        if schedule_expression:
            raise ValidationException(
                "ScheduleExpression is not supported by the streamharness EventBridge endpoint: rules match events "
                "only.")
        if not event_pattern:
            raise ValidationException("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if state is not None and state not in ("ENABLED", "DISABLED",
                                               "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"):
            raise ValidationException(
                f"1 validation error detected: Value '{state}' at 'state' failed to satisfy constraint: Member must "
                f"satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]")
        if description is not None and len(description) > 512:
            raise _length_error("description", 0, 512)
        pattern = self.compile(event_pattern)
        with self._lock:
            bus_model = self._bus(bus)
            existing = bus_model.rules.get(name)
            if existing is None:
                if len(bus_model.rules) >= MAX_RULES_PER_BUS:
                    raise LimitExceededException(
                        f"The requested resource exceeds the maximum number allowed. (at most {MAX_RULES_PER_BUS} "
                        f"rules per event bus)")
                rule = RuleModel(name, bus_model.name, self.rule_arn(bus_model.name, name), event_pattern, pattern,
                                 state or "ENABLED", description or "")
                bus_model.rules[name] = rule
                return rule
            existing.event_pattern, existing.pattern = event_pattern, pattern
            if state is not None:
                existing.state = state
            if description is not None:
                existing.description = description
            return existing

    @staticmethod
    def compile(event_pattern: str) -> EventPattern:
        try:
            return compile_pattern(event_pattern, dialect="eventbridge")
        except InvalidPatternError as e:
            raise InvalidEventPatternException(str(e)) from None

    def describe_rule(self, name: str, bus: str | None = None) -> RuleModel:
        with self._lock:
            return self._rule(name, bus)

    def list_rules(self, bus: str | None = None, prefix: str | None = None) -> list[RuleModel]:
        with self._lock:
            rules = self._bus(bus).rules
            return [r for n, r in sorted(rules.items()) if not prefix or n.startswith(prefix)]

    def set_rule_state(self, name: str, bus: str | None, state: str) -> None:
        with self._lock:
            self._rule(name, bus).state = state

    def delete_rule(self, name: str, bus: str | None = None, force: bool = False) -> None:
        """Deleting an absent rule succeeds, as on AWS; a rule with targets must lose them first."""
        with self._lock:
            bus_model = self._bus(bus)
            rule = bus_model.rules.get(name)
            if rule is None:
                return
            if rule.targets and not force:
                raise ValidationException("Rule can't be deleted since it has targets.")
            del bus_model.rules[name]
            self.tags.pop(rule.arn, None)

    # -- tags -------------------------------------------------------------------------------
    def _tagged(self, arn: str) -> str:
        """The ARN of an existing bus or rule (tags belong to resources that exist)."""
        with self._lock:
            for bus in self.buses.values():
                if bus.arn == arn or any(r.arn == arn for r in bus.rules.values()):
                    return arn
        kind = "Rule" if ":rule/" in arn else "Event bus"
        raise ResourceNotFoundException(f"{kind} {arn.rsplit('/', 1)[-1]} does not exist.")

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        with self._lock:
            self.tags.setdefault(self._tagged(arn), {}).update(tags)

    def untag_resource(self, arn: str, keys: Iterable[str]) -> None:
        with self._lock:
            held = self.tags.get(self._tagged(arn), {})
            for key in keys:
                held.pop(key, None)

    def list_tags(self, arn: str) -> dict[str, str]:
        with self._lock:
            return dict(self.tags.get(self._tagged(arn), {}))

    # -- targets ----------------------------------------------------------------------------
    def put_targets(self, rule_name: str, bus: str | None, targets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Add or replace targets by Id; returns AWS's FailedEntries (always empty: invalid targets
        fail the whole call with ValidationException, as boto3's and AWS's parameter checks do)."""
        if not targets:
            raise _length_error("targets", 1, 100)
        if len(targets) > 100:
            raise _length_error("targets", 1, 100)
        checked = [TargetModel.from_aws(validate_target(t, i + 1)) for i, t in enumerate(targets)]
        with self._lock:
            rule = self._rule(rule_name, bus)
            by_id = {t.id: t for t in rule.targets}
            for t in checked:
                by_id[t.id] = t
            if len(by_id) > MAX_TARGETS_PER_RULE:
                raise LimitExceededException(
                    f"The requested resource exceeds the maximum number allowed. (at most {MAX_TARGETS_PER_RULE} "
                    f"targets per rule)")
            rule.targets = tuple(by_id.values())
        return []

    def list_targets(self, rule_name: str, bus: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(json.dumps(t.data)) for t in self._rule(rule_name, bus).targets]

    def remove_targets(self, rule_name: str, bus: str | None, ids: Iterable[str]) -> list[dict[str, Any]]:
        with self._lock:
            rule = self._rule(rule_name, bus)
            ids = set(ids)
            rule.targets = tuple(t for t in rule.targets if t.id not in ids)
        return []

    # -- events -----------------------------------------------------------------------------
    def put_events(self, entries: Sequence[Mapping[str, Any]], now: float | None = None
                   ) -> tuple[list[dict[str, Any]], list[BusEvent]]:
        """AWS's PutEvents: ``(result entries, accepted events with their matches)``.

        Whole-request errors: no entries or more than 10 (ValidationException), no entry with all of
        Source, DetailType and Detail (AWS: "fails the entire request"), an entry over the
        size limit ("Total size of the entries in the request is over the limit.", the text AWS
        returns; decision: the limit is checked per entry, as the entry-size page describes).
        Per-entry errors, counted in FailedEntryCount: a missing Source, DetailType or Detail
        (InvalidArgument), a Detail that is not a JSON object (MalformedDetail), a Source starting
        with ``aws.`` (NotAuthorizedForSourceException), and a bus that does not exist
        (ResourceNotFoundException; decision: AWS accepted such entries silently for years -- aws-sdk
        issue 186 -- and says it now rejects them; the harness rejects them, so the bug shows).
        """
        if not isinstance(entries, Sequence) or isinstance(entries, (str, bytes)):
            raise ValidationException("1 validation error detected: Value null at 'entries' failed to satisfy "
                                      "constraint: Member must not be null")
        if not entries:
            raise ValidationException(
                "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have "
                "length greater than or equal to 1")
        if len(entries) > MAX_ENTRIES:
            raise ValidationException(
                "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_ENTRIES}")
        for entry in entries:
            if isinstance(entry, Mapping) and entry_size(entry) > self.max_entry_bytes:
                raise ValidationException("Total size of the entries in the request is over the limit.")
        if not any(isinstance(e, Mapping) and all(e.get(k) for k in _REQUIRED) for e in entries):
            # "If you submit a request in which none of the entries have each of these properties,
            # EventBridge fails the entire request." (PutEventsRequestEntry)
            raise ValidationException("Parameter Entries is not valid. Reason: no entry has all of Source, "
                                      "DetailType and Detail.")
        now = time.time() if now is None else now
        now_text = iso_seconds(now)
        results: list[dict[str, Any]] = []
        accepted: list[BusEvent] = []
        with self._lock:
            rules_by_bus = {name: tuple(b.rules.values()) for name, b in self.buses.items()}
        for entry in entries:
            error, detail = self._check_entry(entry, rules_by_bus)
            if error is not None:
                results.append({"ErrorCode": error[0], "ErrorMessage": error[1]})
                continue
            time_text = now_text
            if entry.get("Time") is not None:
                try:
                    time_text = iso_seconds(_entry_time(entry["Time"], now))
                except (ValueError, OverflowError, OSError) as e:
                    results.append({"ErrorCode": "InvalidArgument",
                                    "ErrorMessage": f"Parameter Time is not valid. Reason: {e}."})
                    continue
            bus_name = self.bus_name(entry.get("EventBusName"))
            event_id = new_id()
            event = {
                "version": "0",
                "id": event_id,
                "detail-type": entry["DetailType"],
                "source": entry["Source"],
                "account": self.account_id,
                "time": time_text,
                "region": self.region,
                "resources": list(entry.get("Resources") or []),
                "detail": detail,
            }
            matches = tuple(Match(r.name, r.arn, bus_name, r.targets)
                            for r in rules_by_bus[bus_name] if r.enabled and r.pattern.matches(event))
            accepted.append(BusEvent(event, bus_name, now, matches))
            results.append({"EventId": event_id})
        return results, accepted

    def _check_entry(self, entry: Any, rules_by_bus: Mapping[str, Any]
                     ) -> tuple[tuple[str, str] | None, dict[str, Any] | None]:
        """``(error code and message, None)`` or ``(None, the parsed Detail)``."""
        if not isinstance(entry, Mapping):
            return ("InvalidArgument", "Parameter Entry is not valid."), None
        for key in _REQUIRED:
            if not entry.get(key):
                return ("InvalidArgument", f"Parameter {key} is not valid. Reason: {key} is a required argument."), None
            if not isinstance(entry[key], str):
                return ("InvalidArgument", f"Parameter {key} is not valid. Reason: {key} must be a string."), None
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            return ("MalformedDetail", "Detail is malformed."), None
        if entry["Source"].startswith("aws."):
            return ("NotAuthorizedForSourceException", "Not authorized for the source."), None
        resources = entry.get("Resources")
        if resources is not None and (not isinstance(resources, list)
                                      or not all(isinstance(r, str) for r in resources)):
            return ("InvalidArgument", "Parameter Resources is not valid. Reason: Resources must be a list of ARNs."), None
        bus_name = self.bus_name(entry.get("EventBusName"))
        if bus_name not in rules_by_bus:
            return ("ResourceNotFoundException", f"Event bus {bus_name} does not exist."), None
        return None, detail

    def test_event_pattern(self, event_pattern: str, event: str) -> bool:
        """TestEventPattern: the event must be JSON with AWS's mandatory fields."""
        pattern = self.compile(event_pattern)
        try:
            data = json.loads(event)
        except (TypeError, ValueError):
            raise ValidationException("Parameter Event is not valid.") from None
        if not isinstance(data, dict):
            raise ValidationException("Parameter Event is not valid.")
        missing = [k for k in ("id", "account", "source", "time", "region", "resources", "detail-type")
                   if k not in data]
        if missing:
            raise ValidationException(f"Parameter Event is not valid. Reason: missing mandatory field(s) "
                                      f"{', '.join(missing)}.")
        return pattern.matches(data)


# -- targets as PutTargets accepts them -------------------------------------------------------
_TARGET_KEYS = {
    "Id", "Arn", "RoleArn", "Input", "InputPath", "InputTransformer", "KinesisParameters", "RunCommandParameters",
    "EcsParameters", "BatchParameters", "SqsParameters", "HttpParameters", "RedshiftDataParameters",
    "SageMakerPipelineParameters", "DeadLetterConfig", "RetryPolicy", "AppSyncParameters",
}


def _range_error(parameter: str, value: Any, low: int, high: int) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{parameter}' failed to satisfy constraint: Member must "
        f"have value greater than or equal to {low} and less than or equal to {high}")


def validate_target(target: Mapping[str, Any], index: int) -> dict[str, Any]:
    """Check a PutTargets member as AWS would; returns the stored (AWS-shaped) copy."""
    where = f"targets.{index}.member"
    if not isinstance(target, Mapping):
        raise ValidationException(f"1 validation error detected: Value at '{where}' failed to satisfy constraint: "
                                  f"Member must be a structure")
    unknown = set(target) - _TARGET_KEYS
    if unknown:
        raise ValidationException(f"Unknown target parameter(s) {sorted(unknown)}")
    _check_name(f"{where}.id", target.get("Id"), _NAME, 64)
    arn = target.get("Arn")
    if not isinstance(arn, str) or not arn:
        raise ValidationException(f"1 validation error detected: Value null at '{where}.arn' failed to satisfy "
                                  f"constraint: Member must not be null")
    if not arn.startswith("arn:") or len(arn.split(":")) < 6:
        raise ValidationException(f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format.")
    if arn.startswith("arn:aws:sqs:") and arn.endswith(".fifo") and not target.get("SqsParameters"):
        raise ValidationException(f"Parameter(s) SqsParameters must be specified for target: {target['Id']}.")
    given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
    if len(given) > 1:
        raise ValidationException(f"Only one of Input, InputPath, or InputTransformer must be provided for the "
                                  f"target {target['Id']}.")
    if target.get("Input") is not None:
        text = target["Input"]
        if not isinstance(text, str) or len(text) > 8192:
            raise _length_error(f"{where}.input", 0, 8192)
        try:
            json.loads(text)
        except ValueError:
            raise ValidationException(f"Input for target {target['Id']} is not valid JSON text.") from None
    if target.get("InputPath") is not None:
        try:
            transform.parse_path(target["InputPath"])
        except transform.InvalidPathError as e:
            raise ValidationException(f"InputPath for target {target['Id']} is invalid: {e}") from None
    if target.get("InputTransformer") is not None:
        it = target["InputTransformer"]
        if not isinstance(it, Mapping) or "InputTemplate" not in it:
            raise ValidationException(f"1 validation error detected: Value null at "
                                      f"'{where}.inputTransformer.inputTemplate' failed to satisfy constraint: "
                                      f"Member must not be null")
        problem = transform.validate_input_transformer(it.get("InputPathsMap") or {}, it["InputTemplate"])
        if problem:
            raise ValidationException(f"InputTransformer for target {target['Id']}: {problem}")
    policy = target.get("RetryPolicy")
    if policy is not None:
        attempts = policy.get("MaximumRetryAttempts")
        age = policy.get("MaximumEventAgeInSeconds")
        if attempts is not None and not 0 <= attempts <= 185:
            raise _range_error(f"{where}.retryPolicy.maximumRetryAttempts", attempts, 0, 185)
        if age is not None and not 60 <= age <= 86_400:
            raise _range_error(f"{where}.retryPolicy.maximumEventAgeInSeconds", age, 60, 86_400)
    dlq = target.get("DeadLetterConfig")
    if dlq is not None:
        dlq_arn = dlq.get("Arn") if isinstance(dlq, Mapping) else None
        if not isinstance(dlq_arn, str) or not dlq_arn.startswith("arn:aws:sqs:"):
            raise ValidationException(f"Parameter DeadLetterConfig.Arn is not valid for target {target['Id']}: a "
                                      f"dead-letter queue is a standard SQS queue ARN.")
        if dlq_arn.endswith(".fifo"):
            raise ValidationException("FIFO queues are not supported as a dead-letter queue.")
    return json.loads(json.dumps(target))  # a private, plain-JSON copy


__all__ = [
    "BusEvent", "BusModel", "DEFAULT_BUS", "EventsError", "EventsModel", "InternalException", "InvalidEventPatternException",
    "LimitExceededException", "Match", "ResourceAlreadyExistsException", "ResourceNotFoundException", "RuleModel",
    "SerializationException", "TargetModel", "UnknownOperationException", "ValidationException", "entry_size", "iso_seconds",
    "new_id", "validate_target",
]
