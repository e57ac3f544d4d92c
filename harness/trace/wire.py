"""The trace's wire format: one JSON object per line, ``kind`` first.

Unchanged since the first trace files: ``{"kind": ..., "t": ..., <fields>, "n": ...}``; readers
do not depend on the order of the other keys. Values JSON cannot carry are written as bytes ->
base64, set -> sorted list, anything else -> ``str()``, so what reads back is what an oracle sees.
"""
from __future__ import annotations

import base64
import json
from typing import Any

_PREFIX = '{"kind":"'


def jsonable(value: Any) -> Any:
    """A JSON-native stand-in for a value json cannot serialise."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


# events are trees (no cycle check needed), written compact
_dumps = json.JSONEncoder(separators=(",", ":"), default=jsonable, check_circular=False).encode


def dumps(event: dict[str, Any]) -> str:
    """One event as one line, without the newline."""
    return _dumps(event)


def loads(line: str) -> dict[str, Any]:
    return json.loads(line)  # type: ignore[no-any-return]


def kind_of(line: str) -> str:
    """An event line's kind, without parsing the line when ``kind`` comes first (it does in every
    line this package writes)."""
    if line.startswith(_PREFIX):
        return line[9:line.index('"', 9)]
    return str(loads(line).get("kind"))
