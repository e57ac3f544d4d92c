"""table-to-bus under Locust load, in live mode: the writers put and delete items of the single table while
the processor, the bus, the history function and the FIFO member-count rule run. The oracles are
``live.evaluate_live``'s.

The rules keep the topology's patterns, whose ``resources`` accept any DynamoDB table ARN (the pipeline
has one table with a stream); the patterns judged are the deployed ones, read back from the bus. The
FIFO queue's consumer runs after the final drain, as in ``harness run``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from harness.oracles.checks import Check
from harness.scenario.load import LoadProfile, LoadStats
from harness.trace import Trace
from streamharness.scenarios.table_to_bus.contract import COUNTS_QUEUE, COUNTS_RULE, HISTORY_RULE
from streamharness.scenarios.table_to_bus.live import evaluate_live
from streamharness.scenarios.table_to_bus.scenario import (TableToBusConfig, bus_events_of, consume_fifo, deliveries,
                                                           processor_evidence, scan)
from streamharness.scenarios.table_to_bus.topology import BUS, MAPPING

_FIFO_WAIT_S = 0.0  # the embedded bus has delivered every message once the drain returns: no long polls


class TableToBusLoad(LoadProfile):
    scenario = "table-to-bus"
    locustfile = "streamharness.loadtests.table_to_bus"
    function = "processor"
    latency_basis = "processor start minus when the put was sent (sent_at), every put's stream record, first attempt"

    def config(self, seed: int) -> TableToBusConfig:
        # the fixed processor, records handed over as soon as they are read (window 0); the plan is unused
        return TableToBusConfig(customers=1, orders=0, updates=0, deletes=0, seed=seed)

    def environment(self, config: Any, resources: Mapping[str, Any]) -> dict[str, str]:
        return {"ITEMS_TABLE": resources["tables"]["items"], "LOAD_SEED": str(config.seed)}

    def observe(self, client: Callable[[str], Any], config: Any, resources: Mapping[str, Any]) -> dict[str, Any]:
        events, ddb, sqs = client("events"), client("dynamodb"), client("sqs")
        rules = {r["Name"]: {"logical": logical, "pattern": r["EventPattern"]}
                 for r in events.list_rules(EventBusName=resources["buses"][BUS])["Rules"]
                 for logical in (HISTORY_RULE, COUNTS_RULE) if r["Name"].endswith(logical)}
        url = resources["queues"][COUNTS_QUEUE]
        counts_table = resources["tables"]["counts"]
        with _environment(resources["environment"]):  # the consumer's module reads its endpoints at import
            fifo = consume_fifo(sqs, url, ddb, counts_table, 0, _FIFO_WAIT_S)
        left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                      "ApproximateNumberOfMessagesNotVisible"])
        counts = {i["pk"]["S"].removeprefix("CUSTOMER#"): int(i["members"]["N"])
                  for i in scan(ddb, counts_table) if i["pk"]["S"].startswith("CUSTOMER#")}
        keys = [(i["pk"]["S"], i["sk"]["S"]) for i in scan(ddb, resources["tables"]["items"])]
        return {"rules": rules, "fifo_messages": fifo, "member_counts": counts, "table_keys": keys,
                "messages_left": sum(int(v) for v in left.get("Attributes", {}).values())}

    def evaluate(self, trace: Trace, config: Any, plan: Any, observations: Mapping[str, Any],
                 load: LoadStats) -> tuple[list[Check], dict[str, Any], list[float]]:
        bus_events = bus_events_of(trace)
        records = {e["sequence_number"]: e["event_name"] for e in trace.of("record", mapping=MAPPING)}
        writes = [load.by_name.get(f"dynamodb {op}", {}) for op in ("PutItem", "DeleteItem")]
        writes_ok = sum(w.get("requests", 0) - w.get("failures", 0) for w in writes)
        rules = observations["rules"]
        checks = evaluate_live(
            records=records, bus_events=bus_events, **processor_evidence(trace),
            patterns={r["logical"]: r["pattern"] for r in rules.values()},
            deliveries=deliveries(trace, rules, bus_events, observations["fifo_messages"]),
            counts=observations["member_counts"], messages_left=observations["messages_left"],
            table_keys=[tuple(k) for k in observations["table_keys"]], writes_ok=writes_ok,
            writes_failed=load.failures)
        names = [e["event_name"] for e in trace.of("record", mapping=MAPPING)]
        summary = {"writes_accepted": writes_ok, "stream_records": len(records),
                   "removes": names.count("REMOVE"), "bus_events": len(bus_events),
                   "fifo_messages": len(observations["fifo_messages"]),
                   "history_invocations": sum(1 for _ in trace.select("invoke", function="history"))}
        latencies = [(e["t"] - float(sent)) * 1000 for e in trace.of("invoke", mapping=MAPPING, attempt=1)
                     for r in e.get("event", {}).get("Records", [])
                     if (sent := r["dynamodb"].get("NewImage", {}).get("sent_at", {}).get("N")) is not None]
        return checks, summary, latencies


@contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``variables`` set, restored on exit."""
    saved = dict(os.environ)
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


__all__ = ["TableToBusLoad"]
