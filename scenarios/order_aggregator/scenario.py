"""The order-aggregator scenario on the Scenario seam: config, drive and the report.

The writes of the plan are made in order, one at a time, as the two check sources would make
them; the pipeline runs meanwhile. Then ``drain`` waits for the stream, the aggregator, the bus and
the invoice function to go quiet, and the oracles read what happened off the trace: the invoices
the invoice function logged, the PutEvents entries the aggregator sent (with the bus's verdict on
each), the records it logged as processed, every AWS call it made, and when each write was sent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import Harness, Topology, Trace
from harness.scenario import Progress, Report, Scenario, ScenarioConfig, api_call_table, observe, observed, option
from harness.scenario import run_report, run_timings
from harness.scenario.matrix import Reliability
from harness.runtime.faults import Fault, FaultPlan
from harness.scenario import Bug
from streamharness.scenarios.order_aggregator.contract import DETAIL_TYPE, REJECTED_DETAIL_TYPE, VARIANTS
from streamharness.scenarios.order_aggregator.generator import OrderPlan, generate_orders
from streamharness.scenarios.order_aggregator.oracles import after_write_from_times, evaluate
from streamharness.scenarios.order_aggregator.topology import MAPPING, topology

_PROGRESS_EVERY = 20
NAME = "order-aggregator"
HANDLERS = "streamharness.scenarios.order_aggregator.handlers"
CONTRACT = "streamharness.scenarios.order_aggregator.contract"


@dataclass(frozen=True, kw_only=True)
class OrderAggregatorConfig(ScenarioConfig):
    variants = tuple(VARIANTS)  # "as_published" is the article's code, bugs included; then one bug each

    orders: int = option(200, "Orders in the plan.", min=1)
    batch_size: int = option(10, "BatchSize of the aggregator's event source mapping (> 1, as in the article).",
                             min=2, max=10_000)
    window: int = option(1, "MaximumBatchingWindowInSeconds of the mapping.", min=0, max=300)


class OrderAggregator(Scenario[OrderAggregatorConfig, OrderPlan]):
    name = NAME
    summary = "two check sources -> table -> stream -> aggregator -> bus -> rule -> invoice (article 001)"
    description = """Two check sources -> Events table -> stream -> aggregator -> bus -> invoice rule -> invoice.

    \b
    Checks: one invoice per order whose two checks passed (none otherwise), aggregated details that
    match the orders' events, no invoice before both checks, every delivered record processed, a
    bound on items read per record (catches a Scan), rejections for failed checks (fixed variant).
    The report lists every AWS call the functions made.
    Variants: fixed, as_published (the article's aggregator and rule, bugs included), then one bug
    each on top of fixed: records-first-only, scan, literal-detail, ignores-failed-entries (shown
    with PutEvents entries rejected: --faults), duplicate-invoice, article-rule."""
    Config = OrderAggregatorConfig
    causes = {
        "one_invoice_per_eligible_order": [
            "the aggregator misses orders: it reads only Records[0] of a batch (see records_handled)",
            "the aggregated event's Detail is not JSON, so the bus rejects it and the rule never fires",
            "the rule invoices on both checks existing, not both PASSED (spurious invoices)",
            "the invoice function is not idempotent, so a repeated event makes a second invoice"],
        "aggregated_detail_matches": [
            "the Detail is a literal string (e.g. 'json.dumps(event_status)'), not the JSON of the order's events",
            "the aggregator reads the order's events with a filtered Scan that misses some, or reads stale items",
            "FailedEntryCount is never read: an aggregated event the bus rejected is lost, so its order never ends "
            "with its final events"],
        "no_invoice_before_both_checks": [
            "the rule's pattern asks only that both checks exist, not that both are PASSED"],
        "records_handled": [
            "the handler processed fewer records than it was given, e.g. it reads only Records[0]"],
        "cost_bound": [
            "the aggregator Scans the table (every item read for every record) instead of a Query by order_id"],
        "rejections": [
            "no 'Order Rejected' event is put for an order whose final check FAILED, or one is put for an order "
            "that never had a FAILED check"],
    }
    bugs = (
        Bug("the aggregator reads only Records[0] of a batch", NAME, "records-first-only", "records_handled",
            HANDLERS, 'return _aggregate(event["Records"][:1])', cause="unprocessed"),
        Bug("Detail sent as the literal string 'json.dumps(event_status)': the bus rejects it", NAME,
            "literal-detail", "aggregated_detail_matches", HANDLERS, '"Detail": "json.dumps(event_status)"',
            cause="invalid_details"),
        Bug("a Scan of the whole table, filtered, instead of a Query by order_id", NAME, "scan", "cost_bound",
            HANDLERS, "events_table.scan(FilterExpression=Attr(\"order_id\")", cause="scans"),
        Bug("FailedEntryCount ignored: an aggregated event the bus rejects is lost silently", NAME,
            "ignores-failed-entries", "aggregated_detail_matches", HANDLERS,
            "events.put_events(Entries=entries[start:", cause="orders_not_final",
            faults=FaultPlan((Fault("put_events_failure", function="aggregator", rate=0.3),), seed=1)),
        Bug("a duplicate invoice when a check is re-sent (an unconditional PutItem)", NAME, "duplicate-invoice",
            "one_invoice_per_eligible_order", HANDLERS, "invoices_table.put_item(Item=item)  #",
            cause="duplicated"),
        Bug("the article's rule invoices when both checks exist, not when both PASSED", NAME, "article-rule",
            "one_invoice_per_eligible_order", CONTRACT, 'IN_STOCK: [{"exists": True}]', cause="spurious"),
    )
    unit = "writes"
    reliability = Reliability(small={"orders": 12, "batch_size": 5, "window": 0}, variant="fixed",
                              poison_key=lambda plan: plan.orders[0].order_id)

    def generate(self, config: OrderAggregatorConfig) -> OrderPlan:
        return generate_orders(config.orders, config.seed)

    def topology(self, config: OrderAggregatorConfig, plan: OrderPlan, workdir: Path) -> Topology:
        return topology(variant=config.variant, batch_size=config.batch_size, window=config.window)

    def drive(self, harness: Harness, config: OrderAggregatorConfig, plan: OrderPlan, progress: Progress) -> None:
        ddb, table = harness.client("dynamodb"), harness.table_name("events")
        progress.stage("writing checks", total=len(plan.writes))
        write_times: list[float] = []
        for i, write in enumerate(plan.writes, 1):
            # a write's time is when it was sent: the record cannot exist earlier, and a time taken
            # after the call returns can lag behind a handler that already reacted to it
            write_times.append(time.time())
            ddb.update_item(**plan.update_item_kwargs(write, table))
            if i % _PROGRESS_EVERY == 0:
                progress.advance(_PROGRESS_EVERY)
        progress.advance(len(plan.writes) % _PROGRESS_EVERY)
        observe(harness.trace, "write_times", write_times)
        harness.drain(config.drain_timeout)

    def evaluate(self, trace: Trace, config: OrderAggregatorConfig, plan: OrderPlan) -> Report:
        write_times: list[float] = observed(trace, "write_times")
        obs = read_observations(trace, write_times)
        checks = evaluate(plan, invoices=obs["invoices"], aggregated_events=obs["aggregated_events"],
                          write_times=write_times, invoice_times=obs["invoice_times"],
                          records_delivered=obs["records_delivered"], records_processed=obs["records_processed"],
                          api_calls=obs["api_calls"], rejected=obs["rejected"] if config.variant != "as_published" else None)
        last_write = {w.order_id: t for w, t in zip(plan.writes, write_times)}
        invoice_lat = [(t - last_write[oid]) * 1000 for oid, t in obs["invoice_times"] if oid in last_write]
        aggregated = [e for e in obs["aggregated_events"] if e["detail_type"] == DETAIL_TYPE]
        summary = {
            **plan.summary(),
            "invoices": len(obs["invoices"]),
            "aggregated_events": len(aggregated),
            "aggregated_events_rejected_by_bus": sum(1 for e in aggregated if not e["accepted"]),
            "records_delivered": len(obs["records_delivered"]),
            "records_processed": len(obs["records_processed"]),
            "rejected": len(obs["rejected"]),
        }
        timings = run_timings(trace, rate="writes_per_s", count=len(plan.writes), latency_ms=invoice_lat,
                              basis="invoice created minus the order's last write (includes the batching window)")
        return run_report(trace, self.name, config, checks, summary=summary, timings=timings, mapping=MAPPING,
                          api_calls=api_call_table(trace.of("api_call")), deliveries=True)


def read_observations(trace: Trace, write_times: list[float] | None) -> dict[str, Any]:
    """What the oracles need, read off the trace. Without ``write_times`` (a load run: the writes are
    Locust's) the aggregated events carry no ``after_write``."""
    invoice_logs = trace.json_logs("invoice", "invoice_created")
    invoices = [line["order_id"] for line, _ in invoice_logs]
    invoice_times = [(line["order_id"], float(line["created_at"])) for line, _ in invoice_logs]
    processed = [line["event_id"] for line, _ in trace.json_logs("aggregator", "record_processed")]
    delivered = [r["eventID"] for e in trace.of("invoke", mapping=MAPPING)
                 for r in e.get("event", {}).get("Records", [])]
    calls = trace.of("api_call", function="aggregator")
    aggregated = []
    for call in calls:
        for entry in call.get("entries", []):
            event = {"detail": entry["detail"], "detail_type": entry["detail_type"],
                     "accepted": entry["error_code"] is None, "error_code": entry["error_code"]}
            if write_times is not None:
                event["after_write"] = after_write_from_times(write_times, call["t"])
            aggregated.append(event)
    rejected = sorted({e["detail"]["order_id"] for e in trace.of("bus_event")
                       if e.get("detail_type") == REJECTED_DETAIL_TYPE and isinstance(e.get("detail"), dict)})
    # what a call read and paid for: a Scan reads every item it scans, whatever its filter keeps. Only
    # invocations whose result counted: a failed attempt or a redelivered batch reads again, and the
    # bound is on what handling a record costs, not on how often a fault made it run
    kept = {e["request_id"] for e in trace.of("result", function="aggregator") if "duplicate_of" not in e}
    api_calls = [{**c, "items_read": max(c.get("items_read", 0), c.get("items_scanned", 0)),
                  "table": c.get("resource")} for c in calls if c.get("service") == "dynamodb"
                 and c["request_id"] in kept]
    return {"invoices": invoices, "invoice_times": invoice_times, "records_processed": processed,
            "records_delivered": delivered, "aggregated_events": aggregated, "rejected": rejected,
            "api_calls": api_calls}
