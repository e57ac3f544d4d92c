"""The exact event Lambda hands a handler for a DynamoDB stream batch."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.runtime.streams.wire import StreamRecord, to_wire

__all__ = ["StreamRecord", "build_event", "lambda_record", "record_size", "seq_key", "sequence_number", "to_wire"]


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
