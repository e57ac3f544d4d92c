"""Live-mode oracles of ip-dedup (writes while the detector runs): fed hand-written right and wrong answers."""
from __future__ import annotations

from typing import Any

from streamharness.scenarios.ip_dedup.generator import generate_flood
from streamharness.scenarios.ip_dedup.oracles import evaluate_live

FLOOD = generate_flood(200, 200, 1, seed=5, dangerous_fraction=0.2)
DANGER = sorted(FLOOD.dangerous_seen())[0]
CLEAN = sorted(FLOOD.clean_seen())[0]
# DANGER: written 3 times, deleted after its INSERT was checked, written again; CLEAN: written once, deleted
RECORDS = [(DANGER, "INSERT"), (DANGER, "MODIFY"), (DANGER, "REMOVE"), (DANGER, "INSERT"), (DANGER, "REMOVE"),
           (CLEAN, "INSERT"), (CLEAN, "REMOVE")]
GOOD: dict[str, Any] = dict(delivered_event_names={"INSERT": 3}, checked_ips=[DANGER, DANGER, CLEAN], records=RECORDS,
                            alerted_ips=[DANGER, DANGER], item_count=0, writes_ok=4)


def _failed(**changes: Any) -> list[str]:
    return [c.name for c in evaluate_live(FLOOD, **{**GOOD, **changes}) if not c.passed]


def test_a_right_live_run_passes() -> None:
    assert _failed() == []


def test_each_wrong_answer_fails_its_own_check() -> None:
    assert _failed(writes_ok=5) == ["writes_accounted"]  # a write the stream never saw
    assert _failed(writes_ok=3, writes_failed=1) == []  # a failed call may have been applied
    assert _failed(alerted_ips=[DANGER, CLEAN]) == ["alerts"]
    assert _failed(alerted_ips=[]) == ["alerts"]
    assert _failed(checked_ips=[DANGER, CLEAN]) == ["per_ip_alternation"]
    assert _failed(item_count=1) == ["table_empty"]
    assert _failed(delivered_event_names={"INSERT": 3, "MODIFY": 1}) == ["insert_only"]
