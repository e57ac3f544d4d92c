"""The article's pipeline: the single table (pk/sk, GSI1, NEW_AND_OLD_IMAGES) -> stream -> processor ->
bus -> the history rule (function) and the member-count rule (SQS FIFO queue).

A topology cannot name a deployed ARN inside a pattern, so the rules are declared with a placeholder
``resources`` (any DynamoDB ARN) and the scenario puts each rule again with the table's ARN before the
first write, as the template's ``!GetAtt MyTable.Arn`` does at deploy time (``contract.rule_patterns``).
"""
from __future__ import annotations

import json

from harness.topology import EventSourceMapping, Function, GlobalSecondaryIndex, Queue, Table, Topology
from harness.topology.events import EventBus, Rule, Target
from streamharness.scenarios.table_to_bus.contract import (COUNT_EVENTS, COUNTS_GROUP, COUNTS_QUEUE, COUNTS_RULE,
                                                           HISTORY_EVENTS, HISTORY_RULE, pattern)

MAPPING = "table-to-processor"
BUS = "changes"
HANDLERS = "streamharness.scenarios.table_to_bus.handlers"
VARIANTS = {"fixed": "fixed", "as_published": "as_published", "decimal": "decimal",
            "ignores-failed-entries": "ignores_failed_entries"}
ANY_TABLE = {"prefix": "arn:aws:dynamodb:"}  # replaced by the table's ARN once deployed


def _placeholder(detail_types: tuple[str, ...]) -> str:
    p = pattern("", detail_types)
    p["resources"] = [ANY_TABLE]
    return json.dumps(p)


def topology(*, variant: str = "fixed", batch_size: int = 100, window: int = 0, retries: int = 2) -> Topology:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    env = {"EVENT_BUS": "${bus:" + BUS + "}", "HISTORY_TABLE": "${table:history}", "COUNTS_TABLE": "${table:counts}"}
    return Topology(
        name="table-to-bus",
        description="every change of a single table published to a bus; a history rule and a FIFO member-count rule",
        tables=[Table("items", hash_key="pk", range_key="sk", stream_view_type="NEW_AND_OLD_IMAGES",
                      global_secondary_indexes=[GlobalSecondaryIndex("GSI1", hash_key="gsi1_pk", range_key="gsi1_sk")]),
                Table("history", hash_key="event_id", stream_view_type=None),
                Table("counts", hash_key="pk", stream_view_type=None)],
        queues=[Queue(COUNTS_QUEUE, fifo=True, content_based_deduplication=True)],
        event_buses=[EventBus(BUS)],
        rules=[Rule(HISTORY_RULE, _placeholder(HISTORY_EVENTS), bus=BUS,
                    targets=[Target("history", "function:history", input_path="$.detail")]),
               Rule(COUNTS_RULE, _placeholder(COUNT_EVENTS), bus=BUS,
                    targets=[Target("counts", f"queue:{COUNTS_QUEUE}", message_group_id=COUNTS_GROUP)])],
        functions=[Function("processor", f"{HANDLERS}:{VARIANTS[variant]}", timeout=30, env=env),
                   Function("history", f"{HANDLERS}:history", timeout=30, env=env)],
        event_source_mappings=[EventSourceMapping(
            "processor", "items", name=MAPPING, starting_position="TRIM_HORIZON", batch_size=batch_size,
            maximum_batching_window_in_seconds=window, maximum_retry_attempts=retries)],
    )
