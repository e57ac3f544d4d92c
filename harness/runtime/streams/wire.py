"""DynamoDB stream records as AWS sends them (JSON: epoch-second times, base64 binaries), from what boto3 parsed
(or from the JSON itself, which passes unchanged)."""
from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

StreamRecord = dict[str, Any]


#: what AWS puts in the record of a TTL deletion (DynamoDB Streams API reference, Record and Identity)
TTL_IDENTITY: Mapping[str, str] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
#: DynamoDB Local's event name for its own TTL deletions (its SDK's "unknown enum value"), with no identity
LOCAL_TTL_EVENT_NAME = "UNKNOWN_TO_SDK_VERSION"


def to_wire(record: Mapping[str, Any]) -> StreamRecord:
    """Undo boto3's parsing so the record is the JSON AWS sends.

    boto3 turns ``ApproximateCreationDateTime`` into a datetime and binary attributes into bytes;
    Lambda's event carries epoch seconds and base64 strings, and ``userIdentity`` with lower-case
    ``type`` and ``principalId``. DynamoDB Local's TTL deletions become AWS's: a REMOVE with the
    TTL service identity.
    """
    out = dict(record)
    if out.get("eventName") == LOCAL_TTL_EVENT_NAME:
        out["eventName"] = "REMOVE"
        out["userIdentity"] = dict(TTL_IDENTITY)
    elif isinstance(out.get("userIdentity"), Mapping):
        identity = out["userIdentity"]
        out["userIdentity"] = {"type": identity.get("Type", identity.get("type")),
                               "principalId": identity.get("PrincipalId", identity.get("principalId"))}
    ddb = dict(out.get("dynamodb") or {})
    ts = ddb.get("ApproximateCreationDateTime")
    seconds = ts.timestamp() if isinstance(ts, datetime) else ts
    if isinstance(seconds, float):
        ddb["ApproximateCreationDateTime"] = int(seconds) if seconds.is_integer() else seconds
    for image in ("Keys", "NewImage", "OldImage"):
        values = ddb.get(image)
        if values:
            ddb[image] = image_to_wire(values)
    out["dynamodb"] = ddb
    return out


def image_to_wire(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """An item, key or image as boto3 parsed it -> as AWS sends it (base64 binaries); as is when it has none."""
    if not any(next(iter(v)) in _PARSED for v in values.values()):
        return values
    return {k: _wire_value(v) for k, v in values.items()}


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


__all__ = ["LOCAL_TTL_EVENT_NAME", "StreamRecord", "TTL_IDENTITY", "image_to_wire", "to_wire"]
