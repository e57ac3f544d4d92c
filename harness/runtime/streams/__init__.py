"""DynamoDB Streams reading: the thin boto3 edge under the ESM engine."""
from __future__ import annotations

from harness.runtime.streams.reader import Shard, ShardReader, list_shards, wire_records

__all__ = ["Shard", "ShardReader", "list_shards", "wire_records"]
