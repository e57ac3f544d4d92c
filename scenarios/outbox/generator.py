"""A deterministic outbox plan: the events a shop's order service writes, with their ground truth.

Each order gets a short life (OrderPlaced, OrderPaid, sometimes OrderShipped), one outbox item per
event, keyed (order_id, seq) so the stream keeps an order's events in order. Orders are interleaved.
Each event carries its own correlation id, the one the producer logs, the item stores, the publisher
sends as a message attribute and the consumer logs. All randomness flows from ``Random(seed)``.

Ground truth planted in the plan:

- ``poison``: one event whose stored payload is corrupt (truncated JSON). The publisher cannot parse
  it; a correct pipeline isolates it (bisect + OnFailure destination) and delivers everything else;
- ``unprocessable``: events of orders in a currency the consumer does not take. The consumer fails
  them on every receive, so they must end in the consumer queue's DLQ after maxReceiveCount receives.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from random import Random

from faker import Faker

LIFE = ("OrderPlaced", "OrderPaid", "OrderShipped")
CURRENCIES = ("EUR", "GBP", "USD")
UNSUPPORTED_CURRENCY = "XXX"  # the consumer refuses it


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    order_id: str
    seq: int
    event_type: str
    correlation_id: str
    payload: str          # the JSON text the producer stores in the outbox item
    poison: bool = False
    unprocessable: bool = False

    @property
    def key(self) -> str:
        return f"{self.order_id}#{self.seq}"


@dataclass(frozen=True)
class OutboxPlan:
    events: tuple[OutboxEvent, ...]   # in the order the producer is called

    @cached_property
    def by_correlation_id(self) -> dict[str, OutboxEvent]:
        return {e.correlation_id: e for e in self.events}

    @property
    def poison(self) -> list[OutboxEvent]:
        return [e for e in self.events if e.poison]

    @property
    def unprocessable(self) -> list[OutboxEvent]:
        return [e for e in self.events if e.unprocessable and not e.poison]

    def summary(self) -> dict[str, int]:
        return {"events": len(self.events), "orders": len({e.order_id for e in self.events}),
                "poison_events": len(self.poison), "unprocessable_events": len(self.unprocessable)}


def generate_outbox(orders: int, seed: int, *, poison: int = 1, unprocessable_orders: int = 1,
                    interleave: int = 4) -> OutboxPlan:
    """``orders`` orders, ``poison`` corrupt payloads, ``unprocessable_orders`` orders in a refused currency,
    ``interleave`` orders in flight at once."""
    if poison + unprocessable_orders > orders:
        raise ValueError(f"poison ({poison}) + unprocessable orders ({unprocessable_orders}) exceed orders ({orders})")
    rng = Random(seed)
    fake = Faker()
    fake.seed_instance(seed)
    ids = [f"ORD-{fake.unique.random_int(10_000, 99_999)}" for _ in range(orders)]
    refused = set(rng.sample(ids, unprocessable_orders))
    lives: dict[str, list[OutboxEvent]] = {}
    for oid in ids:
        customer, currency = fake.name(), UNSUPPORTED_CURRENCY if oid in refused else rng.choice(CURRENCIES)
        amount = round(rng.uniform(5, 500), 2)
        n = rng.choice((2, 3))
        lives[oid] = [OutboxEvent(oid, seq, LIFE[seq], str(fake.uuid4()),
                                  json.dumps({"order_id": oid, "type": LIFE[seq], "customer": customer,
                                              "amount": amount, "currency": currency}),
                                  unprocessable=oid in refused) for seq in range(n)]
    clean = [oid for oid in ids if oid not in refused]
    for oid in rng.sample(clean, poison):  # corrupt one event of the order (never its first: a later one blocks)
        life = lives[oid]
        i = rng.randrange(1, len(life))
        e = life[i]
        life[i] = OutboxEvent(e.order_id, e.seq, e.event_type, e.correlation_id, e.payload[: len(e.payload) // 2],
                              poison=True)
    events: list[OutboxEvent] = []
    active: list[str] = []
    pending = list(ids)
    while pending or active:
        while pending and len(active) < interleave:
            active.append(pending.pop(0))
        oid = rng.choice(active)
        events.append(lives[oid].pop(0))
        if not lives[oid]:
            active.remove(oid)
    return OutboxPlan(tuple(events))
