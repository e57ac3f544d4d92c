"""The exact event Lambda hands a handler for a DynamoDB stream batch."""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
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


def lambda_record(record: Mapping[str, Any], stream_arn: str, region: str) -> StreamRecord:
    """A wire record as it appears in ``event["Records"]``: the ESM adds ``eventSourceARN``.

    ``awsRegion`` is set to the harness's region: DynamoDB Local reports "ddblocal".
    """
    out = dict(record)
    out["awsRegion"] = region
    out["eventSourceARN"] = stream_arn
    return out


def build_event(records: Sequence[StreamRecord]) -> dict[str, Any]:
    return {"Records": list(records)}


def record_size(record: Mapping[str, Any]) -> int:
    """Bytes this record adds to the invocation payload (its compact JSON plus a separator)."""
    return len(json.dumps(record, separators=(",", ":"))) + 1


def sequence_number(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def seq_key(seq: str) -> int:
    """Sequence numbers are decimal strings of varying width; compare them as integers."""
    return int(seq)
