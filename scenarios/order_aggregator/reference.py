"""A pure-Python model of the order pipeline: what a run must observe for a given plan.

The ideal pipeline (``FIXED``) passes every oracle for every plan, batch size and delay; each of the
article's bugs, switched on alone, makes its own oracle fail. That is how the oracles are shown to
be neither blind nor trigger-happy without a backend, and what a real run can be diffed against.

**The timing model.** Write ``i`` of the plan completes at ``t = i``. There is one shard and the
stream is read in order: records are cut into consecutive batches of ``batch_size``; a batch is
handled once its last record was written and ``lag`` more writes have landed (the window, the
poller's delay, a slow handler: whatever lets the table move on before the aggregator reads it),
batches one at a time. While handling it, at ``t = p + 0.25`` (``p`` the last write that landed),
the aggregator reads the table as it is after write ``p``, sends its events (``after_write = p +
1``), and EventBridge invokes the invoice function at ``t = p + 0.5``, before write ``p + 1``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from harness.patterns import compile_pattern
from streamharness.scenarios.order_aggregator.contract import (DETAIL_TYPE, REJECTED_DETAIL_TYPE, RULE_PATTERNS, SOURCE,
                                                 aggregated_detail, failed_checks, is_json_object)
from streamharness.scenarios.order_aggregator.generator import OrderPlan

AS_PUBLISHED_DETAIL = "json.dumps(event_status)"


@dataclass(frozen=True)
class Behaviour:
    """How the simulated pipeline behaves; the defaults are the fixed pipeline."""

    records: str = "all"  # "all" | "first": the aggregator handles every record, or only Records[0]
    read: str = "query"  # "query" the order's items by key | "scan" the whole table
    detail: str = "json"  # "json" detail | "string": the literal 'json.dumps(event_status)'
    rule: str = "passed"  # invoice rule: "passed" (both PASSED) | "article" (both exist)
    idempotent_invoice: bool = True  # conditional PutItem, or an invoice per matching event
    reject: bool = True  # the aggregator raises "Order Rejected" for an order with a FAILED check

    def __post_init__(self) -> None:
        for name, allowed in (("records", ("all", "first")), ("read", ("query", "scan")),
                              ("detail", ("json", "string")), ("rule", tuple(RULE_PATTERNS))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")


FIXED = Behaviour()
AS_PUBLISHED = Behaviour(records="first", read="scan", detail="string", rule="article", idempotent_invoice=False,
                         reject=False)
#: Each of the article's three aggregator bugs alone, on top of the fixed pipeline.
BUGS: dict[str, Behaviour] = {
    "records_first_only": replace(FIXED, records="first"),
    "scan": replace(FIXED, read="scan"),
    "string_detail": replace(FIXED, detail="string"),
}


@dataclass(frozen=True)
class Observation:
    """What a run observes; ``as_kwargs`` are exactly the keyword arguments ``oracles.evaluate`` takes."""

    invoices: tuple[dict[str, Any], ...]  # one per invoice created: {"order_id", "t"}
    # every entry sent: {"detail_type", "detail", "after_write", "accepted", "t"}
    aggregated_events: tuple[dict[str, Any], ...]
    write_times: tuple[float, ...]  # completion time per plan write
    invoice_times: tuple[tuple[str, float], ...]
    records_delivered: tuple[str, ...]
    records_processed: tuple[str, ...]
    api_calls: tuple[dict[str, Any], ...]
    rejected: tuple[str, ...] | None  # None: the variant has no failure path

    def as_kwargs(self) -> dict[str, Any]:
        return {"invoices": self.invoices, "aggregated_events": self.aggregated_events,
                "write_times": self.write_times, "invoice_times": self.invoice_times,
                "records_delivered": self.records_delivered, "records_processed": self.records_processed,
                "api_calls": self.api_calls, "rejected": self.rejected}


def record_id(seq: int) -> str:
    return f"rec-{seq:06d}"


def simulate(plan: OrderPlan, *, batch_size: int = 10, lag: int = 0, behaviour: Behaviour = FIXED) -> Observation:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or not 1 <= batch_size <= 10_000:
        raise ValueError(f"batch_size must be an integer between 1 and 10000, got {batch_size!r}")
    if not isinstance(lag, int) or isinstance(lag, bool) or lag < 0:
        raise ValueError(f"lag must be an integer >= 0, got {lag!r}")
    rule = compile_pattern(RULE_PATTERNS[behaviour.rule])
    writes = plan.writes
    n = len(writes)
    table: dict[str, dict[str, str]] = {}
    items_in_table = 0
    applied = 0
    invoiced: set[str] = set()
    invoices: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    processed: list[str] = []
    calls: list[dict[str, Any]] = []
    rejected: list[str] = []

    for b, start in enumerate(range(0, n, batch_size)):
        batch = range(start, min(start + batch_size, n))
        p = min(batch[-1] + lag, n - 1)
        while applied <= p:  # the table moves on until the handler reads it
            w = writes[applied]
            items = table.setdefault(w.order_id, {})
            items_in_table += w.event_name not in items
            items[w.event_name] = w.status
            applied += 1
        t = p + 0.25
        request_id = f"req-{b:06d}"
        handled = list(batch) if behaviour.records == "all" else [batch[0]]
        order_ids = list(dict.fromkeys(writes[i].order_id for i in handled))
        entries: list[tuple[str, str, str]] = []  # (detail type, order id, Detail)
        for oid in order_ids:
            state = dict(table.get(oid, {}))
            calls.append({"service": "dynamodb", "operation": "Query" if behaviour.read == "query" else "Scan",
                          "table": "events", "function": "aggregator", "request_id": request_id,
                          "items_read": len(state) if behaviour.read == "query" else items_in_table})
            detail = json.dumps(aggregated_detail(oid, state)) if behaviour.detail == "json" else AS_PUBLISHED_DETAIL
            entries.append((DETAIL_TYPE, oid, detail))
            failed = failed_checks(state)
            if behaviour.reject and failed:
                entries.append((REJECTED_DETAIL_TYPE, oid, json.dumps(
                    {"order_id": oid, "failed_checks": failed, "events": aggregated_detail(oid, state)["events"]})))
        for k in range(0, len(entries), 10):
            chunk = entries[k:k + 10]
            accepted = [is_json_object(d) for _, _, d in chunk]
            calls.append({"service": "events", "operation": "PutEvents", "function": "aggregator",
                          "request_id": request_id, "entries": len(chunk), "failed": accepted.count(False)})
            for (detail_type, oid, detail), ok in zip(chunk, accepted):
                events.append({"detail_type": detail_type, "detail": detail, "after_write": p + 1, "accepted": ok,
                               "t": t})
                if not ok:
                    continue  # MalformedDetail: the entry never reaches the bus
                if detail_type == REJECTED_DETAIL_TYPE:
                    rejected.append(oid)
                envelope = {"version": "0", "source": SOURCE, "detail-type": detail_type, "detail": json.loads(detail)}
                if not rule.matches(envelope):
                    continue
                created = not (behaviour.idempotent_invoice and oid in invoiced)
                calls.append({"service": "dynamodb", "operation": "PutItem", "table": "invoices", "function": "invoice",
                              "items_read": 0, "conditional_check_failed": not created})
                if created:
                    invoiced.add(oid)
                    invoices.append({"order_id": oid, "t": p + 0.5})
        processed.extend(record_id(i) for i in handled)

    return Observation(
        invoices=tuple(invoices), aggregated_events=tuple(events), write_times=tuple(float(i) for i in range(n)),
        invoice_times=tuple((i["order_id"], i["t"]) for i in invoices),
        records_delivered=tuple(record_id(i) for i in range(n)), records_processed=tuple(processed),
        api_calls=tuple(calls), rejected=tuple(rejected) if behaviour.reject else None)
