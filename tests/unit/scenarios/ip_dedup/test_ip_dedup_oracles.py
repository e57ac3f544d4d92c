"""Each oracle passes on what a correct pipeline observes and fails on a realistic wrong run."""
from __future__ import annotations

import pytest

from streamharness.scenarios.ip_dedup.blocklist import Blocklist
from streamharness.scenarios.ip_dedup.generator import EPOCH, Flood, Packet, generate_flood
from streamharness.scenarios.ip_dedup.oracles import (alerts_exact, dedup_count, evaluate, insert_only, per_ip_alternation,
                                        table_empty)
from streamharness.scenarios.ip_dedup.reference import simulate

A, B, C, D = "1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"


def _flood(*slots: str) -> Flood:
    """Slots as strings of IP letters, e.g. ``"AAB", "A"``; B is listed, C sits in a listed /24."""
    ips = {"A": A, "B": B, "C": C, "D": D}
    built = tuple(tuple(Packet(ips[ch], s, EPOCH + s, "10.20.0.1", 50000, 443, "TCP", 60, "A", 60) for ch in slot)
                  for s, slot in enumerate(slots))
    return Flood(seed=0, slots=built, population=(A, B, C, D),
                 blocklist=Blocklist.of(networks=["3.3.3.0/24", "77.0.0.0/16"], addresses=[B, "9.9.9.9"]))


FLOOD = _flood("AABAC", "AA", "BD")  # expected checks: 3 + 1 + 2 = 6


def test_reference_model_produces_the_expected_stream() -> None:
    obs = simulate(FLOOD)
    assert obs.records == (
        (A, "INSERT"), (A, "MODIFY"), (B, "INSERT"), (A, "MODIFY"), (C, "INSERT"),
        (A, "REMOVE"), (B, "REMOVE"), (C, "REMOVE"),
        (A, "INSERT"), (A, "MODIFY"), (A, "REMOVE"),
        (B, "INSERT"), (D, "INSERT"), (B, "REMOVE"), (D, "REMOVE"),
    )
    assert obs.checked_ips == (A, B, C, A, B, D)
    assert obs.alerted_ips == (B, C, B)
    assert obs.delivered_event_names == {"INSERT": 6} and obs.item_count == 0


def test_correct_run_passes_everything() -> None:
    checks = evaluate(FLOOD, **simulate(FLOOD).as_kwargs())
    assert [c.name for c in checks] == ["insert_only", "dedup_count", "per_ip_alternation", "alerts", "table_empty"]
    assert all(c.passed for c in checks), [c.to_dict() for c in checks if not c.passed]


def test_detector_that_forgot_the_delete() -> None:
    obs = simulate(FLOOD, delete=False)
    assert [e for ip, e in obs.records if ip == A] == ["INSERT", "MODIFY", "MODIFY", "MODIFY", "MODIFY"]
    verdicts = {c.name: c for c in evaluate(FLOOD, **obs.as_kwargs())}
    assert verdicts["dedup_count"].passed is False
    assert (verdicts["dedup_count"].expected, verdicts["dedup_count"].actual) == (6, 4)
    assert {"ip": A, "expected": 2, "actual": 1} in verdicts["dedup_count"].examples
    assert verdicts["per_ip_alternation"].passed is False
    assert verdicts["per_ip_alternation"].actual["inserts_not_equal_slots_seen"] == 2  # A and B
    assert verdicts["table_empty"].passed is False and verdicts["table_empty"].actual == 4
    assert verdicts["insert_only"].passed and verdicts["alerts"].passed


def test_alternation_grammar_alone_cannot_see_a_missing_delete() -> None:
    # Documented limit: without the flood, INSERT MODIFY* is a legal open ending.
    obs = simulate(FLOOD, delete=False)
    assert per_ip_alternation(obs.records, obs.checked_ips).passed


def test_insert_only() -> None:
    assert insert_only({"INSERT": 10}).passed
    assert insert_only({}).passed
    leaked = insert_only({"INSERT": 6, "MODIFY": 5, "REMOVE": 6})  # FilterCriteria missing
    assert not leaked.passed
    assert leaked.expected == {"MODIFY": 0, "REMOVE": 0} and leaked.actual == {"MODIFY": 5, "REMOVE": 6}
    assert {"event_name": "MODIFY", "count": 5} in leaked.examples
    assert not insert_only({"INSERT": 1, "REMOVE": 1}).passed


def test_dedup_count_fails_when_every_packet_is_checked() -> None:
    per_packet = [p.ip for p in FLOOD.iter_packets()]  # no dedup at all
    check = dedup_count(FLOOD, per_packet)
    assert not check.passed and (check.expected, check.actual) == (6, 9)


def test_dedup_count_fails_on_retried_batch() -> None:
    obs = simulate(FLOOD)
    check = dedup_count(FLOOD, obs.checked_ips + (B,))  # a batch retry re-checked B
    assert not check.passed and check.examples == [{"ip": B, "expected": 2, "actual": 3}]


def test_dedup_count_catches_compensating_errors_in_examples() -> None:
    # Right total, wrong IPs: the total passes, the per-IP examples still point at the problem.
    check = dedup_count(FLOOD, [A, A, A, B, B, D])
    assert check.passed
    assert check.examples == [{"ip": A, "expected": 2, "actual": 3}, {"ip": C, "expected": 1, "actual": 0}]


@pytest.mark.parametrize(("events", "problem"), [
    (["INSERT", "INSERT"], "INSERT while present"),
    (["MODIFY"], "MODIFY while absent"),
    (["REMOVE"], "REMOVE while absent"),
    (["INSERT", "REMOVE", "REMOVE"], "REMOVE while absent"),
    (["INSERT", "REMOVE", "MODIFY"], "MODIFY while absent"),
    (["INSERT", "UPSERT"], "UPSERT while present"),
])
def test_alternation_rejects_bad_sequences(events: list[str], problem: str) -> None:
    checks = [A] * events.count("INSERT")
    check = per_ip_alternation([(A, e) for e in events] + [(B, "INSERT"), (B, "REMOVE")], checks + [B])
    assert not check.passed
    assert check.actual["bad_sequences"] == 1
    assert check.examples[0]["ip"] == A and check.examples[0]["problem"] == problem


@pytest.mark.parametrize("events", [
    [], ["INSERT"], ["INSERT", "MODIFY", "MODIFY"], ["INSERT", "REMOVE"],
    ["INSERT", "MODIFY", "REMOVE", "INSERT", "REMOVE", "INSERT", "MODIFY"],
])
def test_alternation_accepts_legal_sequences(events: list[str]) -> None:
    assert per_ip_alternation([(A, e) for e in events], [A] * events.count("INSERT")).passed


def test_alternation_fails_when_checks_do_not_match_inserts() -> None:
    records = [(A, "INSERT"), (A, "REMOVE"), (A, "INSERT"), (A, "REMOVE")]
    once = per_ip_alternation(records, [A])  # second INSERT never checked (batch dropped)
    assert not once.passed and once.examples[0]["inserts"] == 2 and once.examples[0]["checks"] == 1
    ghost = per_ip_alternation(records, [A, A, D])  # D was checked but never inserted
    assert not ghost.passed and ghost.examples[0]["ip"] == D


def test_alternation_interleaved_ips_are_judged_separately() -> None:
    records = [(A, "INSERT"), (B, "INSERT"), (A, "MODIFY"), (B, "REMOVE"), (A, "REMOVE"), (B, "INSERT")]
    assert per_ip_alternation(records, [B, A, B]).passed


def test_alerts_missing_when_detector_ignores_cidrs() -> None:
    obs = simulate(FLOOD)
    singles_only = [ip for ip in obs.checked_ips if ip in {str(a) for a in FLOOD.blocklist.addresses}]
    check = alerts_exact(FLOOD, singles_only)
    assert not check.passed
    assert check.expected == [B, C] and check.actual == [B]
    assert check.examples == [{"missing": C}]


def test_alerts_spurious_and_duplicates() -> None:
    assert alerts_exact(FLOOD, [B, C, B, C, B]).passed  # once per slot is fine
    check = alerts_exact(FLOOD, [B, C, A])
    assert not check.passed and check.examples == [{"spurious": A}]
    assert not alerts_exact(FLOOD, []).passed


def test_alerts_for_listed_ip_that_never_appeared_is_spurious() -> None:
    check = alerts_exact(FLOOD, [B, C, "9.9.9.9"])
    assert not check.passed and check.examples == [{"spurious": "9.9.9.9"}]


def test_table_empty() -> None:
    assert table_empty(0).passed
    check = table_empty(3)
    assert not check.passed and (check.expected, check.actual) == (0, 3)


def test_generated_flood_wrong_runs_fail_at_scale() -> None:
    flood = generate_flood(5000, 400, 5, seed=7, bursts=3, burst_size=40)
    good = evaluate(flood, **simulate(flood).as_kwargs())
    assert all(c.passed for c in good)
    bad = {c.name: c.passed for c in evaluate(flood, **simulate(flood, delete=False).as_kwargs())}
    assert bad == {"insert_only": True, "dedup_count": False, "per_ip_alternation": False,
                   "alerts": True, "table_empty": False}


def test_checks_serialise() -> None:
    import json
    for check in evaluate(FLOOD, **simulate(FLOOD, delete=False).as_kwargs()):
        json.dumps(check.to_dict())
