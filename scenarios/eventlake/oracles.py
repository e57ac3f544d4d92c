"""Pure verdicts on what the event lake did, judged against the plan's own ground truth.

Each oracle takes plain data (statuses, ``(key, eventName)`` pairs, log keys, scanned items, projection
rows) so the scenario feeds it from the trace and a unit test from a hand-written wrong answer. A failed
check carries its likely cause (``CAUSES``) in its detail.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from harness.oracles.checks import Check, check_equal
from streamharness.scenarios.eventlake.generator import IngestionPlan
from streamharness.scenarios.eventlake.reference import Projection, combine, project, project_items

#: check -> the likely cause of its failure, shown in the report's detail
CAUSES: dict[str, str] = {
    "no_modify": "the ingestion writes without a condition (PutItem with no attribute_not_exists), so a "
                 "second write of a key replaces the stored event",
    "duplicates_rejected": "the ingestion does not refuse an existing event_id + timestamp (no condition on "
                           "the write, or ConditionalCheckFailedException swallowed as success)",
    "validation": "the ingestion stores malformed events or refuses well-formed ones (its validation)",
    "consumed_exactly_once": "a consumer skips records (reads part of a batch, or filters too much) or applies "
                             "one twice (a retried batch with non-idempotent updates)",
    "replay_equality": "the store no longer holds what the consumers saw: an event was overwritten after its "
                       "INSERT, or a consumer changed its projection on something other than an INSERT",
    "ttl_not_business_delete": "a consumer handles REMOVE records: a TTL expiry (userIdentity type Service, "
                               "principalId dynamodb.amazonaws.com) is retention, not a deletion of the event",
    "projection_matches_reference": "a consumer's projection drifted from the accepted events (an update "
                                    "lost, doubled or applied to a REMOVE/MODIFY)",
}


def _diff(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"row": k, "expected": expected.get(k), "actual": actual.get(k)}
            for k in sorted(expected.keys() | actual.keys()) if expected.get(k) != actual.get(k)]


def no_modify(stream_records: Sequence[tuple[str, str]]) -> Check:
    """An event store is append-only: a MODIFY means a stored event was changed."""
    names = Counter(name for _, name in stream_records)
    modified = sorted({key for key, name in stream_records if name == "MODIFY"})
    return check_equal("no_modify", 0, names.get("MODIFY", 0),
                       detail=f"stream records: {dict(sorted(names.items()))}",
                       examples=[{"modified": k} for k in modified])


def duplicates_rejected(plan: IngestionPlan, statuses: Sequence[int]) -> Check:
    """A retry or a reused key must be answered 409 and leave the stored event alone."""
    wrong = [{"attempt": i, "kind": a.kind, "key": a.event.key, "status": s}
             for i, (a, s) in enumerate(zip(plan.attempts, statuses)) if a.kind in ("retry", "conflict") and s != 409]
    duplicates = len(plan.of_kind("retry")) + len(plan.of_kind("conflict"))
    return check_equal("duplicates_rejected", {"attempts": len(plan.attempts), "accepted_duplicates": 0},
                       {"attempts": len(statuses), "accepted_duplicates": len(wrong)},
                       detail=f"{duplicates} duplicate attempts ({len(plan.of_kind('conflict'))} with another payload)",
                       examples=wrong)


def validation(plan: IngestionPlan, statuses: Sequence[int]) -> Check:
    """New well-formed events are stored (201), malformed ones refused (400)."""
    wrong = [{"attempt": i, "kind": a.kind, "defect": a.defect, "expected": a.expected_status, "status": s}
             for i, (a, s) in enumerate(zip(plan.attempts, statuses))
             if a.kind in ("first", "invalid") and s != a.expected_status]
    return check_equal("validation", 0, len(wrong),
                       detail=f"{len(plan.events)} new events, {len(plan.of_kind('invalid'))} malformed requests",
                       examples=wrong)


def consumed_exactly_once(plan: IngestionPlan, applied: Mapping[str, Sequence[str]]) -> Check:
    """Every accepted event applied once by each consumer, nothing else applied."""
    keys = Counter(e.key for e in plan.events)
    expected, actual, examples = {}, {}, []
    for consumer in sorted(applied):
        got = Counter(applied[consumer])
        missing = sorted(keys - got)
        extra = sorted(got - keys)
        expected[consumer] = {"missing": 0, "extra": 0}
        actual[consumer] = {"missing": len(missing), "extra": sum((got - keys).values())}
        examples += [{"consumer": consumer, "missing": k} for k in missing[:3]]
        examples += [{"consumer": consumer, "extra": k, "times": got[k]} for k in extra[:3]]
    return check_equal("consumed_exactly_once", expected, actual,
                       detail=f"{len(keys)} events, consumers {', '.join(sorted(applied))}", examples=examples)


def replay_equality(plan: IngestionPlan, store: Sequence[Mapping[str, str]], projections: Projection) -> Check:
    """Rebuilding the projections from a scan of the store gives the live ones, once the events TTL
    removed (retention, known from the plan) are added back."""
    rebuilt = combine(project_items(store), project(plan.expired))
    return check_equal("replay_equality", projections, rebuilt,
                       detail=f"live projections (expected) vs a replay of {len(store)} stored events plus "
                              f"{len(plan.expired)} expired by TTL (actual)",
                       examples=_diff(projections, rebuilt))


def ttl_not_business_delete(plan: IngestionPlan, projections: Projection, before_expiry: Projection,
                            ttl_removes: Mapping[str, int]) -> Check:
    """Every consumer saw each TTL expiry (a REMOVE with the TTL service identity), and the projections
    read after the expiry equal those read just before it: retention changes no business fact."""
    changed = _diff(before_expiry, projections)
    expected = {"ttl_removes_seen": {c: len(plan.expired) for c in sorted(ttl_removes)}, "rows_changed_by_expiry": 0}
    actual = {"ttl_removes_seen": dict(sorted(ttl_removes.items())), "rows_changed_by_expiry": len(changed)}
    return check_equal("ttl_not_business_delete", expected, actual,
                       detail=f"{len(plan.expired)} events expired by TTL; projection rows before the expiry "
                              "(expected) vs after it (actual)", examples=changed)


def projection_matches_reference(plan: IngestionPlan, projections: Projection) -> Check:
    truth = project(plan.events)
    return check_equal("projection_matches_reference", truth, projections,
                       detail=f"{len(truth)} rows from {len(plan.events)} accepted events",
                       examples=_diff(truth, projections))


def with_cause(check: Check) -> Check:
    if check.passed:
        return check
    return dataclasses.replace(check, detail=f"{check.detail}. Likely cause: {CAUSES[check.name]}")


def evaluate(plan: IngestionPlan, *, statuses: Sequence[int], stream_records: Sequence[tuple[str, str]],
             applied: Mapping[str, Sequence[str]], ttl_removes: Mapping[str, int], store: Sequence[Mapping[str, str]],
             projections: Projection, before_expiry: Projection) -> list[Check]:
    checks = [
        no_modify(stream_records),
        duplicates_rejected(plan, statuses),
        validation(plan, statuses),
        consumed_exactly_once(plan, applied),
        replay_equality(plan, store, projections),
        ttl_not_business_delete(plan, projections, before_expiry, ttl_removes),
        projection_matches_reference(plan, projections),
    ]
    return [with_cause(c) for c in checks]
