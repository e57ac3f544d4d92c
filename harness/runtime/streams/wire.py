"""DynamoDB stream records as AWS sends them (JSON: epoch-second times, base64 binaries), from what boto3 parsed."""
from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

StreamRecord = dict[str, Any]


def to_wire(record: Mapping[str, Any]) -> StreamRecord:
    """Undo boto3's parsing so the record is the JSON AWS sends.

    boto3 turns ``ApproximateCreationDateTime`` into a datetime and binary attributes into bytes;
    Lambda's event carries epoch seconds and base64 strings.
    """
    out = dict(record)
    ddb = dict(out.get("dynamodb") or {})
    ts = ddb.get("ApproximateCreationDateTime")
    if isinstance(ts, datetime):
        seconds = ts.timestamp()
        ddb["ApproximateCreationDateTime"] = int(seconds) if seconds.is_integer() else seconds
    for image in ("Keys", "NewImage", "OldImage"):
        values = ddb.get(image)
        if values and any(next(iter(v)) in _PARSED for v in values.values()):
            ddb[image] = {k: _wire_value(v) for k, v in values.items()}
    out["dynamodb"] = ddb
    return out


#: attribute types boto3 parses (binaries) or that may contain them (maps, lists)
_PARSED = frozenset({"B", "BS", "M", "L"})


def _wire_value(value: Mapping[str, Any]) -> Mapping[str, Any]:
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": _b64(inner)}
    if kind == "BS":
        return {"BS": [_b64(b) for b in inner]}
    if kind == "M":
        return {"M": {k: _wire_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_wire_value(v) for v in inner]}
    return value


def _b64(value: bytes | str) -> str:
    return value if isinstance(value, str) else base64.b64encode(value).decode()


__all__ = ["StreamRecord", "to_wire"]
