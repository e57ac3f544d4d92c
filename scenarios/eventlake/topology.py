"""The event lake: the EventLake table (event_id + timestamp, TTL on expires_at) -> stream -> two consumers
-> the projections table. The consumers' mappings carry no filter: like the article's consumer, they see
every record and act on INSERTs in code, so a consumer that mishandles a REMOVE can be caught."""
from __future__ import annotations

from harness.topology import EventSourceMapping, Function, Table, Topology

HANDLERS = "streamharness.scenarios.eventlake.handlers"
CONSUMERS = ("type-counts", "entity-totals")
#: consumer -> its mapping's name
MAPPINGS = {c: f"events-to-{c}" for c in CONSUMERS}
#: CLI variant -> (ingestion function in scenarios.eventlake.ingestion, consumer -> handler in handlers)
_CORRECT = {"type-counts": "type_counts", "entity-totals": "entity_totals"}
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "fixed": ("ingest", _CORRECT),
    "unconditional-put": ("ingest_unconditional", _CORRECT),
    "server-timestamp": ("ingest_server_timestamp", _CORRECT),
    "handles-remove": ("ingest", {**_CORRECT, "entity-totals": "entity_totals_handles_remove"}),
}

def topology(*, variant: str = "fixed", batch_size: int = 100, window: int = 0) -> Topology:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    consumers = VARIANTS[variant][1]
    return Topology(
        name="eventlake",
        description="an immutable event store; INSERT-only consumers keep projections; TTL expires old events",
        # NEW_AND_OLD_IMAGES, not the article's NEW_IMAGE: a REMOVE then says which event went (what a
        # consumer handling REMOVEs needs, and what makes a TTL REMOVE tell its item apart)
        tables=[Table("events", hash_key="event_id", range_key="timestamp", stream_view_type="NEW_AND_OLD_IMAGES",
                      ttl_attribute="expires_at"),
                Table("projections", hash_key="name", stream_view_type=None)],
        functions=[Function(c, f"{HANDLERS}:{consumers[c]}", timeout=30,
                            env={"PROJECTIONS_TABLE": "${table:projections}", "CONSUMER": c}) for c in CONSUMERS],
        event_source_mappings=[EventSourceMapping(c, "events", name=MAPPINGS[c], starting_position="TRIM_HORIZON",
                                                  batch_size=batch_size, maximum_batching_window_in_seconds=window)
                               for c in CONSUMERS],
    )
