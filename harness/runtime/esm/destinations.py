"""The OnFailure record AWS sends for a DynamoDB stream batch it gave up on: metadata, not records."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from harness.runtime.esm.events import StreamRecord


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def on_failure_record(*, request_id: str, function_arn: str, condition: str, invoke_count: int,
                      function_error: str | None, records: Sequence[StreamRecord], arrivals: Sequence[float],
                      shard_id: str, stream_arn: str, now: float) -> dict[str, Any]:
    """``condition`` is "RetryAttemptsExhausted" or "RecordAgeExceeded", as AWS names them."""
    return {
        "requestContext": {"requestId": request_id, "functionArn": function_arn, "condition": condition,
                           "approximateInvokeCount": invoke_count},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            "functionError": function_error or "Unhandled"},
        "version": "1.0",
        "timestamp": _iso(now),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(arrivals[0]),
            "approximateArrivalOfLastRecord": _iso(arrivals[-1]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
