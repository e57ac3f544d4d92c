"""The order pipeline: Events table -> stream -> aggregator -> bus -> invoice rule -> invoice function."""
from __future__ import annotations

import json

from harness.topology import EventSourceMapping, Function, Queue, Table, Topology
from harness.topology.events import EventBus, Rule, Target
from streamharness.scenarios.order_aggregator.contract import HASH_KEY, INVOICE_KEY, RANGE_KEY, REJECTED_PATTERN, RULE_PATTERNS, VARIANTS

MAPPING = "events-to-aggregator"


def topology(*, variant: str = "fixed", batch_size: int = 10, window: int = 1) -> Topology:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    chosen = VARIANTS[variant]
    env = {"EVENTS_TABLE": "${table:events}", "EVENT_BUS_NAME": "${bus:orders}", "INVOICES_TABLE": "${table:invoices}"}
    return Topology(
        name="order-aggregator",
        description="two check sources update an Events table; an aggregator puts one event per order on a bus; "
                    "a rule invoices orders whose checks passed",
        tables=[Table("events", hash_key=HASH_KEY, range_key=RANGE_KEY, stream_view_type="NEW_AND_OLD_IMAGES"),
                Table("invoices", hash_key=INVOICE_KEY, stream_view_type=None)],
        queues=[Queue("rejected")],
        event_buses=[EventBus("orders")],
        rules=[Rule("invoice-orders", json.dumps(RULE_PATTERNS[chosen["rule"]]), bus="orders",
                    targets=[Target("invoice", "function:invoice")]),
               Rule("rejected-orders", json.dumps(REJECTED_PATTERN), bus="orders",
                    targets=[Target("rejected", "queue:rejected")])],
        functions=[Function("aggregator", f"streamharness.scenarios.order_aggregator.handlers:{chosen['aggregator']}",
                            timeout=30, env=env),
                   Function("invoice", f"streamharness.scenarios.order_aggregator.handlers:{chosen['invoice']}", timeout=30,
                            env=env)],
        event_source_mappings=[EventSourceMapping(
            "aggregator", "events", name=MAPPING, starting_position="TRIM_HORIZON", batch_size=batch_size,
            maximum_batching_window_in_seconds=window)],
    )
