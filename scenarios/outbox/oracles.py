"""Pure verdicts on what the outbox pipeline did, against the reference model.

Every oracle takes plain data read off a trace (see ``scenario._read``), so a unit test can hand it a
wrong answer. Shapes:

- ``drain``: ``{"ok": bool, "error": str | None}``, how the wait for the publisher's mapping ended;
- ``stall``: ``{"record": "ORD-1#2", "batch": ["ORD-1#2", ...], "retries": n, "age_s": s, "error": "..."}``
  for the batch the mapping was still retrying when the drain gave up, ``record`` its first (None if it
  was not retrying);
- ``published``: the publisher's sends, in order: ``{"correlation_id", "order_id", "seq"}``;
- ``isolated``: records given up on: ``{"key": "ORD-1#2", "destination": str | None, "ok": bool}``;
- ``receives``: every receive the consumer step made: ``{"queue", "message_id", "correlation_id",
  "receive_count", "ok"}``;
- ``dead_letters``: queue -> the correlation ids found in its DLQ at the end;
- ``left``: queue -> messages still on it at the end: ``{"message_id", "correlation_id", "receive_count"}``;
- ``consumed``: the consumer's ``consumed`` log lines: ``{"queue", "correlation_id"}``;
- ``hops``: correlation id -> the hops that named it (producer, stream, publisher, queue, consumer).

Each failed check's detail ends with its likely cause.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from harness.oracles.checks import Check
from streamharness.scenarios.outbox.generator import OutboxPlan
from streamharness.scenarios.outbox.reference import Expected
from streamharness.scenarios.outbox.topology import MAX_RECEIVE_COUNT

Row = Mapping[str, Any]


def _check(name: str, problems: list[Any], expected: Any, actual: Any, ok: str, cause: str) -> Check:
    if not problems:
        return Check(name, True, expected, actual, ok)
    return Check(name, False, expected, actual, f"{len(problems)} problem(s); likely cause: {cause}", problems[:10])


def shard_not_blocked(drain: Row, stall: Row | None, drain_timeout: float) -> Check:
    """The publisher's mapping went quiet: no record held its shard past the drain timeout."""
    if drain["ok"]:
        return Check("shard_not_blocked", True, "quiet", "quiet", "the publisher's mapping drained")
    if stall:
        what = (f"shard blocked at record {stall['record']}, in a batch of {len(stall['batch'])} "
                f"({', '.join(stall['batch'][:10])}) retried {stall['retries']} times, oldest record's age "
                f"{stall['age_s']:.1f}s, never given up within the {drain_timeout:g}s drain timeout; last error: "
                f"{stall['error']}")
    else:
        what = f"the publisher's mapping was not quiet within {drain_timeout:g}s: {drain['error']}"
    return Check("shard_not_blocked", False, "quiet", "blocked",
                 f"{what}; likely cause: the mapping retries a failing batch whole and for ever "
                 "(no BisectBatchOnFunctionError, MaximumRetryAttempts -1, no OnFailure destination), so a "
                 "corrupt payload blocks its shard until the record expires (24 hours)",
                 [dict(stall)] if stall else [])


def poison_isolated(expected: Expected, isolated: Sequence[Row]) -> Check:
    """Exactly the poison records are given up on, each sent to the OnFailure destination."""
    given_up = Counter(r["key"] for r in isolated)
    problems: list[Any] = [{"record": k, "problem": "poison record never given up"}
                           for k in sorted(expected.isolated - given_up.keys())]
    problems += [{"record": k, "problem": "good record given up"} for k in sorted(given_up.keys() - expected.isolated)]
    problems += [{"record": r["key"], "problem": f"not sent to an OnFailure destination ({r['destination']})"}
                 for r in isolated if not (r["destination"] and r["ok"])]
    return _check("poison_isolated", problems, sorted(expected.isolated), sorted(given_up),
                  "only the poison records were given up, each to the OnFailure destination",
                  "without BisectBatchOnFunctionError the whole batch fails with its poison record (good "
                  "records are given up with it, or the shard stalls); without an OnFailure destination a "
                  "given-up record is lost")


def delivered_in_order_per_key(expected: Expected, published: Sequence[Row]) -> Check:
    """Every event but the poison is published once, each order's events in their order."""
    actual: dict[str, list[int]] = {}
    for p in published:
        actual.setdefault(p["order_id"], []).append(int(p["seq"]))
    problems = []
    for oid in sorted(expected.published.keys() | actual.keys()):
        want, got = expected.published.get(oid, []), actual.get(oid, [])
        if got != want:
            kind = ("missing" if len(got) < len(want) else "duplicated" if len(got) > len(set(got))
                    else "out of order" if sorted(got) == want else "wrong")
            problems.append({"order_id": oid, "expected_seqs": want, "published_seqs": got, "problem": kind})
    return _check("delivered_in_order_per_key", problems, sum(map(len, expected.published.values())),
                  len(published), "every event but the poison published once, in order per order",
                  "a record stuck behind a poison record (no bisect), a batch re-sent after a failure that "
                  "happened mid-send, or a publisher that does not send in stream order")


def consumed_once(expected: Expected, consumed: Sequence[Row]) -> Check:
    """The consumer acted once on each processable message of each queue, and on nothing else."""
    counts = Counter((c["queue"], c["correlation_id"]) for c in consumed)
    problems = []
    for q, want in sorted(expected.consumed.items()):
        got = {cid for (queue, cid) in counts if queue == q}
        problems += [{"queue": q, "correlation_id": c, "problem": "never consumed"} for c in sorted(want - got)]
        problems += [{"queue": q, "correlation_id": c, "problem": "not expected on this queue"}
                     for c in sorted(got - want)]
    problems += [{"queue": q, "correlation_id": c, "problem": f"consumed {n} times"}
                 for (q, c), n in sorted(counts.items()) if n > 1]
    return _check("consumed_once", problems, sum(map(len, expected.consumed.values())), len(consumed),
                  "each processable message consumed once on each queue that should receive it",
                  "a message never published (blocked shard), a subscription filter policy that selects the "
                  "wrong event types, or a consumer that fails after acting")


def consumer_dlq_exact(expected: Expected, receives: Sequence[Row], dead_letters: Mapping[str, Sequence[str]]) -> Check:
    """Each queue's DLQ holds exactly the messages the consumer failed on maxReceiveCount times."""
    failed = Counter((r["queue"], r["correlation_id"]) for r in receives if not r["ok"])
    problems = []
    for q, want in sorted(expected.dead_lettered.items()):
        got = set(dead_letters.get(q, ()))
        problems += [{"queue": q, "correlation_id": c, "problem": "not in the DLQ", "failed_receives": failed[(q, c)]}
                     for c in sorted(want - got)]
        problems += [{"queue": q, "correlation_id": c, "problem": "in the DLQ but processable"}
                     for c in sorted(got - want)]
        problems += [{"queue": q, "correlation_id": c, "problem": f"failed {failed[(q, c)]} times before the DLQ, "
                      f"not maxReceiveCount ({MAX_RECEIVE_COUNT})"}
                     for c in sorted(got & want) if failed[(q, c)] != MAX_RECEIVE_COUNT]
    return _check("consumer_dlq_exact", problems,
                  {q: len(v) for q, v in sorted(expected.dead_lettered.items())},
                  {q: len(v) for q, v in sorted(dead_letters.items())},
                  f"each DLQ holds exactly the messages that failed {MAX_RECEIVE_COUNT} receives",
                  "the consumer queue has no redrive policy (no DLQ), or a maxReceiveCount other than the one "
                  "the pipeline is meant to have")


def no_looping_message(left: Mapping[str, Sequence[Row]]) -> Check:
    """Nothing is left circling on a consumer queue: every message was consumed or dead-lettered."""
    problems = [{"queue": q, "correlation_id": m["correlation_id"], "message_id": m["message_id"],
                 "receive_count": m["receive_count"],
                 "problem": f"still on {q} after {m['receive_count']} receives"}
                for q, msgs in sorted(left.items()) for m in msgs]
    detail_head = "; ".join(f"message {p['message_id']} (correlation id {p['correlation_id']}) looping on "
                            f"{p['queue']}, received {p['receive_count']} times" for p in problems[:3])
    check = _check("no_looping_message", problems, 0, len(problems), "no message left on a consumer queue",
                   f"the queue has no redrive policy, so a message the consumer cannot process comes back after "
                   f"every visibility timeout, for ever (maxReceiveCount {MAX_RECEIVE_COUNT} + a DLQ stops it)")
    return check if check.passed else Check(check.name, False, 0, len(problems), f"{detail_head}; {check.detail}",
                                            check.examples)


def correlation_traceable(plan: OutboxPlan, expected: Expected, hops: Mapping[str, Sequence[str]]) -> Check:
    """Every event can be followed by its correlation id through each hop it should pass."""
    problems = []
    for e in plan.events:
        want = ["producer", "stream"]
        if e.poison:
            want.append("given_up")
        else:
            want.append("publisher")
            queues = [q for q, cids in expected.delivered.items() if e.correlation_id in cids]
            want += [f"queue:{q}" for q in queues] + (["consumer"] if queues else [])
        missing = [h for h in want if h not in hops.get(e.correlation_id, ())]
        if missing:
            problems.append({"correlation_id": e.correlation_id, "event": e.key, "missing_hops": missing})
    return _check("correlation_traceable", problems, len(plan.events), len(plan.events) - len(problems),
                  "every correlation id found at each hop it should pass",
                  "a hop that drops the correlation id (not stored in the item, not sent as a message "
                  "attribute, not logged), or an event that never reached that hop")


def evaluate(plan: OutboxPlan, expected: Expected, *, drain: Row, stall: Row | None, drain_timeout: float,
             published: Sequence[Row], isolated: Sequence[Row], receives: Sequence[Row],
             dead_letters: Mapping[str, Sequence[str]], left: Mapping[str, Sequence[Row]],
             consumed: Sequence[Row], hops: Mapping[str, Sequence[str]]) -> list[Check]:
    return [shard_not_blocked(drain, stall, drain_timeout), poison_isolated(expected, isolated),
            delivered_in_order_per_key(expected, published), consumed_once(expected, consumed),
            consumer_dlq_exact(expected, receives, dead_letters), no_looping_message(left),
            correlation_traceable(plan, expected, hops)]
