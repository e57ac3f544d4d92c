"""The outbox pipeline's oracles in live mode: Locust's users write outbox items while the publisher runs.

The harness does not make the writes, so the ground truth is rebuilt from the stream: every INSERT record
the publisher was delivered is one outbox item, and every one must be published once, each order's events
in seq order (the scenario's ``delivered_in_order_per_key``). The orders queue, read to its end after the
final drain (no consumer runs under load), must hold exactly the published messages, once each, by
correlation id. ``writes_accounted`` ties the stream to the writers: every PutItem accepted is one record.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.oracles.accounting import writes_accounted
from harness.oracles.checks import Check, check_equal
from streamharness.scenarios.outbox.oracles import delivered_in_order_per_key
from streamharness.scenarios.outbox.reference import Expected


def expected_from_stream(records: Iterable[Mapping[str, Any]]) -> Expected:
    """What the publisher must send, from the Lambda-format records it was delivered (a retried batch
    repeats them: kept once): each order's seqs, in order, and the correlation ids on the queue."""
    seen: dict[str, Mapping[str, Any]] = {}
    for r in records:
        if r.get("eventName") == "INSERT":
            seen.setdefault(r["eventID"], r)
    published: dict[str, list[int]] = {}
    cids = set()
    for r in seen.values():
        image = r["dynamodb"]["NewImage"]
        published.setdefault(image["order_id"]["S"], []).append(int(image["seq"]["N"]))
        cids.add(image["correlation_id"]["S"])
    return Expected(published={k: sorted(v) for k, v in sorted(published.items())}, isolated=frozenset(),
                    delivered={"orders": frozenset(cids)}, consumed={}, dead_lettered={})


def queue_holds_published(expected: Expected, on_queue: Sequence[str]) -> Check:
    """The orders queue holds one message per published event (by correlation id), nothing else."""
    want = expected.delivered["orders"]
    got = Counter(on_queue)
    missing = sorted(want - got.keys())
    extra = sorted(got.keys() - want)
    twice = sorted(c for c, n in got.items() if n > 1)
    return check_equal("queue_holds_published", {"messages": len(want), "missing": 0, "unexpected": 0, "repeated": 0},
                       {"messages": len(on_queue), "missing": len(missing), "unexpected": len(extra),
                        "repeated": len(twice)},
                       detail="correlation ids of the messages on the orders queue vs the events the stream carried",
                       examples=[{"correlation_id": c, "problem": "never on the queue"} for c in missing[:3]]
                       + [{"correlation_id": c, "problem": "on the queue, never in the stream"} for c in extra[:3]]
                       + [{"correlation_id": c, "problem": f"on the queue {got[c]} times"} for c in twice[:3]])


def evaluate_live(*, delivered: Iterable[Mapping[str, Any]], published: Sequence[Mapping[str, Any]],
                  on_queue: Sequence[str], change_records: int, writes_ok: int, writes_failed: int) -> list[Check]:
    """Every live-mode check, in report order. ``delivered``: the records the publisher was handed;
    ``published``: its ``published`` log lines; ``on_queue``: correlation ids read off the orders queue."""
    expected = expected_from_stream(delivered)
    return [delivered_in_order_per_key(expected, published), queue_holds_published(expected, on_queue),
            writes_accounted(writes_ok, change_records, writes_failed)]


__all__ = ["evaluate_live", "expected_from_stream", "queue_holds_published"]
