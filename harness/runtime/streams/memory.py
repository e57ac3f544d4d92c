"""An in-memory DynamoDB Streams source speaking the boto3 client's shapes.

For measuring and testing the engine on its own: no server, no network, records appended by the
caller. Shards have lineage, as DynamoDB's do: ``split`` closes a shard and opens children whose
parent it is, so the engine's "parent before child" ordering can be tested without DynamoDB Local.
Only what the engine calls is here: describe_stream, get_shard_iterator, get_records.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

DEFAULT_SHARD = "shardId-00000000000000000000-00000000"


@dataclass
class _Shard:
    shard_id: str
    parent: str | None
    records: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False


class InMemoryStreams:
    def __init__(self, stream_arn: str = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/mem",
                 shard_id: str = DEFAULT_SHARD) -> None:
        self.stream_arn = stream_arn
        self.shard_id = shard_id  # the first shard; ``append`` writes here unless told otherwise
        self._shards: dict[str, _Shard] = {shard_id: _Shard(shard_id, None)}
        self._lock = threading.Lock()
        self._seq = 0

    # -- the caller's side ---------------------------------------------------------------------------
    def add_shard(self, shard_id: str, parent: str | None = None) -> None:
        with self._lock:
            if shard_id in self._shards:
                raise ValueError(f"shard {shard_id} exists already")
            if parent is not None and parent not in self._shards:
                raise ValueError(f"parent shard {parent} of {shard_id} does not exist")
            self._shards[shard_id] = _Shard(shard_id, parent)

    def close_shard(self, shard_id: str) -> None:
        """No more records in this shard: a reader at its end gets no next iterator."""
        with self._lock:
            self._shard(shard_id).closed = True

    def split(self, shard_id: str, *children: str) -> None:
        """Close ``shard_id`` and open ``children`` with it as their parent (a DynamoDB shard rollover)."""
        self.close_shard(shard_id)
        for child in children:
            self.add_shard(child, parent=shard_id)

    def append(self, event_name: str, keys: dict[str, Any], new_image: dict[str, Any] | None = None,
               old_image: dict[str, Any] | None = None, *, shard: str | None = None) -> str:
        with self._lock:
            target = self._shard(shard or self.shard_id)
            if target.closed:
                raise ValueError(f"shard {target.shard_id} is closed")
            self._seq += 1
            seq = f"{self._seq:021d}"
            ddb: dict[str, Any] = {"ApproximateCreationDateTime": 1_700_000_000, "Keys": keys,
                                   "SequenceNumber": seq, "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            if new_image is not None:
                ddb["NewImage"] = new_image
            if old_image is not None:
                ddb["OldImage"] = old_image
            target.records.append({"eventID": f"e{self._seq}", "eventName": event_name, "eventVersion": "1.1",
                                   "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": ddb})
            return seq

    def _shard(self, shard_id: str) -> _Shard:
        try:
            return self._shards[shard_id]
        except KeyError:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException",
                                         "Message": f"shard {shard_id} not found"}}, "GetShardIterator") from None

    # -- the boto3 client's side ---------------------------------------------------------------------
    def describe_stream(self, StreamArn: str, **_: Any) -> dict[str, Any]:  # noqa: N803 - boto3's names
        with self._lock:
            shards = []
            for s in self._shards.values():
                rng: dict[str, str] = {"StartingSequenceNumber": s.records[0]["dynamodb"]["SequenceNumber"]
                                       if s.records else "1"}
                if s.closed:
                    rng["EndingSequenceNumber"] = s.records[-1]["dynamodb"]["SequenceNumber"] if s.records else "1"
                shards.append({"ShardId": s.shard_id, "SequenceNumberRange": rng,
                               **({"ParentShardId": s.parent} if s.parent else {})})
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": shards}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str,  # noqa: N803
                           SequenceNumber: str | None = None) -> dict[str, Any]:  # noqa: N803
        with self._lock:
            records = self._shard(ShardId).records
            if ShardIteratorType == "TRIM_HORIZON":
                pos = 0
            elif ShardIteratorType == "LATEST":
                pos = len(records)
            else:
                pos = next((i + 1 for i, r in enumerate(records)
                            if r["dynamodb"]["SequenceNumber"] == SequenceNumber), None)
                if pos is None:
                    raise ClientError({"Error": {"Code": "ValidationException", "Message": "bad sequence"}},
                                      "GetShardIterator")
        return {"ShardIterator": f"{ShardId}|{pos}"}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:  # noqa: N803
        shard_id, _, at = ShardIterator.rpartition("|")
        pos = int(at)
        with self._lock:
            shard = self._shard(shard_id)
            chunk = shard.records[pos:pos + Limit]
            end = shard.closed and pos + len(chunk) >= len(shard.records)
        return {"Records": chunk, **({} if end else {"NextShardIterator": f"{shard_id}|{pos + len(chunk)}"})}
