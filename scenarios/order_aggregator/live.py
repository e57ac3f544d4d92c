"""The order pipeline's oracles in live mode: Locust's users write orders while the pipeline runs.

The harness does not make the writes, so the ground truth is rebuilt from the stream: every stream
record the aggregator was delivered is one write the Events table applied (order, check, status,
and ``sent_at``, when its writer sent it), in the stream's order. That list is an order plan like the
generator's, and the plan's invariant (no FAILED once both checks PASSED) holds for each load order,
so the scenario's own oracles stay exact whatever the interleaving: one invoice per order whose
checks both end PASSED, aggregated details that are states the order had and end with its final one,
no invoice before both checks PASSED (judged on the writers' send times), rejections, every record
processed, the read bound. Two checks tie that ground truth to what the writers and the table say,
so a record lost between them cannot hide: every accepted write is one stream record
(``writes_accounted``), and the table after the final drain holds exactly the stream's final statuses.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from harness.oracles.accounting import writes_accounted
from harness.oracles.checks import Check, check_equal
from streamharness.scenarios.order_aggregator.generator import Order, OrderPlan, Write
from streamharness.scenarios.order_aggregator.oracles import (aggregated_detail_matches, aggregated_event_count,
                                                              cost_bound, no_invoice_before_both_checks,
                                                              one_invoice_per_eligible_order, records_handled,
                                                              rejections)


class StreamWrite(NamedTuple):
    """One applied write, as its stream record tells it."""

    order_id: str
    event_name: str
    status: str
    sent_at: float | None


def stream_writes(records: Iterable[Mapping[str, Any]]) -> list[StreamWrite]:
    """The writes behind Lambda-format stream records (a retried batch repeats them: kept once), in
    sequence-number order; REMOVE records are no write of a source and are left out."""
    seen: dict[str, Mapping[str, Any]] = {}
    for r in records:
        seen.setdefault(r["eventID"], r)
    out = []
    for r in sorted(seen.values(), key=lambda r: int(r["dynamodb"]["SequenceNumber"])):
        if r.get("eventName") == "REMOVE":
            continue
        image = r["dynamodb"].get("NewImage", {})
        sent = image.get("sent_at", {}).get("N")
        out.append(StreamWrite(image["order_id"]["S"], image["event_name"]["S"], image.get("status", {}).get("S", ""),
                               None if sent is None else float(sent)))
    return out


def plan_from_stream(writes: Sequence[StreamWrite]) -> OrderPlan:
    """The writes as an order plan (stream order; ValueError when they break the plan's contract)."""
    orders = tuple(Order(oid, "", "", "", ()) for oid in dict.fromkeys(w.order_id for w in writes))
    previous: dict[tuple[str, str], str] = {}
    planned = []
    for seq, w in enumerate(writes):
        prev = previous.get((w.order_id, w.event_name))
        previous[(w.order_id, w.event_name)] = w.status
        kind = "first" if prev is None else ("duplicate" if prev == w.status else "recheck")
        planned.append(Write(seq, w.order_id, w.event_name, w.status, float(seq), kind))
    return OrderPlan(seed=0, orders=orders, writes=tuple(planned), params={"source": "stream"})


def table_matches_stream(plan: OrderPlan, items: Mapping[tuple[str, str], str]) -> Check:
    """The Events table after the final drain holds one item per (order, check) the stream wrote, with its
    last status: a write applied but never read from the stream would show here."""
    expected = {(oid, check): status for oid, t in plan.truth.items() for check, status in t.final.items()}
    missing = sorted(expected.keys() - items.keys())
    extra = sorted(items.keys() - expected.keys())
    differ = sorted(k for k in expected.keys() & items.keys() if expected[k] != items[k])
    return check_equal(
        "table_matches_stream", {"missing": 0, "not_in_stream": 0, "other_status": 0},
        {"missing": len(missing), "not_in_stream": len(extra), "other_status": len(differ)},
        detail=f"{len(items)} items in the table, {len(expected)} (order, check) items written per the stream",
        examples=[{"item": list(k), "problem": "in the stream, not in the table"} for k in missing[:3]]
        + [{"item": list(k), "problem": "in the table, never in the stream", "status": items[k]} for k in extra[:3]]
        + [{"item": list(k), "table": items[k], "stream": expected[k]} for k in differ[:3]])


def evaluate_live(writes: Sequence[StreamWrite], *, invoices: Sequence[str], invoice_times: Iterable[tuple[str, float]],
                  aggregated_events: Sequence[Mapping[str, Any]], rejected: Iterable[str] | None,
                  records_delivered: Sequence[str], records_processed: Sequence[str],
                  api_calls: Iterable[Mapping[str, Any]], table_items: Mapping[tuple[str, str], str],
                  change_records: int, writes_ok: int, writes_failed: int) -> list[Check]:
    """Every live-mode check, in report order. ``change_records``: INSERT + MODIFY records the stream reader
    read; ``writes_ok`` / ``writes_failed``: UpdateItem calls the writers saw accepted / fail."""
    accounted = writes_accounted(writes_ok, change_records, writes_failed)
    try:
        plan = plan_from_stream(writes)
    except ValueError as e:
        return [Check(name="stream_is_an_order_plan", passed=False, expected="writes that keep the plan's contract",
                      actual="broken", detail=str(e)), accounted]
    unsent = [w for w in writes if w.sent_at is None]
    timed = [(w.order_id, w.event_name, w.status, w.sent_at) for w in writes if w.sent_at is not None]
    checks = [
        one_invoice_per_eligible_order(plan, invoices),
        aggregated_detail_matches(plan, aggregated_events),
        no_invoice_before_both_checks(timed, invoice_times),
        records_handled(records_delivered, records_processed),
        cost_bound(api_calls, records_processed),
    ]
    if unsent:
        checks.append(Check(name="writes_carry_sent_at", passed=False, expected=0, actual=len(unsent),
                            detail="stream records without sent_at: the writes' times are unknown"))
    if rejected is not None:
        checks.append(rejections(plan, rejected))
    return checks + [table_matches_stream(plan, table_items), accounted, aggregated_event_count(aggregated_events)]


__all__ = ["StreamWrite", "evaluate_live", "plan_from_stream", "stream_writes", "table_matches_stream"]
