"""An in-memory DynamoDB Streams source speaking the boto3 client's shapes.

For measuring and testing the engine on its own: no server, no network, records appended by the
caller. Only what the engine calls is here: describe_stream, get_shard_iterator, get_records.
"""
from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ClientError


class InMemoryStreams:
    def __init__(self, stream_arn: str = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/mem",
                 shard_id: str = "shardId-00000000000000000000-00000000") -> None:
        self.stream_arn = stream_arn
        self.shard_id = shard_id
        self._records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._seq = 0

    def append(self, event_name: str, keys: dict[str, Any], new_image: dict[str, Any] | None = None,
               old_image: dict[str, Any] | None = None) -> str:
        with self._lock:
            self._seq += 1
            seq = f"{self._seq:021d}"
            ddb: dict[str, Any] = {"ApproximateCreationDateTime": 1_700_000_000, "Keys": keys,
                                   "SequenceNumber": seq, "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            if new_image is not None:
                ddb["NewImage"] = new_image
            if old_image is not None:
                ddb["OldImage"] = old_image
            self._records.append({"eventID": f"e{self._seq}", "eventName": event_name, "eventVersion": "1.1",
                                  "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": ddb})
            return seq

    def describe_stream(self, StreamArn: str, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": [
            {"ShardId": self.shard_id, "SequenceNumberRange": {"StartingSequenceNumber": "1"}}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str,
                           SequenceNumber: str | None = None) -> dict[str, Any]:
        with self._lock:
            if ShardIteratorType == "TRIM_HORIZON":
                pos = 0
            elif ShardIteratorType == "LATEST":
                pos = len(self._records)
            else:
                pos = next((i + 1 for i, r in enumerate(self._records)
                            if r["dynamodb"]["SequenceNumber"] == SequenceNumber), None)
                if pos is None:
                    raise ClientError({"Error": {"Code": "ValidationException", "Message": "bad sequence"}},
                                      "GetShardIterator")
        return {"ShardIterator": str(pos)}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:
        pos = int(ShardIterator)
        with self._lock:
            chunk = self._records[pos:pos + Limit]
        return {"Records": chunk, "NextShardIterator": str(pos + len(chunk))}
