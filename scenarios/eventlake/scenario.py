"""The event-lake scenario on the Scenario seam: config, drive, observe and the report.

Drive: every ingestion attempt of the plan goes through the ingestion function, in order, while the
consumers run; the answers and when each was sent are observed. Once the pipeline drains, TTL runs
(``expire_now`` at the run's TTL anchor, two days ahead of the clock: the events whose TTL is
past at that moment go as AWS's TTL deletions do, and only then) and the pipeline drains again. The projections table is read just before the
expiry (TTL must change nothing in it). Observe: a scan of the store (the replay's input) and of
the projections table (the live projections).
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import Harness, Topology, Trace
from harness.runtime.streams.ttl import expire_now
from harness.runtime.streams.wire import TTL_IDENTITY
from harness.scenario import Bug, Progress, Report, Scenario, ScenarioConfig, observe, observed, option
from harness.scenario import run_report, run_timings
from streamharness.scenarios.eventlake import ingestion
from streamharness.scenarios.eventlake.generator import IngestionPlan, generate_plan
from streamharness.scenarios.eventlake.oracles import evaluate
from streamharness.scenarios.eventlake.reference import combine
from streamharness.scenarios.eventlake.topology import CONSUMERS, MAPPINGS, VARIANTS, topology

_PROGRESS_EVERY = 25
#: the run expires its events as TTL would this far ahead: every TTL is still in the wall clock's future, so
#: DynamoDB Local's own sweeper (which runs on that clock, at its own pace) never races ``expire_now``
EXPIRY_AHEAD_S = 2 * 86_400
INGESTION = "streamharness.scenarios.eventlake.ingestion"
STORED = ("event_id", "timestamp", "event_type", "event_payload")


@dataclass(frozen=True, kw_only=True)
class EventLakeConfig(ScenarioConfig):
    variants = tuple(VARIANTS)  # the planted bugs the oracles must catch follow "fixed"

    events: int = option(200, "New events ingested.", min=1)
    entities: int = option(40, "Distinct entities the events are about.", min=1)
    duplicate_rate: float = option(0.1, "Fraction of the lasting events sent a second time.", min=0, max=1)
    ttl_past_rate: float = option(0.15, "Fraction of the events whose TTL is already past (TTL deletes them).",
                                  min=0, max=1)
    invalid: int = option(8, "Malformed ingestion requests.", min=0)
    batch_size: int = option(100, "BatchSize of the consumers' event source mappings.", min=1, max=10_000)
    window: int = option(0, "MaximumBatchingWindowInSeconds of the mappings.", min=0, max=300)


class EventLake(Scenario[EventLakeConfig, IngestionPlan]):
    name = "eventlake"
    summary = "ingestion -> immutable event store (TTL) -> stream -> INSERT-only projections; replay (article 003)"
    description = """Ingestion -> EventLake table (event_id + timestamp, TTL) -> stream -> two consumers -> projections.

    \b
    Checks: no MODIFY ever, duplicate ingestion attempts rejected, validation, each event consumed
    exactly once per consumer, replay from the store equals the live projections, TTL removals never
    treated as business deletes, projections equal the reference.
    Variants: fixed, unconditional-put, server-timestamp, handles-remove (planted bugs the oracles must
    catch)."""
    Config = EventLakeConfig
    unit = "attempts"
    bugs = (
        Bug("an immutable event overwritten (PutItem with no condition)", "eventlake", "unconditional-put",
            "no_modify", INGESTION, "dynamodb.put_item(TableName=table_name, Item=to_item(request))"),
        Bug("a retry stored as a second event (the event keyed on its arrival time)", "eventlake", "server-timestamp",
            "duplicates_rejected", INGESTION, '"timestamp": datetime.now(UTC).isoformat()}'),
        Bug("a TTL expiry treated as a business delete (a consumer handling REMOVE)", "eventlake", "handles-remove",
            "ttl_not_business_delete", "streamharness.scenarios.eventlake.handlers",
            'elif record["eventName"] == "REMOVE":'),
    )

    def generate(self, config: EventLakeConfig) -> IngestionPlan:
        return generate_plan(config.events, config.entities, config.seed, duplicate_rate=config.duplicate_rate,
                             ttl_past_rate=config.ttl_past_rate, invalid=config.invalid)

    def topology(self, config: EventLakeConfig, plan: IngestionPlan, workdir: Path) -> Topology:
        return topology(variant=config.variant, batch_size=config.batch_size, window=config.window)

    def drive(self, harness: Harness, config: EventLakeConfig, plan: IngestionPlan, progress: Progress) -> None:
        ddb, table = harness.client("dynamodb"), harness.table_name("events")
        ingest = getattr(ingestion, VARIANTS[config.variant][0])
        anchor = int(time.time()) + EXPIRY_AHEAD_S
        progress.stage("ingesting", total=len(plan.attempts))
        statuses, sent = [], []
        for i, attempt in enumerate(plan.attempts, 1):
            sent.append(time.time())
            statuses.append(ingest(attempt.request(anchor), ddb, table)["statusCode"])
            if i % _PROGRESS_EVERY == 0:
                progress.advance(_PROGRESS_EVERY)
        progress.advance(len(plan.attempts) % _PROGRESS_EVERY)
        observe(harness.trace, "ingestion", {"ttl_anchor": anchor, "statuses": statuses, "sent": sent})
        harness.drain(config.drain_timeout)
        progress.stage("expiring")
        observe(harness.trace, "projections_before_expiry", projections_of(ddb, harness.table_name("projections")))
        observe(harness.trace, "expired_by_expire_now", expire_now(ddb, table, now=anchor))
        harness.drain(config.drain_timeout)

    def observe(self, harness: Harness, config: EventLakeConfig, plan: IngestionPlan) -> None:
        ddb = harness.client("dynamodb")
        store = [{k: item[k]["S"] for k in STORED} for item in scan(ddb, harness.table_name("events"))]
        observe(harness.trace, "store", sorted(store, key=lambda i: (i["event_id"], i["timestamp"])))
        observe(harness.trace, "projections", projections_of(ddb, harness.table_name("projections")))

    def evaluate(self, trace: Trace, config: EventLakeConfig, plan: IngestionPlan) -> Report:
        ingested = observed(trace, "ingestion")
        records = [(key_of(e["keys"]), e["event_name"]) for e in trace.of("record", mapping=MAPPINGS[CONSUMERS[0]])]
        applied = {c: [line["key"] for line, _ in trace.json_logs(c, "event_applied")] for c in CONSUMERS}
        ttl_removes = {c: len(_ttl_removes(trace, MAPPINGS[c])) for c in CONSUMERS}
        store, projections = observed(trace, "store"), observed(trace, "projections")
        checks = evaluate(plan, statuses=ingested["statuses"], stream_records=records, applied=applied,
                          ttl_removes=ttl_removes, store=store, projections=projections,
                          before_expiry=observed(trace, "projections_before_expiry"))
        names = Counter(name for _, name in records)
        summary = {
            **plan.summary(),
            "accepted": sum(1 for s in ingested["statuses"] if s == 201),
            "rejected_409": sum(1 for s in ingested["statuses"] if s == 409),
            "rejected_400": sum(1 for s in ingested["statuses"] if s == 400),
            "stream_records": {k: names.get(k, 0) for k in ("INSERT", "MODIFY", "REMOVE")},
            "ttl_removes_seen": ttl_removes,
            "expired_by_expire_now": observed(trace, "expired_by_expire_now"),
            "stored_events": len(store),
            "projection_rows": len(projections),
        }
        timings = run_timings(trace, rate="attempts_per_s", count=len(plan.attempts),
                              latency_ms=_latencies_ms(trace, plan, ingested["sent"]),
                              basis="entity-totals handler start minus when the event's first ingestion was sent")
        return run_report(trace, self.name, config, checks, summary=summary, timings=timings,
                          mapping=MAPPINGS["entity-totals"])


def key_of(keys: dict[str, Any]) -> str:
    return f"{keys['event_id']['S']}|{keys['timestamp']['S']}"


def scan(ddb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def projections_of(ddb: Any, table: str) -> dict[str, dict[str, int]]:
    rows = {item["name"]["S"]: {k: int(v["N"]) for k, v in item.items() if k != "name"} for item in scan(ddb, table)}
    return combine(rows)


def _ttl_removes(trace: Trace, mapping: str) -> set[str]:
    """Sequence numbers of the REMOVE records with the TTL service identity delivered through ``mapping``."""
    return {r["dynamodb"]["SequenceNumber"] for e in trace.of("invoke", mapping=mapping)
            for r in e.get("event", {}).get("Records", [])
            if r.get("eventName") == "REMOVE" and r.get("userIdentity") == dict(TTL_IDENTITY)}


def _latencies_ms(trace: Trace, plan: IngestionPlan, sent: list[float]) -> list[float]:
    first_sent = {a.event.key: t for a, t in zip(plan.attempts, sent) if a.kind == "first"}
    return [(e["t"] - first_sent[key_of(r["dynamodb"]["Keys"])]) * 1000
            for e in trace.of("invoke", mapping=MAPPINGS["entity-totals"], attempt=1)
            for r in e.get("event", {}).get("Records", [])
            if r.get("eventName") == "INSERT" and key_of(r["dynamodb"]["Keys"]) in first_sent]
