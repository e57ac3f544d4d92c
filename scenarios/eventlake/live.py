"""The event lake's oracles in live mode: Locust's producers ingest events while the consumers run.

The harness does not send the attempts, so the ground truth is rebuilt from the stream: every INSERT
record the consumers were delivered is one event the store accepted, and those events, as an ingestion
plan of first attempts, feed the scenario's own oracles: each consumed exactly once per consumer, the
live projections equal to a replay from a scan of the store and to the reference projection of the
accepted events, and no MODIFY ever. The producers' answers, counted per attempt kind and status
(Locust's request names, ``ingest retry 409``), judge the ingestion: every retry and conflicting reuse of
a key refused (409), every new event stored (201), every malformed request refused (400). And every
attempt answered 201 is exactly one INSERT or MODIFY record (``writes_accounted``): nothing lost between
the producers and the stream.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.oracles.accounting import writes_accounted
from harness.oracles.checks import Check, check_equal
from streamharness.scenarios.eventlake.generator import STATUS, Attempt, Event, IngestionPlan
from streamharness.scenarios.eventlake.oracles import (consumed_exactly_once, no_modify, projection_matches_reference,
                                                       replay_equality, with_cause)
from streamharness.scenarios.eventlake.reference import Projection


def plan_from_stream(records: Iterable[Mapping[str, Any]]) -> IngestionPlan:
    """The events behind Lambda-format INSERT records (a retried batch repeats them: kept once), as first
    attempts in sequence-number order (ValueError when a key is inserted twice)."""
    seen: dict[str, Mapping[str, Any]] = {}
    for r in records:
        seen.setdefault(r["eventID"], r)
    attempts = []
    for r in sorted(seen.values(), key=lambda r: int(r["dynamodb"]["SequenceNumber"])):
        if r.get("eventName") != "INSERT":
            continue
        image = r["dynamodb"]["NewImage"]
        attempts.append(Attempt("first", Event(image["event_id"]["S"], image["timestamp"]["S"],
                                               image["event_type"]["S"], json.loads(image["event_payload"]["S"]))))
    return IngestionPlan(tuple(attempts))


def _answers(answers: Mapping[str, int], kinds: Sequence[str]) -> dict[str, int]:
    """``answers`` (``"<kind> <status>"`` -> count) of the attempts of ``kinds``."""
    return {k: n for k, n in sorted(answers.items()) if k.split(" ")[0] in kinds}


def duplicates_refused(answers: Mapping[str, int]) -> Check:
    """Every retry and conflicting reuse of a stored key answered 409."""
    got = _answers(answers, ("retry", "conflict"))
    accepted = sum(n for k, n in got.items() if k.endswith(" 201"))
    return check_equal("duplicates_rejected", {"accepted_duplicates": 0}, {"accepted_duplicates": accepted},
                       detail=f"duplicate attempts answered: {got}")


def validation_answers(answers: Mapping[str, int]) -> Check:
    """New well-formed events answered 201, malformed requests 400 (calls that failed are not answers)."""
    got = _answers(answers, ("first", "invalid"))
    wrong = {k: n for k, n in got.items() if not k.endswith((f" {STATUS[k.split(' ')[0]]}", " error"))}
    return check_equal("validation", 0, sum(wrong.values()), detail=f"new and malformed attempts answered: {got}",
                       examples=[{"answer": k, "attempts": n} for k, n in wrong.items()])


def evaluate_live(*, inserted: Iterable[Mapping[str, Any]], stream_records: Sequence[tuple[str, str]],
                  answers: Mapping[str, int], applied: Mapping[str, Sequence[str]],
                  store: Sequence[Mapping[str, str]], projections: Projection, failed_calls: int) -> list[Check]:
    """Every live-mode check, in report order. ``inserted``: the Lambda-format records a consumer was delivered;
    ``stream_records``: (key, eventName) of every record read; ``answers``: ``"<kind> <status>"`` -> attempts."""
    accepted = sum(n for k, n in answers.items() if k.endswith(" 201"))
    changes = sum(1 for _, name in stream_records if name in ("INSERT", "MODIFY"))
    accounted = writes_accounted(accepted, changes, failed_calls)
    checks = [no_modify(stream_records), duplicates_refused(answers), validation_answers(answers)]
    try:
        plan = plan_from_stream(inserted)
    except ValueError as e:
        broken = Check(name="stream_is_an_ingestion_plan", passed=False, expected="each key inserted once",
                       actual="broken", detail=str(e))
        return [with_cause(c) for c in checks] + [broken, accounted]
    checks += [consumed_exactly_once(plan, applied), replay_equality(plan, store, projections),
               projection_matches_reference(plan, projections)]
    return [with_cause(c) for c in checks] + [accounted]


__all__ = ["duplicates_refused", "evaluate_live", "plan_from_stream", "validation_answers"]
