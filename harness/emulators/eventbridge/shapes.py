"""Request members checked against AWS's own model of the EventBridge API (botocore's ``events``
service model), before any operation runs.

AWS deserialises a request before it validates it: a member of the wrong JSON type (``"Limit":
"abc"``, ``"Resources": 5``) is a SerializationException, a string that is not valid Unicode (a lone
UTF-16 surrogate escape) too, and an integer out of its declared range is a ValidationException with
AWS's wording. Everything else (names, patterns, lengths) is left to the model's own checks, which
carry AWS's texts.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.model import OperationNotFoundError, Shape

from harness.emulators.eventbridge.models import SerializationException, ValidationException

@dataclass
class _Node:
    """A model shape reduced to what the check reads (botocore resolves members on every access)."""

    kind: str
    low: int | None = None
    high: int | None = None
    members: dict[str, _Node] = field(default_factory=dict)  # structure members; "" is a list's or map's item


_operations: dict[str, _Node | None] = {}
_lock = threading.Lock()

#: the JSON types each model type accepts (bool is excluded from numbers explicitly)
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "blob": (str,),
    "integer": (int,), "long": (int,), "float": (int, float), "double": (int, float),
    "timestamp": (int, float, str), "boolean": (bool,),
}
_AWS_TYPE_NAMES = {"structure": "a structure", "map": "a map", "list": "a list", "string": "a String",
                   "blob": "a Blob", "integer": "an Integer", "long": "a Long", "float": "a Float",
                   "double": "a Double", "timestamp": "a Timestamp", "boolean": "a Boolean"}
_CONTAINERS = frozenset({"structure", "list", "map"})


def _input_node(operation: str) -> _Node | None:
    if operation in _operations:
        return _operations[operation]
    with _lock:
        if operation not in _operations:
            model = botocore.session.get_session().get_service_model("events")
            try:
                shape = model.operation_model(operation).input_shape
            except OperationNotFoundError:
                shape = None
            _operations[operation] = _reduce(shape, {}) if shape is not None else None
        return _operations[operation]


def _reduce(shape: Shape, seen: dict[str, _Node]) -> _Node:
    if shape.name in seen:  # a recursive shape: share the node
        return seen[shape.name]
    node = seen[shape.name] = _Node(shape.type_name, shape.metadata.get("min"), shape.metadata.get("max"))
    if shape.type_name == "structure":
        node.members = {name: _reduce(member, seen) for name, member in shape.members.items()}
    elif shape.type_name == "list":
        node.members = {"": _reduce(shape.member, seen)}
    elif shape.type_name == "map":
        node.members = {"": _reduce(shape.value, seen)}
    return node


def check_request(operation: str, params: Mapping[str, Any], body: bytes) -> None:
    """Raise SerializationException / ValidationException as AWS would for ``params`` of ``operation``."""
    if b"\\u" in body:  # lone surrogates only come as escapes: raw bytes were already decoded as UTF-8
        try:
            json.dumps(params, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as e:
            raise SerializationException(f"Invalid UTF-16 surrogate \\u{ord(e.object[e.start]):04x} in the request "
                                         f"body: a string must be valid Unicode") from None
    node = _input_node(operation)
    if node is None:
        return
    try:
        _check(params, node)
    except _Mismatch as e:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.path).lstrip(".")
        if e.bound is None:
            raise SerializationException(f"Expected {_AWS_TYPE_NAMES.get(e.kind, e.kind)} at '{path or 'request'}', "
                                         f"found {_json_type(e.value)}") from None
        raise ValidationException(
            f"1 validation error detected: Value '{e.value}' at '{_aws_path(path)}' failed to satisfy constraint: "
            f"Member must have value {e.bound}") from None


class _Mismatch(Exception):
    """Raised where a value does not fit; each level adds its member name or index on the way up."""

    def __init__(self, kind: str, value: Any, bound: str | None = None) -> None:
        self.kind, self.value, self.bound = kind, value, bound
        self.path: list[str | int] = []


def _check(value: Any, node: _Node) -> None:
    kind = node.kind
    if not isinstance(value, _JSON_TYPES.get(kind, (object,))) or (isinstance(value, bool) and kind != "boolean"):
        raise _Mismatch(kind, value)
    if kind == "structure":
        members = node.members
        for name, item in value.items():
            member = members.get(name)
            if member is None or item is None or (member.kind == "string" and type(item) is str):
                continue  # unknown members are ignored, JSON null is an absent member; strings are the bulk
            try:
                _check(item, member)
            except _Mismatch as e:
                e.path.insert(0, name)
                raise
    elif kind == "list" or kind == "map":
        item_node = node.members[""]
        for key, item in (enumerate(value) if kind == "list" else value.items()):
            if item is None or (item_node.kind == "string" and type(item) is str):
                continue
            try:
                _check(item, item_node)
            except _Mismatch as e:
                e.path.insert(0, key)
                raise
    elif kind in ("integer", "long") and ((node.low is not None and value < node.low)
                                         or (node.high is not None and value > node.high)):
        raise _Mismatch(kind, value, _bound(node.low, node.high))


def _bound(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"greater than or equal to {low} and less than or equal to {high}"
    return f"greater than or equal to {low}" if low is not None else f"less than or equal to {high}"


def _aws_path(path: str) -> str:
    """``Targets[0].RetryPolicy.MaximumRetryAttempts`` -> ``targets.1.member.retryPolicy.maximumRetryAttempts``."""
    out = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        piece = name[:1].lower() + name[1:]
        if index:
            piece += f".{int(index.rstrip(']')) + 1}.member"
        out.append(piece)
    return ".".join(out)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


__all__ = ["check_request"]
