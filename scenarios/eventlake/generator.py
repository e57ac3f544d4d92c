"""A deterministic ingestion plan for the event lake, carrying its own ground truth.

All randomness flows from ``random.Random(seed)``; Faker is seeded from it. The plan is a list of
ingestion *attempts*, in the order the producers send them:

- ``first``: a new event (event_id, event_type, timestamp, event_payload), accepted (201);
- ``retry``: the same event sent again, byte for byte (a producer that timed out and resent), rejected (409);
- ``conflict``: the same key (event_id + timestamp) with another payload (a producer reusing an id),
  rejected (409): an event, once stored, is never overwritten;
- ``invalid``: a request the ingestion function must refuse (400): a field missing or malformed.

Some events carry a Time to Live: ``ttl_offset_s`` seconds from the run's TTL anchor, the moment at
which the run expires events (set when the run starts, so the plan stays a pure function of the
config). A negative offset is a TTL in the past at that moment: the event expires at the end of the
run, its REMOVE carrying the TTL service identity. No retry or conflict targets such an event.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from random import Random
from typing import Any

from faker import Faker

EVENT_TYPES = ("UserSignedUp", "OrderPlaced", "PaymentCaptured", "ProductShipped")
#: types whose payload carries an amount (the entity projection sums it)
AMOUNT_TYPES = frozenset({"OrderPlaced", "PaymentCaptured"})
KINDS = ("first", "retry", "conflict", "invalid")
STATUS = {"first": 201, "retry": 409, "conflict": 409, "invalid": 400}
RETAINED_TTL_S = 30 * 86_400  # a TTL well in the future: the event stays


@dataclass(frozen=True)
class Event:
    event_id: str
    timestamp: str
    event_type: str
    payload: Mapping[str, Any]
    ttl_offset_s: int | None = None

    @property
    def key(self) -> str:
        """The store's primary key, as one string: event_id|timestamp."""
        return f"{self.event_id}|{self.timestamp}"

    @property
    def entity_id(self) -> str:
        return str(self.payload["entity_id"])

    @property
    def amount_cents(self) -> int:
        return int(self.payload.get("amount_cents", 0))

    @property
    def expires(self) -> bool:
        """Its TTL is past at the run's TTL anchor: TTL deletes it."""
        return self.ttl_offset_s is not None and self.ttl_offset_s < 0

    def request(self, ttl_anchor: int) -> dict[str, Any]:
        """What a producer sends to the ingestion function."""
        body: dict[str, Any] = {"event_id": self.event_id, "event_type": self.event_type,
                                "timestamp": self.timestamp, "event_payload": dict(self.payload)}
        if self.ttl_offset_s is not None:
            body["expires_at"] = ttl_anchor + self.ttl_offset_s
        return body


@dataclass(frozen=True)
class Attempt:
    kind: str
    event: Event
    #: for ``invalid``: how the request is broken (a field removed or replaced)
    defect: str = ""

    @property
    def expected_status(self) -> int:
        return STATUS[self.kind]

    def request(self, ttl_anchor: int) -> dict[str, Any]:
        body = self.event.request(ttl_anchor)
        if self.defect == "missing event_type":
            del body["event_type"]
        elif self.defect == "timestamp not ISO-8601":
            body["timestamp"] = "yesterday afternoon"
        elif self.defect == "payload not an object":
            body["event_payload"] = json.dumps(body["event_payload"])
        elif self.defect == "empty event_id":
            body["event_id"] = ""
        return body


DEFECTS = ("missing event_type", "timestamp not ISO-8601", "payload not an object", "empty event_id")


@dataclass(frozen=True)
class IngestionPlan:
    attempts: tuple[Attempt, ...]
    entities: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for a in self.attempts:
            if a.kind == "first":
                if a.event.key in seen:
                    raise ValueError(f"event {a.event.key} is 'first' twice")
                seen.add(a.event.key)
            elif a.kind in ("retry", "conflict"):
                if a.event.key not in seen:
                    raise ValueError(f"{a.kind} of {a.event.key} comes before its first attempt")
            elif a.kind != "invalid":
                raise ValueError(f"unknown attempt kind {a.kind!r}")

    @cached_property
    def events(self) -> tuple[Event, ...]:
        """Every accepted event, in ingestion order (the ground truth of the store before TTL)."""
        return tuple(a.event for a in self.attempts if a.kind == "first")

    @cached_property
    def expired(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.expires)

    @cached_property
    def retained(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if not e.expires)

    def of_kind(self, kind: str) -> list[Attempt]:
        return [a for a in self.attempts if a.kind == kind]

    def summary(self) -> dict[str, int]:
        return {"attempts": len(self.attempts), "events": len(self.events), "entities": len(self.entities),
                **{f"{k}_attempts": len(self.of_kind(k)) for k in KINDS[1:]},
                "expiring_events": len(self.expired)}


def generate_plan(events: int, entities: int, seed: int, *, duplicate_rate: float = 0.1,
                  conflict_share: float = 0.5, ttl_past_rate: float = 0.15, ttl_future_rate: float = 0.15,
                  invalid: int = 8) -> IngestionPlan:
    """``events`` new events about ``entities`` entities; ``duplicate_rate`` of the events that do not
    expire are sent again (``conflict_share`` of those with another payload); ``invalid`` broken requests."""
    if events < 1 or entities < 1:
        raise ValueError(f"events and entities must be >= 1, got {events} and {entities}")
    rng = Random(seed)
    fake = Faker()
    fake.seed_instance(rng.getrandbits(32))
    pool: list[str] = []
    while len(pool) < entities:
        candidate = f"cust-{fake.bothify('??####').lower()}"
        if candidate not in pool:
            pool.append(candidate)
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 30, tzinfo=UTC)

    made: list[Event] = []
    for _ in range(events):
        event_type = rng.choice(EVENT_TYPES)
        roll = rng.random()
        ttl = (-rng.randint(60, 86_400) if roll < ttl_past_rate
               else RETAINED_TTL_S if roll < ttl_past_rate + ttl_future_rate else None)
        when = fake.date_time_between(start_date=start, end_date=end, tzinfo=UTC)
        made.append(Event(event_id=fake.uuid4(), event_type=event_type,
                          timestamp=when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
                          payload=_payload(event_type, rng.choice(pool), fake, rng), ttl_offset_s=ttl))

    attempts: list[Attempt] = [Attempt("first", e) for e in made]
    for e in made:
        if e.expires or rng.random() >= duplicate_rate:
            continue
        if e.event_type in AMOUNT_TYPES and rng.random() < conflict_share:
            again = Attempt("conflict", Event(e.event_id, e.timestamp, e.event_type,
                                              {**e.payload, "amount_cents": e.amount_cents + rng.randint(1, 9_999)},
                                              e.ttl_offset_s))
        else:
            again = Attempt("retry", e)
        first = next(i for i, a in enumerate(attempts) if a.kind == "first" and a.event is e)
        attempts.insert(rng.randint(first + 1, len(attempts)), again)
    for k in range(invalid):
        broken = Event(fake.uuid4(), "2026-01-01T00:00:00.000Z", rng.choice(EVENT_TYPES),
                       _payload("UserSignedUp", rng.choice(pool), fake, rng))
        attempts.insert(rng.randint(0, len(attempts)), Attempt("invalid", broken, DEFECTS[k % len(DEFECTS)]))
    return IngestionPlan(tuple(attempts), tuple(pool))


def _payload(event_type: str, entity: str, fake: Faker, rng: Random) -> dict[str, Any]:
    if event_type == "UserSignedUp":
        return {"entity_id": entity, "username": fake.user_name(), "email": fake.email()}
    if event_type == "OrderPlaced":
        return {"entity_id": entity, "order_id": fake.bothify("ORD-#####"), "amount_cents": rng.randint(100, 50_000)}
    if event_type == "PaymentCaptured":
        return {"entity_id": entity, "payment_id": fake.bothify("PAY-########"),
                "amount_cents": rng.randint(100, 50_000)}
    return {"entity_id": entity, "carrier": rng.choice(("UPS", "DHL", "FedEx")),
            "tracking": fake.bothify("??#########").upper()}

