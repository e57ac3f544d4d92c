"""The table-to-bus oracles in live mode: Locust's users write the single table while the pipeline runs.

The harness does not make the writes, so the ground truth is rebuilt from what the pipeline received:
every stream record the processor's mapping read is one item change, with its eventName, and must be
exactly one bus event whose detail-type is that eventName. Each rule's target must receive exactly
what the deployed pattern selects of the bus events, judged by the harness's own matcher. The FIFO
consumer's per-customer member counts must equal the members the table holds after the final drain.
``writes_accounted`` ties the stream to what the writers saw: every PutItem/DeleteItem accepted is one
stream record (the writers make only writes that change their item).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.oracles.accounting import writes_accounted
from harness.oracles.checks import Check, check_equal
from streamharness.scenarios.table_to_bus.contract import customer_of, is_member
from streamharness.scenarios.table_to_bus.generator import TablePlan
from streamharness.scenarios.table_to_bus.oracles import (fifo_counts_equal_truth, rule_targets_receive_selected,
                                                          stream_to_bus_accounting, table_events)


def one_bus_event_per_record(records: Mapping[str, str], bus_events: Sequence[Mapping[str, Any]]) -> Check:
    """Each stream record read (sequence number -> eventName) is on the bus exactly once, with detail-type =
    its eventName; no table event names a record that was never read."""
    got: dict[str, list[str | None]] = {}
    for e in table_events(bus_events):
        seq = ((e.get("detail") or {}).get("dynamodb") or {}).get("SequenceNumber")
        got.setdefault(str(seq), []).append(e.get("detail-type"))
    missing = sorted(s for s in records if s not in got)
    duplicated = sorted(s for s, types in got.items() if s in records and len(types) > 1)
    wrong = sorted(s for s, types in got.items() if s in records and any(t != records[s] for t in types))
    unexpected = sorted(s for s in got if s not in records)
    return check_equal(
        "one_bus_event_per_change", {"events": len(records), "missing": 0, "duplicated": 0,
                                     "wrong_detail_type": 0, "unexpected": 0},
        {"events": sum(len(v) for s, v in got.items() if s in records), "missing": len(missing),
         "duplicated": len(duplicated), "wrong_detail_type": len(wrong), "unexpected": len(unexpected)},
        detail=f"{len(records)} stream records read by the processor's mapping, "
               f"{sum(map(len, got.values()))} table events on the bus",
        examples=[{"sequence_number": s, "problem": "read, never on the bus"} for s in missing[:3]]
        + [{"sequence_number": s, "problem": "on the bus more than once", "events": len(got[s])} for s in duplicated[:3]]
        + [{"sequence_number": s, "eventName": records[s], "detail-types": got[s]} for s in wrong[:3]]
        + [{"sequence_number": s, "problem": "on the bus, never read from the stream"} for s in unexpected[:3]])


def members_per_customer(keys: Iterable[tuple[str, str]]) -> dict[str, int]:
    """The member items (``OID#``/``UID#``) per customer among the table's item keys."""
    return dict(Counter(customer_of(pk) for pk, sk in keys if is_member(pk, sk)))


def evaluate_live(*, records: Mapping[str, str], bus_events: Sequence[Mapping[str, Any]],
                  outcomes: Mapping[str, Sequence[Mapping[str, Any]]], entries: Mapping[str, Sequence[Mapping[str, Any]]],
                  patterns: Mapping[str, str], deliveries: Iterable[Mapping[str, Any]], counts: Mapping[str, int],
                  messages_left: int, table_keys: Iterable[tuple[str, str]], writes_ok: int,
                  writes_failed: int) -> list[Check]:
    """Every live-mode check, in report order. ``records``: sequence number -> eventName of every stream record
    the processor's mapping read; ``table_keys``: the items table's keys after the final drain."""
    truth = TablePlan(seed=0, phases=(), members=members_per_customer(table_keys))
    return [
        one_bus_event_per_record(records, bus_events),
        stream_to_bus_accounting(list(records), bus_events, outcomes, entries),
        rule_targets_receive_selected(patterns, bus_events, deliveries),
        fifo_counts_equal_truth(truth, counts, messages_left),
        writes_accounted(writes_ok, len(records), writes_failed),
    ]


__all__ = ["evaluate_live", "members_per_customer", "one_bus_event_per_record"]
