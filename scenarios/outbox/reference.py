"""What a correct outbox pipeline does with a plan: pure, from the plan's ground truth alone.

- the publisher sends every event but the poison, each order's events in their order (seq), once;
- the poison is given up on and sent to the publisher's OnFailure destination, nothing else is;
- each consumer queue receives the events its subscription selects (all of them without fan-out);
- the consumer acts on each of those once, except the unprocessable ones, which it fails on each of
  maxReceiveCount receives and which then sit in that queue's DLQ.
"""
from __future__ import annotations

from dataclasses import dataclass

from streamharness.scenarios.outbox.generator import OutboxEvent, OutboxPlan
from streamharness.scenarios.outbox.topology import FANOUT, consumer_queues


@dataclass(frozen=True)
class Expected:
    published: dict[str, list[int]]            # order id -> seqs, in order
    isolated: frozenset[str]                   # event keys (order#seq) given up on
    delivered: dict[str, frozenset[str]]       # queue -> correlation ids it receives
    consumed: dict[str, frozenset[str]]        # queue -> correlation ids the consumer acts on
    dead_lettered: dict[str, frozenset[str]]   # queue -> correlation ids in its DLQ


def selects(queue: str, event: OutboxEvent, fanout: bool) -> bool:
    """Whether ``queue``'s subscription (its filter policy on event_type) takes the event."""
    return not fanout or event.event_type in FANOUT[queue]


def expected(plan: OutboxPlan, *, fanout: bool) -> Expected:
    sent = [e for e in plan.events if not e.poison]
    published: dict[str, list[int]] = {}
    for e in sent:
        published.setdefault(e.order_id, []).append(e.seq)
    delivered, consumed, dead = {}, {}, {}
    for q in consumer_queues(fanout):
        mine = [e for e in sent if selects(q, e, fanout)]
        delivered[q] = frozenset(e.correlation_id for e in mine)
        consumed[q] = frozenset(e.correlation_id for e in mine if not e.unprocessable)
        dead[q] = frozenset(e.correlation_id for e in mine if e.unprocessable)
    return Expected(published={k: sorted(v) for k, v in published.items()},
                    isolated=frozenset(e.key for e in plan.poison), delivered=delivered, consumed=consumed,
                    dead_lettered=dead)
