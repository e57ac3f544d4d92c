"""Topology from YAML/JSON: AWS's PascalCase parameter names or their snake_case twins."""
from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.topology.errors import ValidationException
from harness.topology.events import EventBus, InputTransformer, RetryPolicy, Rule, Subscription, Target, Topic
from harness.topology.specs import (
    EventInvokeConfig,
    EventSourceMapping,
    FilterCriteria,
    Function,
    GlobalSecondaryIndex,
    Queue,
    RedrivePolicy,
    Table,
)
from harness.topology.thresholds import Thresholds
from harness.topology.topology import Topology

# AWS spellings that do not snake-case mechanically.
_ALIASES = {
    "function_name": "function",
    "event_source": "source",
    "table": "source",
    "destination_config": "on_failure",
    "stream": "stream_view_type",
    "gsis": "global_secondary_indexes",
    "environment": "env",
    "memory": "memory_size",
    "dead_letter_config": "dead_letter_queue",
    "event_bus_name": "bus",
    "event_bus": "bus",
    "sqs_parameters": "message_group_id",
}


def _snake(key: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).replace("-", "_").lower()
    return _ALIASES.get(s, s)


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _unknown_key(where: str, key: str, known: set[str]) -> ValidationException:
    """Name the known keys in the style the user wrote (PascalCase or snake_case), with a close match."""
    pascal = key[:1].isupper()
    spelled = sorted(_pascal(k) if pascal else k for k in known)
    close = difflib.get_close_matches(key, spelled, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ValidationException(f"{where}: unknown key {key!r}{hint} (known: {', '.join(spelled)})")


def _build(cls: type, where: str, raw: Mapping[str, Any], **converters: Any) -> Any:
    """Instantiate ``cls`` from a mapping, rejecting unknown keys with the list of known ones; every error
    names where in the file it comes from (``tables[0] (orders)``)."""
    if not isinstance(raw, Mapping):
        raise ValidationException(f"{where}: expected a mapping, got {type(raw).__name__}")
    if isinstance(raw.get("name"), str):
        where = f"{where} ({raw['name']})"
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        name = _snake(str(key))
        if name not in known:
            raise _unknown_key(where, str(key), known)
        try:
            kwargs[name] = converters[name](value) if name in converters else value
        except ValidationException as e:
            raise ValidationException(f"{where}.{key}: {e}", parameter=e.parameter) from None
    missing = [f.name for f in dataclasses.fields(cls) if f.init and f.name not in kwargs
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ValidationException(f"{where}: missing required key {', '.join(repr(m) for m in missing)}")
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ValidationException(f"{where}: {e}") from None
    except ValidationException as e:
        raise ValidationException(f"{where}: {e}", parameter=e.parameter) from None


def _on_failure(value: Any) -> str | None:
    """``queue:NAME``, or AWS's ``{"OnFailure": {"Destination": "queue:NAME"}}`` (or its snake_case twin)."""
    if isinstance(value, Mapping):
        inner = {_snake(str(k)): v for k, v in value.items()}
        if "on_failure" in inner and isinstance(inner["on_failure"], Mapping):
            inner = {_snake(str(k)): v for k, v in inner["on_failure"].items()}
        value = inner.get("destination")
    return value


def _env(value: Any) -> Any:
    """A plain mapping, or AWS's ``{"Variables": {...}}``."""
    if isinstance(value, Mapping) and set(value) == {"Variables"}:
        return value["Variables"]
    return value


def _dead_letter(value: Any) -> str | None:
    """``queue:NAME``, or AWS's ``{"Arn": "queue:NAME"}`` (EventBridge) / ``{"TargetArn": ...}`` (Lambda)."""
    if isinstance(value, Mapping):
        return next((v for k, v in value.items() if str(k).lower() in ("arn", "target_arn", "targetarn")), None)
    return value  # type: ignore[no-any-return]


def _message_group(value: Any) -> Any:
    """A message group id, or AWS's ``{"MessageGroupId": ...}`` (SqsParameters)."""
    if isinstance(value, Mapping):
        return next((v for k, v in value.items() if _snake(str(k)) == "message_group_id"), None)
    return value


def _targets(where: str, raw: Any) -> tuple[Target, ...]:
    return tuple(_build(Target, f"{where}.targets[{i}]", t, input_transformer=InputTransformer.parse,
                        retry_policy=RetryPolicy.parse, dead_letter_queue=_dead_letter,
                        message_group_id=_message_group,
                        input=lambda v: v if isinstance(v, str) else json.dumps(v))
                 for i, t in enumerate(raw or ()))


def load_dict(data: Mapping[str, Any]) -> Topology:
    if not isinstance(data, Mapping) or "name" not in data:
        raise ValidationException("a topology is a mapping with at least a 'name'")
    tables = tuple(
        _build(Table, f"tables[{i}]", t, global_secondary_indexes=lambda gs: tuple(
            _build(GlobalSecondaryIndex, "global_secondary_indexes", g) for g in gs))
        for i, t in enumerate(data.get("tables") or ()))
    functions = tuple(_build(Function, f"functions[{i}]", f, env=_env,
                                     event_invoke_config=EventInvokeConfig.parse, dead_letter_queue=_dead_letter) for i, f in enumerate(data.get("functions") or ()))
    mappings = tuple(
        _build(EventSourceMapping, f"event_source_mappings[{i}]", m,
               filter_criteria=FilterCriteria.parse, on_failure=_on_failure,
               function_response_types=tuple)
        for i, m in enumerate(data.get("event_source_mappings") or ()))
    queues = tuple(
        _build(Queue, f"queues[{i}]", q, redrive_policy=lambda r: _build(RedrivePolicy, "redrive_policy", r))
        for i, q in enumerate(data.get("queues") or ()))
    event_buses = tuple(_build(EventBus, f"event_buses[{i}]", b) if isinstance(b, Mapping) else EventBus(b)
                        for i, b in enumerate(data.get("event_buses") or ()))
    rules = tuple(
        _build(Rule, f"rules[{i}]", r, targets=lambda ts, i=i: _targets(f"rules[{i}]", ts),
               event_pattern=lambda p: p if isinstance(p, str) else json.dumps(p))
        for i, r in enumerate(data.get("rules") or ()))
    topics = tuple(
        _build(Topic, f"topics[{i}]", t, subscriptions=lambda ss: tuple(Subscription.parse(s) for s in ss or ()))
        for i, t in enumerate(data.get("topics") or ()))
    thresholds = None if data.get("thresholds") is None else _build(Thresholds, "thresholds", data["thresholds"])
    unknown = set(data) - _TOP_LEVEL
    if unknown:
        raise _unknown_key("topology", sorted(unknown)[0], _TOP_LEVEL)
    return Topology(name=data["name"], description=data.get("description", ""), tables=tables,
                    functions=functions, event_source_mappings=mappings, queues=queues,
                    extra=data.get("extra") or {}, event_buses=event_buses, rules=rules, topics=topics,
                    thresholds=thresholds)


_TOP_LEVEL = {"name", "description", "tables", "functions", "event_source_mappings", "queues", "extra", "event_buses",
              "rules", "topics", "thresholds"}


def load_file(path: str | Path) -> Topology:
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except OSError as e:
        raise ValidationException(f"cannot read topology file {p}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ValidationException(f"{p}: not UTF-8 text (byte {e.start}: {e.reason})") from None
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as e:
        raise ValidationException(f"{p}: not valid {'JSON' if p.suffix == '.json' else 'YAML'}: {e}") from None
    except RecursionError:
        raise ValidationException(f"{p}: nested too deeply to be a topology") from None
    try:
        return load_dict(data)
    except ValidationException as e:
        raise ValidationException(f"{p}: {e}", parameter=e.parameter) from None
