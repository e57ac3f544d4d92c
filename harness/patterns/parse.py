"""Turn pattern input (JSON text or a mapping) into plain JSON data, enforcing the length quota.

Kept apart from compilation so both input forms go through one JSON round trip: the compiled
pattern never aliases the caller's mutable mapping, tuples become arrays, and non-JSON values
(NaN, sets, non-string keys) are rejected the way AWS would reject them.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .dialects import DialectSpec
from .errors import InvalidPatternError


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_pattern(pattern: str | bytes | Mapping[str, Any], spec: DialectSpec) -> dict[str, Any]:
    """Parse and length-check; the structure itself is validated by :mod:`.compile`."""
    if isinstance(pattern, (bytes, bytearray)):
        try:
            pattern = pattern.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidPatternError(f"pattern is not UTF-8 text: {exc}", "$", spec.name) from None
    if isinstance(pattern, str):
        text = pattern
    elif isinstance(pattern, Mapping):
        try:
            # Default separators: the length AWS sees from a caller doing json.dumps(pattern).
            text = json.dumps(pattern, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidPatternError(f"pattern is not JSON-serialisable: {exc}", "$", spec.name) from None
    else:
        raise InvalidPatternError(
            f"pattern must be JSON text or a mapping, not {type(pattern).__name__}", "$", spec.name)

    if len(text) > spec.max_length:
        raise InvalidPatternError(
            f"pattern is {len(text)} characters; the {spec.name} limit is {spec.max_length}", "$", spec.name)
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise InvalidPatternError(f"pattern is not valid JSON: {exc}", "$", spec.name) from None
    if not isinstance(data, dict):
        raise InvalidPatternError(
            f"Filter is not an object: the pattern must be a JSON object, not {type(data).__name__}",
            "$", spec.name)
    return data


def load_event(event: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    """Events arrive as dicts (in process) or JSON text (from queues and files)."""
    if isinstance(event, (str, bytes, bytearray)):
        event = json.loads(event)
    if not isinstance(event, Mapping):
        raise TypeError(f"an event must be a JSON object, not {type(event).__name__}")
    return event
