"""Run the order-aggregator scenario end to end and judge it with its oracles.

The writes of the plan are made in order, one at a time, as the two check sources would make
them; the pipeline runs meanwhile. Then ``drain`` waits for the stream, the aggregator, the bus and
the invoice function to go quiet, and the oracles read what happened off the trace: the invoices
the invoice function logged, the PutEvents entries the aggregator sent (with the bus's verdict on
each), the records it logged as processed, and every AWS call it made.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness import Harness, Trace
from harness.oracles import all_passed
from harness.oracles.stats import percentiles
from streamharness.scenarios.order_aggregator.contract import DETAIL_TYPE, REJECTED_DETAIL_TYPE, VARIANTS
from streamharness.scenarios.order_aggregator.generator import OrderPlan, generate_orders
from streamharness.scenarios.order_aggregator.oracles import after_write_from_times, evaluate
from streamharness.scenarios.order_aggregator.topology import MAPPING, topology

Progress = Callable[[int], None]


@dataclass(frozen=True)
class OrderAggregatorConfig:
    orders: int = 200
    seed: int = 7
    variant: str = "fixed"
    batch_size: int = 10
    window: int = 1
    backend: str = "embedded"
    drain_timeout: float = 120.0

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {self.variant!r}")


def make_plan(cfg: OrderAggregatorConfig) -> OrderPlan:
    return generate_orders(cfg.orders, cfg.seed)


def observe(trace: Trace, write_times: list[float]) -> dict[str, Any]:
    """What the oracles need, read off the trace."""
    invoices = [line["order_id"] for line, _ in trace.json_logs("invoice", "invoice_created")]
    invoice_times = [(line["order_id"], float(line["created_at"])) for line, _ in
                     trace.json_logs("invoice", "invoice_created")]
    processed = [line["event_id"] for line, _ in trace.json_logs("aggregator", "record_processed")]
    delivered = [r["eventID"] for e in trace.of("invoke", mapping=MAPPING) for r in e.get("event", {}).get("Records", [])]
    calls = trace.of("api_call", function="aggregator")
    aggregated = []
    for call in calls:
        for entry in call.get("entries", []):
            aggregated.append({"detail": entry["detail"], "detail_type": entry["detail_type"],
                               "accepted": entry["error_code"] is None, "error_code": entry["error_code"],
                               "after_write": after_write_from_times(write_times, call["t"])})
    rejected = sorted({e["detail"]["order_id"] for e in trace.of("bus_event")
                       if e.get("detail_type") == REJECTED_DETAIL_TYPE and isinstance(e.get("detail"), dict)})
    # what a call read and paid for: a Scan reads every item it scans, whatever its filter keeps
    api_calls = [{**c, "items_read": max(c.get("items_read", 0), c.get("items_scanned", 0)),
                  "table": c.get("resource")} for c in calls if c.get("service") == "dynamodb"]
    return {"invoices": invoices, "invoice_times": invoice_times, "records_processed": processed,
            "records_delivered": delivered, "aggregated_events": aggregated, "rejected": rejected,
            "api_calls": api_calls}


def run(cfg: OrderAggregatorConfig, *, plan: OrderPlan | None = None, progress: Progress | None = None,
        trace_path: str | None = None) -> dict[str, Any]:
    plan = plan or make_plan(cfg)
    with Harness(topology(variant=cfg.variant, batch_size=cfg.batch_size, window=cfg.window),
                 backend=cfg.backend) as h:
        ddb, table = h.client("dynamodb"), h.table_name("events")
        write_times: list[float] = []
        t0 = time.perf_counter()
        for i, write in enumerate(plan.writes, 1):
            # a write's time is when it was sent: the record cannot exist earlier, and a time taken
            # after the call returns can lag behind a handler that already reacted to it
            write_times.append(time.time())
            ddb.update_item(**plan.update_item_kwargs(write, table))
            if progress and i % 20 == 0:
                progress(20)
        if progress and len(plan.writes) % 20:
            progress(len(plan.writes) % 20)
        h.drain(cfg.drain_timeout)
        run_s = time.perf_counter() - t0
        startup_s = h.timings["startup_s"]
        stats = h.stats()[MAPPING].as_dict()
        deliveries = dict(h.dispatcher.stats)
        warnings = list(h.backend.warnings)
    if trace_path:
        h.trace.write_jsonl(trace_path)
    return build_report(cfg, plan, h.trace, write_times, run_s=run_s, startup_s=startup_s, stats=stats,
                        deliveries=deliveries, warnings=warnings)


def build_report(cfg: OrderAggregatorConfig, plan: OrderPlan, trace: Trace, write_times: list[float], *,
                 run_s: float, startup_s: float, stats: dict[str, int], deliveries: dict[str, int],
                 warnings: list[str]) -> dict[str, Any]:
    obs = observe(trace, write_times)
    checks = evaluate(plan, invoices=obs["invoices"], aggregated_events=obs["aggregated_events"],
                      write_times=write_times, invoice_times=obs["invoice_times"],
                      records_delivered=obs["records_delivered"], records_processed=obs["records_processed"],
                      api_calls=obs["api_calls"], rejected=obs["rejected"] if cfg.variant == "fixed" else None)
    calls_by_op: dict[str, dict[str, int]] = {}
    for c in trace.of("api_call"):
        row = calls_by_op.setdefault(f"{c['function']}: {c['service']}.{c['operation']}",
                                     {"calls": 0, "items_read": 0, "items_scanned": 0, "items_written": 0})
        row["calls"] += 1
        for k in ("items_read", "items_scanned", "items_written"):
            row[k] += c.get(k, 0) or 0
    invoice_lat = []
    last_write: dict[str, float] = {}
    for w, t in zip(plan.writes, write_times):
        last_write[w.order_id] = t
    for order_id, t in obs["invoice_times"]:
        if order_id in last_write:
            invoice_lat.append((t - last_write[order_id]) * 1000)
    aggregated = [e for e in obs["aggregated_events"] if e["detail_type"] == DETAIL_TYPE]
    return {
        "scenario": "order-aggregator",
        "variant": cfg.variant,
        "backend": cfg.backend,
        "seed": cfg.seed,
        **plan.summary(),
        "invoices": len(obs["invoices"]),
        "aggregated_events": len(aggregated),
        "aggregated_events_rejected_by_bus": sum(1 for e in aggregated if not e["accepted"]),
        "records_delivered": len(obs["records_delivered"]),
        "records_processed": len(obs["records_processed"]),
        "orders_rejected": len(obs["rejected"]),
        "api_calls": calls_by_op,
        "mapping_stats": stats,
        "deliveries": deliveries,
        "passed": all_passed(checks),
        "checks_detail": [c.to_dict() for c in checks],
        "timings": {
            "startup_s": round(startup_s, 3),
            "run_s": round(run_s, 3),
            "writes_per_s": round(len(plan.writes) / run_s, 1) if run_s else None,
            "latency_ms": percentiles(invoice_lat),
            "latency_basis": "invoice created minus the order's last write (includes the batching window)",
        },
        "warnings": warnings,
    }
