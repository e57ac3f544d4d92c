"""EventLake scenario: an immutable event store keyed by event_id + timestamp; INSERT-only consumers build
projections from its stream; TTL expires old events without touching the projections; replay from the store
rebuilds them."""
