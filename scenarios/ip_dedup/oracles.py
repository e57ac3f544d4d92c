"""Pure verdicts on what the pipeline did, judged against the flood's own ground truth.

Each oracle takes plain data (counts, IP lists, ``(ip, eventName)`` pairs) so the harness can feed
it from any backend, and a unit test can feed it a hand-written wrong answer.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from harness.oracles.accounting import writes_accounted
from harness.oracles.checks import Check, check_equal
from streamharness.scenarios.ip_dedup.generator import Flood

GRAMMAR = "INSERT MODIFY* REMOVE (INSERT MODIFY* REMOVE)* [INSERT MODIFY*]"
_LETTER = {"INSERT": "I", "MODIFY": "M", "REMOVE": "R"}
# state -> event -> next state; "absent" = no item for the IP, "present" = item exists.
_NEXT = {"absent": {"INSERT": "present"}, "present": {"MODIFY": "present", "REMOVE": "absent"}}


def insert_only(delivered_event_names: Mapping[str, int]) -> Check:
    """A MODIFY reaching the detector means FilterCriteria leaked: every packet would be re-checked."""
    actual = {name: int(delivered_event_names.get(name, 0)) for name in ("MODIFY", "REMOVE")}
    return check_equal(
        "insert_only", {"MODIFY": 0, "REMOVE": 0}, actual,
        detail=f"detector received {int(delivered_event_names.get('INSERT', 0))} INSERT records",
        examples=[{"event_name": k, "count": v} for k, v in actual.items() if v])


def dedup_count(flood: Flood, checked_ips: Sequence[str]) -> Check:
    """The whole point of the scenario: one check per IP per slot, not one per packet."""
    expected_per_ip = flood.expected_checks_per_ip()
    actual_per_ip = Counter(checked_ips)
    off = [{"ip": ip, "expected": expected_per_ip.get(ip, 0), "actual": actual_per_ip.get(ip, 0)}
           for ip in sorted(expected_per_ip.keys() | actual_per_ip.keys())
           if expected_per_ip.get(ip, 0) != actual_per_ip.get(ip, 0)]
    return check_equal(
        "dedup_count", flood.expected_checks(), len(checked_ips),
        detail=f"{flood.packets} packets, {len(flood.slots)} slots, {len(off)} IPs with the wrong check count",
        examples=off)


def _letters(events: Sequence[str], limit: int = 24) -> str:
    text = "".join(_LETTER.get(e, "?") for e in events[:limit])
    return text + ("..." if len(events) > limit else "")


def per_ip_alternation(records: Sequence[tuple[str, str]], checked_ips: Sequence[str],
                       flood: Flood | None = None) -> Check:
    """Per IP the stream must read INSERT MODIFY* REMOVE ..., and each INSERT must cost one check.

    The grammar alone accepts a detector that never deletes (INSERT MODIFY MODIFY ...), so given the
    flood it also requires one INSERT per slot the IP appeared in.
    """
    events: dict[str, list[str]] = {}
    for ip, name in records:
        events.setdefault(ip, []).append(name)
    checks = Counter(checked_ips)
    expected_inserts = flood.expected_checks_per_ip() if flood is not None else {}

    bad_grammar: list[dict[str, Any]] = []
    bad_checks: list[dict[str, Any]] = []
    bad_inserts: list[dict[str, Any]] = []
    for ip in sorted(events.keys() | checks.keys() | expected_inserts.keys()):
        seq = events.get(ip, [])
        state = "absent"
        for at, name in enumerate(seq):
            nxt = _NEXT[state].get(name)
            if nxt is None:
                bad_grammar.append({"ip": ip, "problem": f"{name} while {state}", "at": at, "sequence": _letters(seq)})
                break
            state = nxt
        inserts = seq.count("INSERT")
        if inserts != checks.get(ip, 0):
            bad_checks.append({"ip": ip, "problem": "checks != inserts", "inserts": inserts,
                               "checks": checks.get(ip, 0), "sequence": _letters(seq)})
        if flood is not None and inserts != expected_inserts.get(ip, 0):
            bad_inserts.append({"ip": ip, "problem": "inserts != slots seen", "inserts": inserts,
                                "slots_seen": expected_inserts.get(ip, 0), "sequence": _letters(seq)})

    expected = {"bad_sequences": 0, "checks_not_equal_inserts": 0}
    actual = {"bad_sequences": len(bad_grammar), "checks_not_equal_inserts": len(bad_checks)}
    if flood is not None:
        expected["inserts_not_equal_slots_seen"] = 0
        actual["inserts_not_equal_slots_seen"] = len(bad_inserts)
    return check_equal("per_ip_alternation", expected, actual,
                       detail=f"{len(events)} IPs in {len(records)} stream records; grammar {GRAMMAR}",
                       examples=bad_grammar[:4] + bad_checks[:3] + bad_inserts[:3])


def alerts_exact(flood: Flood, alerted_ips: Sequence[str]) -> Check:
    """Set semantics: a dangerous IP seen in several slots may alert once per slot."""
    expected = flood.dangerous_seen()
    actual = frozenset(alerted_ips)
    missing, spurious = sorted(expected - actual), sorted(actual - expected)
    return check_equal(
        "alerts", sorted(expected), sorted(actual),
        detail=f"{len(missing)} missing, {len(spurious)} spurious, {len(alerted_ips)} alerts raised",
        examples=[{"missing": ip} for ip in missing[:5]] + [{"spurious": ip} for ip in spurious[:5]])


def table_empty(item_count: int) -> Check:
    """Anything left is an IP the detector never deleted, so its next packet would not be re-checked."""
    return check_equal("table_empty", 0, item_count, detail="items left in the table after the final drain")


def evaluate(flood: Flood, *, delivered_event_names: Mapping[str, int], checked_ips: Sequence[str],
             records: Sequence[tuple[str, str]], alerted_ips: Sequence[str], item_count: int) -> list[Check]:
    return [
        insert_only(delivered_event_names),
        dedup_count(flood, checked_ips),
        per_ip_alternation(records, checked_ips, flood),
        alerts_exact(flood, alerted_ips),
        table_empty(item_count),
    ]


def alerts_for_dangerous(plan: Flood, inserted_ips: set[str], alerted_ips: Sequence[str]) -> Check:
    """Every dangerous IP that was inserted alerts (at least once), no clean IP ever does."""
    expected = sorted(ip for ip in inserted_ips if plan.blocklist.is_dangerous_ip(ip))
    actual = sorted(set(alerted_ips))
    missing, spurious = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
    return check_equal("alerts", expected, actual,
                       detail=f"{len(missing)} missing, {len(spurious)} spurious, {len(alerted_ips)} alerts raised",
                       examples=[{"missing": ip} for ip in missing[:5]] + [{"spurious": ip} for ip in spurious[:5]])


def evaluate_live(flood: Flood, *, delivered_event_names: Mapping[str, int], checked_ips: Sequence[str],
                  records: Sequence[tuple[str, str]], alerted_ips: Sequence[str], item_count: int, writes_ok: int,
                  writes_failed: int = 0) -> list[Check]:
    """Live mode (writes while the detector runs, no slots): the checks that stay exact whatever the
    interleaving; ``flood`` gives the blocklist only."""
    inserted = {ip for ip, name in records if name == "INSERT"}
    changes = sum(1 for _, name in records if name != "REMOVE")
    return [
        insert_only(delivered_event_names),
        per_ip_alternation(records, checked_ips),
        alerts_for_dangerous(flood, inserted, alerted_ips),
        table_empty(item_count),
        writes_accounted(writes_ok, changes, writes_failed),
    ]
