"""The IP-dedup pipeline: a table keyed by ip, its stream filtered to INSERTs, a detector, an alert queue."""
from __future__ import annotations

import json

from harness.topology import EventSourceMapping, Function, Queue, Table, Topology

MAPPING = "ips-to-detector"
INSERT_ONLY = json.dumps({"eventName": ["INSERT"]})
#: CLI variant name -> handler function in scenarios.ip_dedup.handlers
VARIANTS = {"fixed": "detector", "forgets-delete": "detector_forgets_delete"}


def topology(*, blocklist_path: str, batch_size: int = 100, window: int = 0,
             handler: str = "detector") -> Topology:
    return Topology(
        name="ip-dedup",
        description="packets upsert their source IP; INSERTs are checked once per slot against a blocklist",
        tables=[Table("ips", hash_key="ip", stream_view_type="NEW_AND_OLD_IMAGES")],
        queues=[Queue("alerts")],
        functions=[Function(
            "detector", f"streamharness.scenarios.ip_dedup.handlers:{handler}", timeout=30,
            env={"TABLE_NAME": "${table:ips}", "ALERTS_QUEUE_URL": "${queue:alerts}",
                 "BLOCKLIST_PATH": blocklist_path})],
        event_source_mappings=[EventSourceMapping(
            "detector", "ips", name=MAPPING, starting_position="TRIM_HORIZON", batch_size=batch_size,
            maximum_batching_window_in_seconds=window, filter_criteria=[INSERT_ONLY])],
    )
