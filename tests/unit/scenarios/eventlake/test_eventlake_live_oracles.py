"""Live-mode oracles of eventlake (Locust's producers ingest while the consumers run): the ground truth is
rebuilt from the stream and the producers' answers; each wrong answer fails its own check."""
from __future__ import annotations

import json
from typing import Any

from streamharness.scenarios.eventlake.live import evaluate_live, plan_from_stream

# (event_id, timestamp, event_type, payload)
EVENTS = [("e1", "2026-01-01T00:00:00.000Z", "OrderPlaced", {"entity_id": "c1", "amount_cents": 500}),
          ("e2", "2026-01-02T00:00:00.000Z", "UserSignedUp", {"entity_id": "c2"}),
          ("e3", "2026-01-03T00:00:00.000Z", "PaymentCaptured", {"entity_id": "c1", "amount_cents": 200})]
KEYS = [f"{i}|{ts}" for i, ts, _, _ in EVENTS]
PROJECTIONS = {"entity#c1": {"events": 2, "amount_cents": 700}, "entity#c2": {"events": 1, "amount_cents": 0},
               "type#OrderPlaced": {"events": 1}, "type#PaymentCaptured": {"events": 1},
               "type#UserSignedUp": {"events": 1}}


def _stored(event_id: str, ts: str, event_type: str, payload: dict[str, Any]) -> dict[str, str]:
    return {"event_id": event_id, "timestamp": ts, "event_type": event_type,
            "event_payload": json.dumps(payload, sort_keys=True)}


def _record(n: int, name: str, event: tuple[Any, ...]) -> dict[str, Any]:
    image = {k: {"S": v} for k, v in _stored(*event).items()}
    return {"eventID": f"r{n}", "eventName": name, "dynamodb": {"SequenceNumber": str(100 + n), "NewImage": image}}


def _good() -> dict[str, Any]:
    return dict(inserted=[_record(n, "INSERT", e) for n, e in enumerate(EVENTS)],
                stream_records=[(k, "INSERT") for k in KEYS],
                answers={"first 201": 3, "retry 409": 2, "conflict 409": 1, "invalid 400": 1},
                applied={"type-counts": list(KEYS), "entity-totals": list(KEYS)},
                store=[_stored(*e) for e in EVENTS], projections=PROJECTIONS, failed_calls=0)


def _failing(**changes: Any) -> set[str]:
    return {c.name for c in evaluate_live(**{**_good(), **changes}) if not c.passed}


def test_the_correct_run_passes_every_check() -> None:
    checks = evaluate_live(**_good())
    assert [c.name for c in checks] == ["no_modify", "duplicates_rejected", "validation", "consumed_exactly_once",
                                        "replay_equality", "projection_matches_reference", "writes_accounted"]
    assert all(c.passed for c in checks)
    assert [e.key for e in plan_from_stream(reversed(_good()["inserted"] * 2)).events] == KEYS  # a retried batch: once


def test_a_modify_record_fails_no_modify() -> None:
    records = _good()["stream_records"] + [(KEYS[0], "MODIFY")]
    assert _failing(stream_records=records, answers={"first 201": 3, "conflict 201": 1}) == {
        "no_modify", "duplicates_rejected"}


def test_a_duplicate_accepted_fails_the_duplicate_check_and_a_refused_event_the_validation() -> None:
    assert _failing(answers={"first 201": 3, "retry 201": 1, "invalid 400": 1}) == {"duplicates_rejected",
                                                                                    "writes_accounted"}
    assert _failing(answers={"first 201": 3, "invalid 201": 1}) == {"validation", "writes_accounted"}
    assert _failing(answers={"first 201": 3, "first error": 1}, failed_calls=1) == set()  # a failed call: no answer


def test_an_event_applied_twice_or_never_fails_consumed_exactly_once() -> None:
    assert _failing(applied={"type-counts": KEYS + KEYS[:1], "entity-totals": list(KEYS)}) == {"consumed_exactly_once"}
    assert _failing(applied={"type-counts": KEYS[1:], "entity-totals": list(KEYS)}) == {"consumed_exactly_once"}


def test_a_store_or_projection_that_differs_fails_replay_and_reference() -> None:
    changed = {**EVENTS[0][3], "amount_cents": 999}
    store = [_stored(*EVENTS[0][:3], changed)] + [_stored(*e) for e in EVENTS[1:]]
    assert _failing(store=store) == {"replay_equality"}
    drifted = {**PROJECTIONS, "entity#c2": {"events": 2, "amount_cents": 0}}
    assert _failing(projections=drifted) == {"replay_equality", "projection_matches_reference"}


def test_an_accepted_attempt_without_a_stream_record_fails_the_accounting() -> None:
    assert _failing(answers={"first 201": 4}) == {"writes_accounted"}
