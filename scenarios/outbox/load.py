"""outbox-to-queue under Locust load, in live mode: the order service writes outbox items while the
publisher sends them to the orders queue. The oracles are ``live.evaluate_live``'s; the consumer, the
poison record and the DLQs are judged by ``harness run outbox-to-queue``."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.oracles.checks import Check
from harness.scenario.load import LoadProfile, LoadStats
from harness.trace import Trace
from streamharness.scenarios.outbox.live import evaluate_live
from streamharness.scenarios.outbox.scenario import OutboxConfig, drain_queue
from streamharness.scenarios.outbox.topology import MAPPING


class OutboxLoad(LoadProfile):
    scenario = "outbox-to-queue"
    locustfile = "streamharness.loadtests.outbox"
    function = "publisher"
    latency_basis = "publisher start minus when the outbox item was sent (sent_at), every record, first attempt"

    def config(self, seed: int) -> OutboxConfig:
        # the fixed pipeline with one queue; the plan is unused
        return OutboxConfig(orders=2, seed=seed)

    def environment(self, config: Any, resources: Mapping[str, Any]) -> dict[str, str]:
        return {"OUTBOX_TABLE": resources["tables"]["outbox"], "LOAD_SEED": str(config.seed)}

    def observe(self, client: Callable[[str], Any], config: Any, resources: Mapping[str, Any]) -> dict[str, Any]:
        return {"on_queue": [m["correlation_id"] for m in drain_queue(client("sqs"), resources["queues"]["orders"])]}

    def evaluate(self, trace: Trace, config: Any, plan: Any, observations: Mapping[str, Any],
                 load: LoadStats) -> tuple[list[Check], dict[str, Any], list[float]]:
        invokes = trace.of("invoke", mapping=MAPPING)
        delivered = [r for e in invokes for r in e.get("event", {}).get("Records", [])]
        published = [line for line, _ in trace.json_logs("publisher", "published")]
        records = sum(1 for e in trace.of("record", mapping=MAPPING) if e["event_name"] == "INSERT")
        puts = load.by_name.get("dynamodb PutItem", {})
        writes_ok = puts.get("requests", 0) - puts.get("failures", 0)
        checks = evaluate_live(delivered=delivered, published=published, on_queue=observations["on_queue"],
                               change_records=records, writes_ok=writes_ok, writes_failed=load.failures)
        summary = {"writes_accepted": writes_ok, "stream_records": records, "published": len(published),
                   "orders": len({p["order_id"] for p in published}), "on_queue": len(observations["on_queue"])}
        latencies = [(e["t"] - float(sent)) * 1000 for e in trace.of("invoke", mapping=MAPPING, attempt=1)
                     for r in e.get("event", {}).get("Records", [])
                     if (sent := r["dynamodb"].get("NewImage", {}).get("sent_at", {}).get("N")) is not None]
        return checks, summary, latencies


__all__ = ["OutboxLoad"]
