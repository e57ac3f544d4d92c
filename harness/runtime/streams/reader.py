"""Shards and shard iterators: DescribeStream, GetShardIterator, GetRecords.

A ShardReader resumes from its checkpoint when an iterator expires (15 minutes on AWS) and reports
a closed shard, so the engine can move on to the children in lineage order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from harness.runtime.esm.events import StreamRecord, to_wire


@dataclass(frozen=True)
class Shard:
    shard_id: str
    parent_shard_id: str | None
    starting_sequence_number: str
    ending_sequence_number: str | None

    @property
    def closed(self) -> bool:
        return self.ending_sequence_number is not None


def list_shards(streams: Any, stream_arn: str) -> list[Shard]:
    shards: list[Shard] = []
    kwargs: dict[str, Any] = {"StreamArn": stream_arn}
    while True:
        desc = streams.describe_stream(**kwargs)["StreamDescription"]
        for s in desc.get("Shards", []):
            rng = s.get("SequenceNumberRange", {})
            shards.append(Shard(s["ShardId"], s.get("ParentShardId"), rng.get("StartingSequenceNumber", ""),
                                rng.get("EndingSequenceNumber")))
        last = desc.get("LastEvaluatedShardId")
        if not last:
            return shards
        kwargs["ExclusiveStartShardId"] = last


class ShardReader:
    """Reads one shard from a starting position, remembering where to resume."""

    def __init__(self, streams: Any, stream_arn: str, shard_id: str, starting_position: str) -> None:
        self._streams = streams
        self.stream_arn = stream_arn
        self.shard_id = shard_id
        self._starting_position = starting_position
        self._iterator: str | None = None
        self.last_read_sequence: str | None = None
        self.closed = False

    def _new_iterator(self) -> str:
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": self.shard_id}
        if self.last_read_sequence is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self.last_read_sequence)
        else:
            kwargs["ShardIteratorType"] = self._starting_position
        return str(self._streams.get_shard_iterator(**kwargs)["ShardIterator"])

    def read(self, limit: int = 1000) -> list[StreamRecord]:
        """One GetRecords call (at most ``limit`` records, AWS's maximum is 1,000)."""
        if self.closed:
            return []
        if self._iterator is None:
            self._iterator = self._new_iterator()
        try:
            response = self._streams.get_records(ShardIterator=self._iterator, Limit=min(limit, 1000))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ExpiredIteratorException":
                self._iterator = None
                return []
            raise
        records = [to_wire(r) for r in response.get("Records", [])]
        if records:
            self.last_read_sequence = records[-1]["dynamodb"]["SequenceNumber"]
        self._iterator = response.get("NextShardIterator")
        if self._iterator is None:
            self.closed = True
        return records
