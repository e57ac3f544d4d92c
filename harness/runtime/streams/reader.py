"""Shards and shard iterators: DescribeStream, GetShardIterator, GetRecords.

A ShardReader resumes from where it read when an iterator expires (15 minutes on AWS) and reports
a closed shard, so the engine can move on to the children in lineage order.

DynamoDB Local quirk: an iterator taken on a shard before its first record, and advanced by an
empty read, fails with TrimmedDataAccessException once a record arrives whose sequence number is
not the shard's first (sequence numbers are global across tables there). Nothing was read, so
nothing can have been trimmed: the reader takes a new iterator and reads again. LATEST is
emulated as "after the last record present when reading starts" so that a new iterator never
skips records written since.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from harness.runtime.streams.ttl import mark_ttl_deletions
from harness.runtime.streams.wire import StreamRecord, to_wire


@dataclass(frozen=True)
class Shard:
    shard_id: str
    parent_shard_id: str | None
    starting_sequence_number: str
    ending_sequence_number: str | None

    @property
    def closed(self) -> bool:
        return self.ending_sequence_number is not None


def wire_records(streams: Any) -> Any:
    """Make ``streams`` (a client of the runtime's own) answer GetRecords with the records as the
    backend sent them.

    botocore walks every attribute of every record against the service model, parses each time into
    a datetime (with the local time zone) and each binary into bytes, only for :func:`to_wire` to
    undo it: in a load run that was the harness's largest cost per record. The records are taken
    from the JSON body before botocore parses it (errors are parsed as usual), so ``Records`` holds
    JSON objects, which :func:`to_wire` accepts as well.
    """
    streams.meta.events.register("before-parse.dynamodb-streams.GetRecords", _take_body,
                                 unique_id="streamharness-wire-records")
    return streams


def _take_body(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    if response_dict.get("status_code", 500) >= 300:
        return
    body = json.loads(response_dict["body"] or b"{}")
    customized_response_dict.update(body)
    response_dict["body"] = b"{}"


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
        self.skipped_at_start = 0  # records present before a LATEST mapping started
        self.iterator_resets = 0

    def _new_iterator(self) -> str:
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": self.shard_id}
        if self.last_read_sequence is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self.last_read_sequence)
        else:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        return str(self._streams.get_shard_iterator(**kwargs)["ShardIterator"])

    def _skip_to_latest(self) -> None:
        while True:
            records = self._get_records(1000)
            if not records:
                return
            self.skipped_at_start += len(records)

    def prime(self) -> None:
        """Fix the starting position now (LATEST means "after what is there when the mapping starts")."""
        if self._starting_position == "LATEST":
            self._starting_position = "TRIM_HORIZON"
            self._skip_to_latest()

    def read(self, limit: int = 1000) -> list[StreamRecord]:
        """One GetRecords call (at most ``limit`` records, AWS's maximum is 1,000)."""
        if self.closed:
            return []
        self.prime()
        return self._get_records(limit)

    def _get_records(self, limit: int) -> list[StreamRecord]:
        if self._iterator is None:
            self._iterator = self._new_iterator()
        try:
            response = self._streams.get_records(ShardIterator=self._iterator, Limit=min(limit, 1000))
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            if code == "ExpiredIteratorException":
                self._iterator = None
                return []
            if code == "TrimmedDataAccessException":  # see the module docstring; retried once
                self.iterator_resets += 1
                self._iterator = self._new_iterator()
                response = self._streams.get_records(ShardIterator=self._iterator, Limit=min(limit, 1000))
            else:
                raise
        records = [to_wire(r) for r in response.get("Records", [])]
        mark_ttl_deletions(records, self.stream_arn)
        if records:
            self.last_read_sequence = records[-1]["dynamodb"]["SequenceNumber"]
        self._iterator = response.get("NextShardIterator")
        if self._iterator is None:
            self.closed = True
        return records
