"""eventlake under Locust load, in live mode: the producers send ingestion attempts (new events, retries,
conflicting reuses of a key, malformed requests) while both consumers keep their projections. The oracles
are ``live.evaluate_live``'s; TTL expiry is not exercised (``harness run eventlake`` judges it)."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from harness.oracles.checks import Check
from harness.scenario.load import LoadProfile, LoadStats
from harness.trace import Trace
from streamharness.scenarios.eventlake.live import evaluate_live
from streamharness.scenarios.eventlake.scenario import STORED, EventLakeConfig, key_of, projections_of, scan
from streamharness.scenarios.eventlake.topology import CONSUMERS, MAPPINGS

_TIMED = "entity-totals"  # the consumer whose start ends the write -> handler latency
_PREFIX = "ingest "  # Locust's request names: "ingest <kind> <status>"


class EventLakeLoad(LoadProfile):
    scenario = "eventlake"
    locustfile = "streamharness.loadtests.eventlake"
    function = _TIMED
    latency_basis = "entity-totals start minus when the event's first attempt was sent (payload sent_at), first attempt"

    def config(self, seed: int) -> EventLakeConfig:
        # the fixed ingestion and consumers, records handed over as soon as they are read; the plan is unused
        return EventLakeConfig(events=1, entities=1, invalid=0, seed=seed)

    def environment(self, config: Any, resources: Mapping[str, Any]) -> dict[str, str]:
        return {"EVENTS_TABLE": resources["tables"]["events"], "LOAD_SEED": str(config.seed)}

    def observe(self, client: Callable[[str], Any], config: Any, resources: Mapping[str, Any]) -> dict[str, Any]:
        ddb = client("dynamodb")
        store = [{k: item[k]["S"] for k in STORED} for item in scan(ddb, resources["tables"]["events"])]
        return {"store": store, "projections": projections_of(ddb, resources["tables"]["projections"])}

    def evaluate(self, trace: Trace, config: Any, plan: Any, observations: Mapping[str, Any],
                 load: LoadStats) -> tuple[list[Check], dict[str, Any], list[float]]:
        delivered = [r for e in trace.of("invoke", mapping=MAPPINGS[_TIMED]) for r in e.get("event", {}).get("Records", [])]
        records = [(key_of(e["keys"]), e["event_name"]) for e in trace.of("record", mapping=MAPPINGS[_TIMED])]
        answers = {name.removeprefix(_PREFIX): row["requests"] for name, row in load.by_name.items()
                   if name.startswith(_PREFIX)}
        applied = {c: [line["key"] for line, _ in trace.json_logs(c, "event_applied")] for c in CONSUMERS}
        checks = evaluate_live(inserted=delivered, stream_records=records, answers=answers, applied=applied,
                               store=observations["store"], projections=observations["projections"],
                               failed_calls=load.failures)
        summary = {"attempts": sum(answers.values()), "answers": answers,
                   "accepted": sum(n for k, n in answers.items() if k.endswith(" 201")),
                   "stream_records": len(records), "stored_events": len(observations["store"]),
                   "projection_rows": len(observations["projections"])}
        latencies = [(e["t"] - float(sent)) * 1000 for e in trace.of("invoke", mapping=MAPPINGS[_TIMED], attempt=1)
                     for r in e.get("event", {}).get("Records", []) if r.get("eventName") == "INSERT"
                     if (sent := json.loads(r["dynamodb"]["NewImage"]["event_payload"]["S"]).get("sent_at")) is not None]
        return checks, summary, latencies


__all__ = ["EventLakeLoad"]
