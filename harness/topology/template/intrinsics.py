"""CloudFormation intrinsic functions, resolved against one template without deploying anything.

A reference to a resource resolves to the placeholder the topology language uses for it
(``!Ref MyTable`` -> ``${table:orders}``, ``!GetAtt MyQueue.Arn`` -> ``${queue-arn:failed}``), so a
function's environment keeps its meaning once deployed, and a property that must name a resource
(an event source, a target, a DLQ) is read back from the placeholder with :func:`parse_ref`.
References with no placeholder in the topology language become tokens of their own kinds
(``${function-arn:NAME}``, ``${unsupported:Logical.Attr}``) that the converters handle or report.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.topology.errors import ValidationException


class _NoValue:
    """``AWS::NoValue``, and what an unsupported intrinsic resolves to: the property is left out."""

    def __repr__(self) -> str:
        return "AWS::NoValue"

    def __bool__(self) -> bool:
        return False


NO_VALUE = _NoValue()

#: Per resource type: attribute (None for Ref) -> token kind. Attributes missing here are an error for
#: these types; the kinds the topology language knows are in TOPOLOGY_KINDS.
REFERENCES: dict[str, dict[str | None, str]] = {
    "AWS::DynamoDB::Table": {None: "table", "Arn": "table-arn", "StreamArn": "stream-arn"},
    "AWS::SQS::Queue": {None: "queue", "QueueUrl": "queue", "Arn": "queue-arn", "QueueName": "queue-name"},
    "AWS::SNS::Topic": {None: "topic-arn", "TopicArn": "topic-arn", "TopicName": "unsupported"},
    "AWS::Events::EventBus": {None: "bus", "Name": "bus", "Arn": "bus-arn", "Policy": "unsupported"},
    "AWS::Events::Rule": {None: "rule", "Arn": "rule-arn"},
    "AWS::Lambda::Function": {None: "function", "Arn": "function-arn", "SnapStartResponse": "unsupported",
                              "SnapStartResponse.ApplyOn": "unsupported",
                              "SnapStartResponse.OptimizationStatus": "unsupported"},
    "AWS::Serverless::Function": {None: "function", "Arn": "function-arn"},
    "AWS::Lambda::EventSourceMapping": {None: "unsupported", "Id": "unsupported",
                                        "EventSourceMappingArn": "unsupported"},
}
TOPOLOGY_KINDS = frozenset({"table", "table-arn", "stream-arn", "queue", "queue-arn", "queue-name", "bus",
                            "topic-arn"})
TOKEN = re.compile(r"\$\{([a-z-]+):([^}]+)\}")
SUB_VAR = re.compile(r"\$\{([^}]*)\}")
PSEUDO_DEFAULTS = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
                   "AWS::URLSuffix": "amazonaws.com", "AWS::NotificationARNs": []}


def parse_ref(value: Any) -> tuple[str, str] | None:
    """``"${queue-arn:failed}"`` -> ("queue-arn", "failed"); anything but one whole token -> None."""
    if isinstance(value, str):
        m = TOKEN.fullmatch(value)
        if m:
            return m.group(1), m.group(2)
    return None


@dataclass
class Resolver:
    """Resolves intrinsics for one template; ``notes`` collects what it could not resolve."""

    file: str
    resources: Mapping[str, Any]
    parameters: Mapping[str, Any]
    pseudo: Mapping[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    inactive: set[str] = field(default_factory=set)
    _evaluated: dict[str, bool] = field(default_factory=dict)

    def error(self, where: str, message: str) -> ValidationException:
        return ValidationException(f"{self.file}: {where}: {message}")

    # -- values -------------------------------------------------------------------------------
    def resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, Mapping):
            if len(value) == 1:
                (key, arg), = value.items()
                if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
                    return self._intrinsic(key, arg, where)
            out = {}
            for k, v in value.items():
                r = self.resolve(v, f"{where}.{k}")
                if r is not NO_VALUE:
                    out[k] = r
            return out
        if isinstance(value, list):
            items = [self.resolve(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return [v for v in items if v is not NO_VALUE]
        return value

    def text(self, value: Any, where: str) -> str:
        """A resolved value as a string (CloudFormation turns numbers and booleans into strings)."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise self.error(where, f"expected a string, got {type(value).__name__} {value!r}")

    def _intrinsic(self, key: str, arg: Any, where: str) -> Any:
        handler = _FUNCTIONS.get(key)
        if handler is None:
            self.notes.append((where, f"intrinsic {key} is not supported; the property is left out"))
            return NO_VALUE
        return handler(self, arg, where if key == "Ref" else f"{where}.{key}")

    def ref(self, name: Any, where: str) -> Any:
        if not isinstance(name, str):
            raise self.error(where, f"Ref takes a logical id, got {name!r}")
        if name in self.pseudo:
            return self.pseudo[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        return self.get_att(name, None, where)

    def get_att(self, logical: str, attribute: str | None, where: str) -> str:
        resource = self.resources.get(logical)
        if logical in self.inactive:
            raise self.error(where, f"refers to {logical!r}, which is not created: its Condition "
                                    f"{resource['Condition']!r} is false")  # type: ignore[index]
        if resource is None and logical.endswith("Role") and \
                (self.resources.get(logical[:-4]) or {}).get("Type") == "AWS::Serverless::Function":
            return f"${{unsupported:{logical}}}"  # the execution role SAM creates for a function
        if not isinstance(resource, Mapping):
            what = "Ref" if attribute is None else f"Fn::GetAtt {logical}.{attribute}"
            raise self.error(where, f"{what} refers to {logical!r}, which is not a resource"
                                    f"{', parameter or pseudo parameter' if attribute is None else ''} of the template")
        kinds = REFERENCES.get(resource.get("Type", ""))
        if kinds is None:
            return f"${{unsupported:{logical}{'' if attribute is None else '.' + attribute}}}"
        kind = kinds.get(attribute)
        if kind is None:
            raise self.error(where, f"Fn::GetAtt {logical}.{attribute}: {resource['Type']} has no attribute "
                                    f"{attribute!r} (known: {', '.join(sorted(k for k in kinds if k))})")
        if kind == "unsupported":
            return f"${{unsupported:{logical}{'' if attribute is None else '.' + attribute}}}"
        return f"${{{kind}:{self.names.get(logical, logical)}}}"

    # -- conditions -----------------------------------------------------------------------------
    def condition(self, name: Any, where: str) -> bool:
        if name not in self.conditions:
            raise self.error(where, f"condition {name!r} is not in the template's Conditions "
                                    f"(conditions: {sorted(self.conditions)})")
        if name not in self._evaluated:
            self._evaluated[name] = self.truth(self.conditions[name], f"Conditions.{name}")
        return self._evaluated[name]

    def truth(self, value: Any, where: str) -> bool:
        if isinstance(value, Mapping) and len(value) == 1:
            (key, arg), = value.items()
            if key == "Condition":
                return self.condition(arg, where)
            if key == "Fn::Equals":
                a, b = (self.resolve(v, f"{where}.{key}") for v in _pair(self, arg, where, key))
                return _scalar(a) == _scalar(b)
            if key == "Fn::Not":
                return not self.truth(_list(self, arg, where, key, 1)[0], f"{where}.{key}")
            if key in ("Fn::And", "Fn::Or"):
                parts = [self.truth(c, f"{where}.{key}[{i}]") for i, c in enumerate(_list(self, arg, where, key))]
                return all(parts) if key == "Fn::And" else any(parts)
        resolved = self.resolve(value, where)
        if isinstance(resolved, bool):
            return resolved
        raise self.error(where, f"a condition is Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition, got {value!r}")


def _scalar(value: Any) -> Any:
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _list(r: Resolver, arg: Any, where: str, key: str, length: int | None = None) -> list[Any]:
    if not isinstance(arg, list) or (length is not None and len(arg) != length):
        size = f"{length} " if length else ""
        raise r.error(where, f"{key} takes a list of {size}arguments, got {arg!r}")
    return arg


def _pair(r: Resolver, arg: Any, where: str, key: str) -> list[Any]:
    return _list(r, arg, where, key, 2)


def _ref(r: Resolver, arg: Any, where: str) -> Any:
    return r.ref(arg, where)


def _get_att(r: Resolver, arg: Any, where: str) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    logical, attribute = _pair(r, arg, where, "Fn::GetAtt")
    attribute = r.resolve(attribute, where)
    return r.get_att(logical, attribute, where)


def _sub(r: Resolver, arg: Any, where: str) -> str:
    if isinstance(arg, list):
        template, variables = _pair(r, arg, where, "Fn::Sub")
        variables = r.resolve(variables, where)
    else:
        template, variables = arg, {}
    if not isinstance(template, str):
        raise r.error(where, f"Fn::Sub takes a string, got {template!r}")

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return r.text(variables[name], where)
        if "." in name and name.split(".", 1)[0] in r.resources:
            logical, attribute = name.split(".", 1)
            return r.get_att(logical, attribute, where)
        return r.text(r.ref(name, where), where)
    return SUB_VAR.sub(one, template)


def _join(r: Resolver, arg: Any, where: str) -> str:
    delimiter, items = _pair(r, arg, where, "Fn::Join")
    items = r.resolve(items, where)
    return str(delimiter).join(r.text(v, where) for v in _list(r, items, where, "Fn::Join"))


def _select(r: Resolver, arg: Any, where: str) -> Any:
    index, items = _pair(r, arg, where, "Fn::Select")
    index, items = r.resolve(index, where), r.resolve(items, where)
    items = _list(r, items, where, "Fn::Select")
    try:
        return items[int(index)]
    except (ValueError, IndexError):
        raise r.error(where, f"Fn::Select index {index!r} is not an index of a list of {len(items)}") from None


def _split(r: Resolver, arg: Any, where: str) -> list[str]:
    delimiter, source = _pair(r, arg, where, "Fn::Split")
    return r.text(r.resolve(source, where), where).split(str(delimiter))


def _if(r: Resolver, arg: Any, where: str) -> Any:
    name, yes, no = _list(r, arg, where, "Fn::If", 3)
    return r.resolve(yes if r.condition(name, where) else no, where)


def _find_in_map(r: Resolver, arg: Any, where: str) -> Any:
    keys = [r.text(r.resolve(k, where), where) for k in _list(r, arg, where, "Fn::FindInMap", 3)]
    try:
        return r.mappings[keys[0]][keys[1]][keys[2]]
    except (KeyError, TypeError):
        raise r.error(where, f"Fn::FindInMap: Mappings has no {'.'.join(keys)}") from None


def _base64(r: Resolver, arg: Any, where: str) -> str:
    return base64.b64encode(r.text(r.resolve(arg, where), where).encode()).decode()


def _to_json_string(r: Resolver, arg: Any, where: str) -> str:
    return json.dumps(r.resolve(arg, where), separators=(",", ":"))


def _truth(r: Resolver, arg: Any, where: str) -> bool:
    key = where.rsplit(".", 1)[-1]
    return r.truth({key: arg}, where.rsplit(".", 1)[0])


_FUNCTIONS: dict[str, Callable[[Resolver, Any, str], Any]] = {
    "Ref": _ref, "Fn::GetAtt": _get_att, "Fn::Sub": _sub, "Fn::Join": _join, "Fn::Select": _select,
    "Fn::Split": _split, "Fn::If": _if, "Fn::FindInMap": _find_in_map, "Fn::Base64": _base64,
    "Fn::ToJsonString": _to_json_string, "Fn::Equals": _truth, "Fn::Not": _truth, "Fn::And": _truth,
    "Fn::Or": _truth,
}
