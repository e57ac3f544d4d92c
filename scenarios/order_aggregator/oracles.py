"""Pure verdicts on what the order pipeline did, judged against the plan's own ground truth.

Every oracle takes plain data, so a run on any backend can feed it and a unit test can hand it a
wrong answer. The shapes:

- an **invoice** is an order id, or a mapping with ``"order_id"`` (one per invoice *created*: the
  invoice function's ``invoice_created`` log lines, not a Scan of the Invoices table, where an
  overwriting PutItem would hide the duplicate);
- an **aggregated event** is a mapping with ``"detail"`` -- the ``Detail`` string as sent to
  PutEvents, or the ``detail`` object of a delivered envelope -- and optionally ``"detail_type"``
  (events of another detail type are ignored), ``"after_write"`` (how many of the plan's writes
  had completed when it was sent; see :func:`after_write_from_times`) and ``"accepted"`` (False
  when PutEvents failed the entry: it is still judged, but it never reached the bus). PutEvents
  entry spellings (``Detail``, ``DetailType``) and envelope ones (``detail-type``) are accepted too;
- an **API call** is a mapping like ``{"service": "dynamodb", "operation": "Scan", "table": ...,
  "items_read": n, "request_id": ...}``, ``items_read`` being what the call read and paid for
  (ScannedCount for Scan and Query, items returned for GetItem / BatchGetItem);
- **stream records** are counted, or identified by eventID / sequence number.
"""
from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.oracles.checks import Check, check_equal
from streamharness.scenarios.order_aggregator.contract import (CHECKS, DETAIL_TYPE, MAX_ITEMS_READ_PER_RECORD, PASSED,
                                                 parse_detail)
from streamharness.scenarios.order_aggregator.generator import OrderPlan

Invoice = str | Mapping[str, Any]
Records = int | Sequence[str]
_READ_KEYS = ("items_read", "scanned_count", "ScannedCount", "count", "Count")


def _get(event: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if name in event:
            return event[name]
    return default


def _detail_type(event: Mapping[str, Any]) -> str | None:
    return _get(event, "detail_type", "detail-type", "DetailType")


def _is_aggregated(event: Mapping[str, Any]) -> bool:
    dt = _detail_type(event)
    return dt is None or dt == DETAIL_TYPE


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def after_write_from_times(write_times: Sequence[float], t: float) -> int:
    """How many writes had completed by ``t``, given each write's completion time (any order)."""
    return bisect.bisect_right(sorted(write_times), t)


# ----- invoices ---------------------------------------------------------------------------------

def one_invoice_per_eligible_order(plan: OrderPlan, invoices: Iterable[Invoice]) -> Check:
    """Exactly one invoice per order whose two checks both (finally) PASSED; none for an order missing a
    check or with a FAILED one. Invoices are counted, so a duplicate aggregated event that produced a
    second invoice fails the check even though the Invoices table holds one item per order."""
    counts = Counter(i if isinstance(i, str) else i["order_id"] for i in invoices)
    eligible = plan.eligible_orders()
    problems: dict[str, list[dict[str, Any]]] = {"missing": [], "duplicated": [], "spurious": []}
    for oid in sorted(eligible | counts.keys(), key=lambda o: (plan.order_index.get(o, len(plan.orders)), o)):
        n = counts.get(oid, 0)
        truth = plan.truth.get(oid)
        reason = truth.reason if truth is not None else "not an order of the plan"
        if oid in eligible and n == 0:
            problems["missing"].append({"order_id": oid, "problem": "missing", "invoices": 0, "reason": reason})
        elif oid in eligible and n > 1:
            problems["duplicated"].append({"order_id": oid, "problem": "duplicated", "invoices": n, "reason": reason})
        elif oid not in eligible:
            problems["spurious"].append({"order_id": oid, "problem": "spurious", "invoices": n, "reason": reason,
                                         "final": dict(truth.final) if truth else None})
    expected = {"invoices": len(eligible), "missing": 0, "duplicated": 0, "spurious": 0}
    actual = {"invoices": sum(counts.values()), **{k: len(v) for k, v in problems.items()}}
    return check_equal(
        "one_invoice_per_eligible_order", expected, actual,
        detail=f"{len(plan.orders)} orders, {len(eligible)} with both checks PASSED; "
               f"{len(counts)} orders invoiced",
        examples=problems["missing"][:4] + problems["duplicated"][:3] + problems["spurious"][:3])


def no_invoice_before_both_checks(plan_write_times: Iterable[Sequence[Any]],
                                  invoice_times: Iterable[tuple[str, float]], *, tolerance: float = 0.0) -> Check:
    """No invoice was created before both checks of its order had been written, nor (when the writes
    carry their status) while either check's latest status was not PASSED.

    ``plan_write_times``: ``(order_id, event_name, status, t)`` per write (``OrderPlan.timed_writes``),
    or ``(order_id, event_name, t)`` without status. ``invoice_times``: ``(order_id, t)`` per invoice
    created. ``tolerance`` absorbs clock differences between the clocks that took the two times.
    """
    per_order: dict[str, list[tuple[float, int, str, str | None]]] = {}
    for n, row in enumerate(plan_write_times):
        if len(row) == 4:
            oid, name, status, t = row
        elif len(row) == 3:
            (oid, name, t), status = row, None
        else:
            raise ValueError(f"write {n}: expected (order_id, event_name, status, t) or (order_id, event_name, t), "
                             f"got {row!r}")
        per_order.setdefault(oid, []).append((float(t), n, name, status))
    for rows in per_order.values():
        rows.sort()

    unwritten: list[dict[str, Any]] = []
    unpassed: list[dict[str, Any]] = []
    invoices = 0
    for oid, t in invoice_times:
        invoices += 1
        latest: dict[str, str | None] = {}
        for tw, _, name, status in per_order.get(oid, []):
            if tw > t + tolerance:
                break
            latest[name] = status
        missing = [c for c in CHECKS if c not in latest]
        if missing:
            unwritten.append({"order_id": oid, "invoice_t": t, "problem": "before both checks were written",
                              "missing": missing})
            continue
        not_passed = {c: s for c, s in latest.items() if c in CHECKS and s is not None and s != PASSED}
        if not_passed:
            unpassed.append({"order_id": oid, "invoice_t": t, "problem": "while a check was not PASSED",
                             "statuses": {c: latest[c] for c in CHECKS}})
    return check_equal(
        "no_invoice_before_both_checks", {"before_both_written": 0, "before_both_passed": 0},
        {"before_both_written": len(unwritten), "before_both_passed": len(unpassed)},
        detail=f"{invoices} invoices checked against {sum(map(len, per_order.values()))} timed writes"
               + (f" (tolerance {tolerance}s)" if tolerance else ""),
        examples=unwritten[:5] + unpassed[:5])


def rejections(plan: OrderPlan, rejected: Iterable[str]) -> Check:
    """Every order whose final status has a FAILED check was rejected at least once; no order that never
    had a FAILED write was. (An order FAILED then re-checked PASSED may or may not have been: timing.)"""
    got = set(rejected)
    must = plan.reject_orders()
    may = {oid for oid, t in plan.truth.items() if t.may_reject}
    missing = sorted(must - got, key=plan.order_index.__getitem__)
    spurious = sorted(got - may)
    return check_equal(
        "rejections", {"missing": 0, "spurious": 0}, {"missing": len(missing), "spurious": len(spurious)},
        detail=f"{len(must)} orders end with a FAILED check, {len(may)} ever had one; {len(got)} orders rejected",
        examples=[{"order_id": o, "problem": "not rejected", "final": plan.final_events(o)} for o in missing[:5]]
        + [{"order_id": o, "problem": "rejected without a FAILED check"} for o in spurious[:5]])


# ----- aggregated events ------------------------------------------------------------------------

def aggregated_detail_matches(plan: OrderPlan, aggregated_events: Sequence[Mapping[str, Any]]) -> Check:
    """Each aggregated event's detail is a JSON object ``{"order_id", "events": {check: status}}`` (a
    string such as ``'json.dumps(event_status)'`` is not), its events equal a state the order's items
    actually had by the time it was sent (``after_write``, when given), and the last accepted one per
    order equals the order's final events -- every order with a write must end up correctly aggregated.
    """
    invalid: list[dict[str, Any]] = []
    mismatched: list[dict[str, Any]] = []
    latest: dict[str, dict[str, str]] = {}
    judged = 0
    for i, event in enumerate(aggregated_events):
        if not _is_aggregated(event):
            continue
        judged += 1
        raw = _get(event, "detail", "Detail")
        detail, why = parse_detail(raw)
        if detail is None:
            invalid.append({"index": i, "problem": why, "detail": _short(raw)})
            continue
        oid, events = detail["order_id"], detail["events"]
        states = plan.states(oid)
        if not states:
            mismatched.append({"index": i, "order_id": oid, "problem": "no such order (or it has no writes)"})
            continue
        after = _get(event, "after_write")
        reachable = [s for k, s in states if after is None or k <= after]
        if events not in reachable:
            mismatched.append({"index": i, "order_id": oid, "problem": "events the order never had by then",
                               "events": events, "after_write": after, "states_by_then": reachable[-3:]})
            continue
        if _get(event, "accepted", default=True):
            latest[oid] = events
    not_final: list[dict[str, Any]] = []
    written = [oid for oid, truth in plan.truth.items() if truth.writes]
    for oid in written:
        final = plan.final_events(oid)
        if latest.get(oid) != final:
            not_final.append({"order_id": oid, "problem": "never aggregated" if oid not in latest else "stale",
                              "latest": latest.get(oid), "final": final})
    expected = {"invalid_details": 0, "mismatched": 0, "orders_not_final": 0}
    actual = {"invalid_details": len(invalid), "mismatched": len(mismatched), "orders_not_final": len(not_final)}
    return check_equal(
        "aggregated_detail_matches", expected, actual,
        detail=f"{judged} aggregated events judged; {len(written) - len(not_final)} of {len(written)} orders "
               "end with their final events",
        examples=invalid[:3] + mismatched[:4] + not_final[:3])


def aggregated_event_count(aggregated_events: Sequence[Mapping[str, Any]]) -> Check:
    """Informational: always passes; ``actual`` is the number of aggregated events sent."""
    by_type = Counter(_detail_type(e) or DETAIL_TYPE for e in aggregated_events)
    aggregated = [e for e in aggregated_events if _is_aggregated(e)]
    accepted = sum(1 for e in aggregated if _get(e, "accepted", default=True))
    orders = {d["order_id"] for d, _ in (parse_detail(_get(e, "detail", "Detail")) for e in aggregated) if d}
    return Check(
        name="aggregated_event_count", passed=True, expected=None, actual=len(aggregated),
        detail=f"informational: {len(aggregated)} aggregated events sent, {accepted} accepted by the bus, "
               f"for {len(orders)} orders",
        examples=[{"detail_type": k, "count": v} for k, v in sorted(by_type.items())])


# ----- the aggregator's own work ----------------------------------------------------------------

def _as_ids(records: Records) -> tuple[int, set[str] | None]:
    if isinstance(records, bool):
        raise TypeError("records must be a count or a sequence of record ids, not a bool")
    if isinstance(records, int):
        return records, None
    ids = set(records)
    return len(ids), ids


def records_handled(records_delivered: Records, records_processed: Records) -> Check:
    """Every stream record delivered to the aggregator was processed (a handler that reads only
    ``Records[0]`` of a batch leaves the rest unprocessed). Counts, or record ids (eventID or sequence
    number; a retried batch delivers the same ids again, so ids are compared as sets)."""
    n_delivered, delivered = _as_ids(records_delivered)
    n_processed, processed = _as_ids(records_processed)
    if delivered is None or processed is None:
        return check_equal("records_handled", {"processed": n_delivered}, {"processed": n_processed},
                           detail=f"{n_delivered} stream records delivered to the aggregator")
    unprocessed = sorted(delivered - processed)
    unknown = sorted(processed - delivered)
    return check_equal(
        "records_handled", {"processed": n_delivered, "unprocessed": 0, "unknown": 0},
        {"processed": len(delivered & processed), "unprocessed": len(unprocessed), "unknown": len(unknown)},
        detail=f"{n_delivered} distinct stream records delivered, {n_processed} reported processed",
        examples=[{"record": r, "problem": "delivered, never processed"} for r in unprocessed[:5]]
        + [{"record": r, "problem": "processed, never delivered"} for r in unknown[:5]])


def _items_read(call: Mapping[str, Any]) -> int:
    return int(_get(call, *_READ_KEYS, default=0) or 0)


def cost_bound(api_calls: Iterable[Mapping[str, Any]], records_processed: Records,
               max_items_read_per_record: float = MAX_ITEMS_READ_PER_RECORD, *, function: str | None = None,
               allow_scan: bool = False) -> Check:
    """DynamoDB items read stay within ``max_items_read_per_record`` per processed record, and (unless
    ``allow_scan``) no Scan: a Scan reads the whole table for every record, so the cost of a record
    grows with the table. ``function`` keeps only calls whose ``"function"`` is that name (calls that
    do not say are kept)."""
    if isinstance(max_items_read_per_record, bool) or not max_items_read_per_record >= 0:
        raise ValueError(f"max_items_read_per_record must be >= 0, got {max_items_read_per_record!r}")
    n, _ = _as_ids(records_processed)
    calls = [c for c in api_calls if c.get("service", "dynamodb") == "dynamodb"
             and (function is None or c.get("function", function) == function)]
    items = sum(_items_read(c) for c in calls)
    scans = sorted((c for c in calls if c.get("operation") == "Scan"), key=_items_read, reverse=True)
    bound = max_items_read_per_record * n
    passed = items <= bound and (allow_scan or not scans)
    by_op = Counter(c.get("operation", "?") for c in calls)
    worst = sorted(calls, key=_items_read, reverse=True)[:3]
    return Check(
        name="cost_bound", passed=passed,
        expected={"scans": "any" if allow_scan else 0, "max_items_read": bound},
        actual={"scans": len(scans), "items_read": items},
        detail=f"{items} items read by {len(calls)} DynamoDB calls for {n} processed records "
               f"({items / n if n else float(items):.2f} per record, bound {max_items_read_per_record}); "
               + ", ".join(f"{op} x{k}" for op, k in sorted(by_op.items())),
        examples=[{"problem": "Scan", "table": c.get("table"), "items_read": _items_read(c),
                   "request_id": c.get("request_id")} for c in scans[:3]]
        + [{"problem": "most items read", "operation": c.get("operation"), "table": c.get("table"),
            "items_read": _items_read(c), "request_id": c.get("request_id")} for c in worst if c not in scans[:3]])


def evaluate(plan: OrderPlan, *, invoices: Iterable[Invoice], aggregated_events: Sequence[Mapping[str, Any]],
             write_times: Sequence[float] | Sequence[Sequence[Any]], invoice_times: Iterable[tuple[str, float]],
             records_delivered: Records, records_processed: Records, api_calls: Iterable[Mapping[str, Any]],
             rejected: Iterable[str] | None = None, max_items_read_per_record: float = MAX_ITEMS_READ_PER_RECORD,
             cost_function: str | None = None, tolerance: float = 0.0) -> list[Check]:
    """Every check, in report order. ``write_times``: one completion time per plan write (plan order),
    or the ``(order_id, event_name, status, t)`` rows themselves. ``rejected``: orders an "Order
    Rejected" event was raised for; None when the variant has no failure path (the check is left out)."""
    timed = plan.timed_writes(write_times) if write_times and isinstance(write_times[0], (int, float)) \
        else list(write_times)  # type: ignore[arg-type]
    checks = [
        one_invoice_per_eligible_order(plan, invoices),
        aggregated_detail_matches(plan, aggregated_events),
        no_invoice_before_both_checks(timed, invoice_times, tolerance=tolerance),
        records_handled(records_delivered, records_processed),
        cost_bound(api_calls, records_processed, max_items_read_per_record, function=cost_function),
    ]
    if rejected is not None:
        checks.append(rejections(plan, rejected))
    checks.append(aggregated_event_count(aggregated_events))
    return checks
