"""A pure model of the event lake: the projections an event list gives, and what a run must observe.

``project`` is the one definition of the projections, used three ways: the ground truth (the plan's
accepted events), the replay (the items a scan of the store returns) and the model run ``simulate``,
which lets the oracles be tested without a backend (a correct model passes every check; a model of a
planted bug fails the check named for it).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from streamharness.scenarios.eventlake.generator import Event, IngestionPlan

#: projection row name -> its counters (type#T: events; entity#E: events, amount_cents)
Projection = dict[str, dict[str, int]]
CONSUMERS = ("type-counts", "entity-totals")


def stored(event: Event) -> dict[str, str]:
    """An event as a scan of the store returns it (the ingestion function's item, plain)."""
    return {"event_id": event.event_id, "timestamp": event.timestamp, "event_type": event.event_type,
            "event_payload": json.dumps(dict(event.payload), sort_keys=True)}


def combine(*projections: Mapping[str, Mapping[str, int]], sign: int = 1) -> Projection:
    """The first projection plus (``sign=-1``: minus) the others; rows whose counters are all zero go."""
    out: Projection = {}
    for i, p in enumerate(projections):
        factor = 1 if i == 0 else sign
        for name, counters in p.items():
            row = out.setdefault(name, {})
            for k, v in counters.items():
                row[k] = row.get(k, 0) + factor * int(v)
    return {name: row for name, row in sorted(out.items()) if any(row.values())}


def project_items(items: Iterable[Mapping[str, Any]]) -> Projection:
    """The projections of stored items (what a replay from the store rebuilds)."""
    rows: list[Projection] = []
    for item in items:
        payload = json.loads(item["event_payload"])
        rows.append({f"type#{item['event_type']}": {"events": 1},
                     f"entity#{payload['entity_id']}": {"events": 1,
                                                        "amount_cents": int(payload.get("amount_cents", 0))}})
    return combine({}, *rows)


def project(events: Iterable[Event]) -> Projection:
    return project_items(stored(e) for e in events)


@dataclass(frozen=True)
class Observation:
    """Exactly the keyword arguments ``oracles.evaluate`` takes."""

    statuses: tuple[int, ...]
    stream_records: tuple[tuple[str, str], ...]
    applied: Mapping[str, Sequence[str]]
    ttl_removes: Mapping[str, int]
    store: tuple[Mapping[str, str], ...]
    projections: Projection
    before_expiry: Projection

    def as_kwargs(self) -> dict[str, Any]:
        return {"statuses": self.statuses, "stream_records": self.stream_records, "applied": self.applied,
                "ttl_removes": self.ttl_removes, "store": self.store, "projections": self.projections,
                "before_expiry": self.before_expiry}


def simulate(plan: IngestionPlan, *, overwrite: bool = False, server_time: bool = False,
             handles_remove: bool = False) -> Observation:
    """Ingest every attempt, let the consumers apply every INSERT, then expire what TTL expires.

    ``overwrite`` models an unconditional PutItem (a retry or conflict replaces the event: MODIFY, 201);
    ``server_time`` an ingestion that keys events on their arrival time (a retry or conflict is stored as
    one more event); ``handles_remove`` a consumer that subtracts an expired event from its projection."""
    store: dict[str, Event] = {}
    statuses: list[int] = []
    records: list[tuple[str, str]] = []
    inserted: list[Event] = []
    for i, a in enumerate(plan.attempts):
        key = f"{a.event.event_id}|arrived-{i}" if server_time and a.kind != "first" else a.event.key
        if a.kind == "invalid":
            statuses.append(400)
        elif key not in store:
            store[key] = a.event
            inserted.append(a.event)
            statuses.append(201)
            records.append((key, "INSERT"))
        elif overwrite:
            if stored(store[key]) != stored(a.event):  # an identical put changes nothing: no record
                records.append((key, "MODIFY"))
            store[key] = a.event
            statuses.append(201)
        else:
            statuses.append(409)
    applied = tuple(key for key, name in records if name == "INSERT")
    before = live = project(inserted)
    for e in plan.expired:
        del store[e.key]
        records.append((e.key, "REMOVE"))
    if handles_remove:
        expired = project(plan.expired)
        live = combine(live, {k: v for k, v in expired.items() if k.startswith("entity#")}, sign=-1)
    return Observation(statuses=tuple(statuses), stream_records=tuple(records),
                       applied={c: applied for c in CONSUMERS},
                       ttl_removes={c: len(plan.expired) for c in CONSUMERS},
                       store=tuple(stored(e) for e in store.values()), projections=live,
                       before_expiry=before)
