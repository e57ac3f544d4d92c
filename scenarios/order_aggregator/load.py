"""order-aggregator under Locust load, in live mode: the two check sources write orders while the
aggregator, the bus and the invoice function run. The oracles are ``live.evaluate_live``'s."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.oracles.checks import Check
from harness.scenario.load import LoadProfile, LoadStats
from harness.trace import Trace
from streamharness.scenarios.order_aggregator.contract import HASH_KEY, RANGE_KEY
from streamharness.scenarios.order_aggregator.live import evaluate_live, stream_writes
from streamharness.scenarios.order_aggregator.scenario import OrderAggregatorConfig, read_observations
from streamharness.scenarios.order_aggregator.topology import MAPPING


class OrderAggregatorLoad(LoadProfile):
    scenario = "order-aggregator"
    locustfile = "streamharness.loadtests.order_aggregator"
    function = "aggregator"
    latency_basis = "aggregator start minus when the write was sent (sent_at), every stream record, first attempt"

    def config(self, seed: int) -> OrderAggregatorConfig:
        # the fixed pipeline, records handed over as soon as they are read (window 0); the plan is unused
        return OrderAggregatorConfig(orders=1, window=0, seed=seed)

    def environment(self, config: Any, resources: Mapping[str, Any]) -> dict[str, str]:
        return {"EVENTS_TABLE": resources["tables"]["events"], "LOAD_SEED": str(config.seed)}

    def observe(self, client: Callable[[str], Any], config: Any, resources: Mapping[str, Any]) -> dict[str, Any]:
        items: dict[tuple[str, str], str] = {}
        for page in client("dynamodb").get_paginator("scan").paginate(TableName=resources["tables"]["events"],
                                                                      ConsistentRead=True):
            for item in page["Items"]:
                items[(item[HASH_KEY]["S"], item[RANGE_KEY]["S"])] = item.get("status", {}).get("S", "")
        return {"table_items": items}

    def evaluate(self, trace: Trace, config: Any, plan: Any, observations: Mapping[str, Any],
                 load: LoadStats) -> tuple[list[Check], dict[str, Any], list[float]]:
        invokes = trace.of("invoke", mapping=MAPPING)
        delivered = [r for e in invokes for r in e.get("event", {}).get("Records", [])]
        writes = stream_writes(delivered)
        obs = read_observations(trace, None)
        change_records = sum(1 for e in trace.of("record", mapping=MAPPING) if e["event_name"] != "REMOVE")
        updates = load.by_name.get("dynamodb UpdateItem", {})
        writes_ok = updates.get("requests", 0) - updates.get("failures", 0)
        checks = evaluate_live(
            writes, invoices=obs["invoices"], invoice_times=obs["invoice_times"],
            aggregated_events=obs["aggregated_events"], rejected=obs["rejected"],
            records_delivered=obs["records_delivered"], records_processed=obs["records_processed"],
            api_calls=obs["api_calls"], table_items=observations["table_items"], change_records=change_records,
            writes_ok=writes_ok, writes_failed=load.failures)
        orders = {w.order_id for w in writes}
        summary = {"writes_accepted": writes_ok, "orders": len(orders), "stream_records": change_records,
                   "invoices": len(obs["invoices"]), "rejected": len(obs["rejected"]),
                   "aggregated_events": sum(1 for e in obs["aggregated_events"] if e["accepted"])}
        latencies = [(e["t"] - float(sent)) * 1000 for e in trace.of("invoke", mapping=MAPPING, attempt=1)
                     for r in e.get("event", {}).get("Records", [])
                     if (sent := r["dynamodb"].get("NewImage", {}).get("sent_at", {}).get("N")) is not None]
        return checks, summary, latencies


__all__ = ["OrderAggregatorLoad"]
