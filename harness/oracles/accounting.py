"""The accounting identity as a check: nothing a pipeline was given went missing.

Per event source mapping, seen == succeeded + filtered + given_up + dropped; per EventBridge rule target,
accepted == delivered + dead-lettered + dropped (no DLQ). ``drain()`` refuses to call a pipeline quiet
when either fails; this check puts the numbers in every report, passing or not.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.oracles.checks import Check

NAME = "accounting"
CAUSES = ("the run ended before drain() returned: records or deliveries were still in flight",
          "a runtime thread died (e.g. a handler called sys.exit), so its record was neither handled nor given up")


def imbalances(mapping_stats: Mapping[str, Mapping[str, int]],
               target_stats: Mapping[str, Mapping[str, int]] | None = None) -> list[str]:
    """One line per mapping or rule target whose identity does not hold."""
    out = []
    for name, s in mapping_stats.items():
        settled = s["succeeded"] + s["filtered"] + s["given_up"] + s["dropped"]
        if s["seen"] != settled:
            out.append(f"mapping {name}: seen {s['seen']} != succeeded {s['succeeded']} + filtered {s['filtered']} "
                       f"+ given_up {s['given_up']} + dropped {s['dropped']}")
    for name, t in (target_stats or {}).items():
        settled = t["succeeded"] + t["dead_lettered"] + t["dropped"]
        if t["accepted"] != settled:
            out.append(f"target {name}: accepted {t['accepted']} != delivered {t['succeeded']} + dead-lettered "
                       f"{t['dead_lettered']} + dropped {t['dropped']}")
    return out


def accounting_check(mapping_stats: Mapping[str, Mapping[str, int]],
                     target_stats: Mapping[str, Mapping[str, int]] | None = None) -> Check:
    """Expected: nothing in flight anywhere; actual: each mapping's and target's numbers."""
    actual: dict[str, Any] = {}
    for name, s in mapping_stats.items():
        actual[f"mapping {name}"] = {k: s[k] for k in ("seen", "succeeded", "filtered", "given_up", "dropped")}
    for name, t in (target_stats or {}).items():
        actual[f"target {name}"] = {"accepted": t["accepted"], "delivered": t["succeeded"],
                                    "dead_lettered": t["dead_lettered"], "dropped": t["dropped"]}
    wrong = imbalances(mapping_stats, target_stats)
    return Check(name=NAME, passed=not wrong, expected="seen == succeeded + filtered + given_up + dropped per "
                 "mapping; accepted == delivered + dead_lettered + dropped per rule target", actual=actual,
                 detail="; ".join(wrong) or f"{len(mapping_stats)} mappings and {len(target_stats or {})} rule "
                 "targets balance", examples=wrong)


def writes_accounted(writes_ok: int, change_records: int, failed_writes: int) -> Check:
    """Under load, nothing lost between the writers and the stream: each accepted write changes its item (the
    writers skip writes that would not), so it is exactly one stream record of the records the writes make
    (INSERT/MODIFY for puts and updates, REMOVE for deletes); a failed call may or may not have been applied,
    so failures widen the range by their number."""
    passed = writes_ok <= change_records <= writes_ok + failed_writes
    return Check(name="writes_accounted", passed=passed,
                 expected=writes_ok if not failed_writes else f"{writes_ok}..{writes_ok + failed_writes}",
                 actual=change_records, detail="stream records of the writes vs write calls accepted")


__all__ = ["CAUSES", "NAME", "accounting_check", "imbalances", "writes_accounted"]
