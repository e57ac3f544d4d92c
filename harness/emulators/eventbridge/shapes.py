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
from typing import Any

import botocore.session
from botocore.model import OperationNotFoundError, Shape

from harness.emulators.eventbridge.models import SerializationException, ValidationException

_model: Any = None
_model_lock = threading.Lock()

#: the JSON types each model type accepts (bool is excluded from numbers explicitly)
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "blob": (str,),
    "integer": (int,), "long": (int,), "float": (int, float), "double": (int, float),
    "timestamp": (int, float, str), "boolean": (bool,),
}
_AWS_TYPE_NAMES = {"structure": "a structure", "map": "a map", "list": "a list", "string": "a String",
                   "blob": "a Blob", "integer": "an Integer", "long": "a Long", "float": "a Float",
                   "double": "a Double", "timestamp": "a Timestamp", "boolean": "a Boolean"}


def _service_model() -> Any:
    global _model
    with _model_lock:
        if _model is None:
            _model = botocore.session.get_session().get_service_model("events")
        return _model


def check_request(operation: str, params: Mapping[str, Any], body: bytes) -> None:
    """Raise SerializationException / ValidationException as AWS would for ``params`` of ``operation``."""
    if b"\\u" in body:  # lone surrogates only come as escapes: raw bytes were already decoded as UTF-8
        try:
            json.dumps(params, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as e:
            raise SerializationException(f"Invalid UTF-16 surrogate \\u{ord(e.object[e.start]):04x} in the request "
                                         f"body: a string must be valid Unicode") from None
    try:
        shape = _service_model().operation_model(operation).input_shape
    except OperationNotFoundError:
        return
    if shape is not None:
        _check(params, shape, "")


def _check(value: Any, shape: Shape, path: str) -> None:
    if value is None:  # JSON null: the member is absent
        return
    kind = shape.type_name
    expected = _JSON_TYPES.get(kind, (object,))
    if not isinstance(value, expected) or (isinstance(value, bool) and kind != "boolean"):
        raise SerializationException(f"Expected {_AWS_TYPE_NAMES.get(kind, kind)} at '{path or 'request'}', "
                                     f"found {_json_type(value)}")
    if kind == "structure":
        for name, member in shape.members.items():
            if name in value:
                _check(value[name], member, f"{path}.{name}" if path else name)
    elif kind == "list":
        for i, item in enumerate(value):
            _check(item, shape.member, f"{path}[{i}]")
    elif kind == "map":
        for k, item in value.items():
            _check(item, shape.value, f"{path}.{k}")
    elif kind in ("integer", "long"):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValidationException(
                f"1 validation error detected: Value '{value}' at '{_aws_path(path)}' failed to satisfy constraint: "
                f"Member must have value {_bound(low, high)}")


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
