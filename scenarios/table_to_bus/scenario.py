"""The table-to-bus scenario on the Scenario seam: config, drive, observe and the report.

Each phase of the plan (the creation of every item, then the shuffled updates, deletes and new
members) is written while the processor's mapping is disabled, then the mapping is enabled and the
pipeline drained: the processor gets full batches (BatchSize 100 by default, as on AWS), which is
what the article's "at most 10" assumption meets in production.

The harness runs no SQS event source mapping, so the FIFO queue's consumer runs in ``observe``: the
queue is read in order, ten messages at a time, each batch handed to ``handlers.count_members`` in
the SQS event's shape and deleted once handled, as Lambda's SQS poller would. What the oracles need
and the runtime does not trace (the deployed rule patterns, the history and count items, messages
left on the queue) is written into the trace as observations, so ``harness judge`` needs no backend.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import Harness, Topology, Trace
from harness.runtime.faults import Fault, FaultPlan
from harness.scenario import Bug, Progress, Report, Scenario, ScenarioConfig, api_call_table, observe, observed, option
from harness.scenario import run_report, run_timings
from streamharness.scenarios.table_to_bus.contract import COUNTS_QUEUE, COUNTS_RULE, rule_patterns
from streamharness.scenarios.table_to_bus.generator import TablePlan, generate_plan, to_item
from streamharness.scenarios.table_to_bus.oracles import evaluate, table_events
from streamharness.scenarios.table_to_bus.topology import BUS, HANDLERS, MAPPING, VARIANTS, topology

_PROGRESS_EVERY = 20


@dataclass(frozen=True, kw_only=True)
class TableToBusConfig(ScenarioConfig):
    variants = tuple(VARIANTS)  # "as_published" is the article's processor; then one planted bug each

    customers: int = option(20, "Customers (each a profile and 1-3 member items).", min=1)
    orders: int = option(60, "Orders.", min=0)
    updates: int = option(80, "Updates (a tenth of them write the item unchanged).", min=0)
    deletes: int = option(20, "Deletes of members and orders.", min=0)
    batch_size: int = option(100, "BatchSize of the processor's mapping (AWS's default: 100).", min=1, max=10_000)
    window: int = option(0, "MaximumBatchingWindowInSeconds of the mapping.", min=0, max=300)
    retries: int = option(2, "MaximumRetryAttempts of the mapping (AWS's default -1 retries until the record "
                          "expires, stalling the shard).", min=0, max=10_000)


class TableToBus(Scenario[TableToBusConfig, TablePlan]):
    name = "table-to-bus"
    summary = "single table -> stream -> processor -> bus -> history rule + FIFO member counts (article 002)"
    description = """Single table (pk/sk, GSI1) -> stream -> processor -> bus -> history function and FIFO queue.

    \b
    Checks: one bus event per item change with detail-type = eventName, every stream record read is
    published (lost ones counted by cause), each rule's target receives exactly what its pattern
    selects, history records equal the changed attributes, FIFO member counts equal the table's.
    Variants: fixed, as_published (the article's processor), decimal (the Decimal gotcha),
    ignores-failed-entries (FailedEntryCount unread; shown with PutEvents entries rejected: --faults)."""
    Config = TableToBusConfig
    unit = "writes"
    bugs = (
        Bug("PutEvents with more than 10 entries: the docstring assumes batches of at most 10, BatchSize is 100",
            "table-to-bus", "as_published", "stream_to_bus_accounting", HANDLERS,
            "events_client.put_events(Entries=events_to_put)", cause="too_many_entries"),
        Bug("FailedEntryCount ignored: an entry the bus rejects is lost silently", "table-to-bus",
            "ignores-failed-entries", "stream_to_bus_accounting", HANDLERS,
            "events_client.put_events(Entries=entries[i:", cause="entry_rejected",
            faults=FaultPlan((Fault("put_events_failure", function="processor", rate=0.3),), seed=1)),
        Bug("Decimal not serialisable: images deserialised with TypeDeserializer before json.dumps", "table-to-bus",
            "decimal", "stream_to_bus_accounting", HANDLERS, "lambda record: json.dumps(_plain(record))",
            cause="decimal"),
        Bug("datetime.utcfromtimestamp: deprecated since Python 3.12, a naive datetime (botocore reads it as UTC)",
            "table-to-bus", "as_published", None, HANDLERS, '"Time": datetime.utcfromtimestamp(',
            shown_by="tests/unit/scenarios/table_to_bus/test_table_handlers.py"),
    )

    def generate(self, config: TableToBusConfig) -> TablePlan:
        return generate_plan(config.customers, config.orders, config.updates, config.deletes, config.seed)

    def topology(self, config: TableToBusConfig, plan: TablePlan, workdir: Path) -> Topology:
        return topology(variant=config.variant, batch_size=config.batch_size, window=config.window,
                        retries=config.retries)

    def drive(self, harness: Harness, config: TableToBusConfig, plan: TablePlan, progress: Progress) -> None:
        _point_rules_at_the_table(harness)
        ddb, table = harness.client("dynamodb"), harness.table_name("items")
        for k, phase in enumerate(plan.phases, 1):
            progress.stage(f"phase {k}/{len(plan.phases)}", total=len(plan.writes))
            with harness.paused(MAPPING):
                for i, w in enumerate(phase, 1):
                    if w.op == "put":
                        ddb.put_item(TableName=table, Item=to_item(w.item or {}))
                    else:
                        ddb.delete_item(TableName=table, Key=to_item({"pk": w.pk, "sk": w.sk}))
                    if i % _PROGRESS_EVERY == 0:
                        progress.advance(_PROGRESS_EVERY)
                progress.advance(len(phase) % _PROGRESS_EVERY)
            harness.drain(config.drain_timeout)

    def observe(self, harness: Harness, config: TableToBusConfig, plan: TablePlan) -> None:
        sqs, url = harness.client("sqs"), harness.queue_url(COUNTS_QUEUE)
        selected = sum(COUNTS_RULE in e.get("matched_rules", ()) for e in harness.trace.of("bus_event"))
        consumed = consume_fifo(sqs, url, harness.client("dynamodb"), harness.table_name("counts"),
                                 selected, config.drain_timeout)
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                        "ApproximateNumberOfMessagesNotVisible"])
        ddb = harness.client("dynamodb")
        counts = {i["pk"]["S"].removeprefix("CUSTOMER#"): int(i["members"]["N"])
                  for i in scan(ddb, harness.table_name("counts")) if i["pk"]["S"].startswith("CUSTOMER#")}
        history = [{"item_pk": i["item_pk"]["S"], "item_sk": i["item_sk"]["S"], "event_name": i["event_name"]["S"],
                    "sequence_number": i["sequence_number"]["S"], "changed": [v["S"] for v in i["changed"]["L"]],
                    "changed_by": i["changed_by"]["S"], "event_id": i["event_id"]["S"]}
                   for i in scan(ddb, harness.table_name("history"))]
        observe(harness.trace, "fifo_messages", consumed)
        observe(harness.trace, "messages_left", sum(int(v) for v in attrs.get("Attributes", {}).values()))
        observe(harness.trace, "member_counts", counts)
        observe(harness.trace, "history_items", sorted(history, key=lambda h: h["event_id"]))

    def evaluate(self, trace: Trace, config: TableToBusConfig, plan: TablePlan) -> Report:
        obs = read_observations(trace)
        checks = evaluate(plan, **obs)
        events = table_events(obs["bus_events"])
        summary = {**plan.summary(), "stream_records": len(set(obs["stream_records"])), "table_events": len(events),
                   "history_records": len(obs["history_items"]), "fifo_messages": len(observed(trace, "fifo_messages")),
                   "batch_size": config.batch_size}
        read_at = {e["sequence_number"]: e["t"] for e in trace.of("record", mapping=MAPPING)}
        latency = [(b["t"] - read_at[s]) * 1000 for b in trace.of("bus_event")
                   if (s := (b.get("detail") or {}).get("dynamodb", {}).get("SequenceNumber")) in read_at]
        timings = run_timings(trace, rate="writes_per_s", count=len(plan.writes), latency_ms=latency,
                              basis="bus event minus the mapping's read of its stream record")
        return run_report(trace, self.name, config, checks, summary=summary, timings=timings, mapping=MAPPING,
                          api_calls=api_call_table(trace.of("api_call")), deliveries=True)


def read_observations(trace: Trace) -> dict[str, Any]:
    """The oracles' inputs, read off the trace (the runtime's events and the scenario's observations)."""
    rules = observed(trace, "rules")  # deployed rule name -> {"logical", "pattern"}
    bus_events = bus_events_of(trace)
    return {"bus_events": bus_events,
            "deliveries": deliveries(trace, rules, bus_events, observed(trace, "fifo_messages")),
            "stream_records": [e["sequence_number"] for e in trace.of("record", mapping=MAPPING)],
            **processor_evidence(trace),
            "patterns": {r["logical"]: r["pattern"] for r in rules.values()},
            "history_items": observed(trace, "history_items"), "counts": observed(trace, "member_counts"),
            "messages_left": observed(trace, "messages_left")}


def bus_events_of(trace: Trace) -> list[dict[str, Any]]:
    """The trace's bus events in the oracles' shape."""
    return [{"id": e["event_id"], "source": e["source"], "detail-type": e["detail_type"],
             "resources": e.get("resources", []), "detail": e["detail"]} for e in trace.of("bus_event")]


def processor_evidence(trace: Trace) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Per stream record (sequence number): how each processor invocation that carried it ended
    (``outcomes``) and the bus's verdict on each PutEvents entry sent for it (``entries``)."""
    errors = {e["request_id"]: e for e in trace.of("error", mapping=MAPPING)}
    outcomes: dict[str, list[dict[str, Any]]] = {}
    for inv in trace.of("invoke", mapping=MAPPING):
        err = errors.get(inv["request_id"], {})
        for seq in inv["sequence_numbers"]:
            outcomes.setdefault(seq, []).append({"attempt": inv["attempt"], "error_type": err.get("error_type"),
                                                 "error_message": err.get("error_message")})
    entries: dict[str, list[dict[str, Any]]] = {}
    for call in trace.of("api_call", function="processor", operation="PutEvents"):
        for entry in call.get("entries", []):
            try:
                seq = json.loads(entry["detail"])["dynamodb"]["SequenceNumber"]
            except (TypeError, ValueError, KeyError):
                continue
            entries.setdefault(seq, []).append({"error_code": entry.get("error_code")})
    return {"outcomes": outcomes, "entries": entries}


def deliveries(trace: Trace, rules: dict[str, dict[str, str]], bus_events: list[dict[str, Any]],
               fifo_messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each rule's target received: the harness's deliveries, and what the targets themselves saw.

    Where the backend's EventBridge routes (LocalStack, AWS), it delivers the SQS target itself (no
    ``delivery`` event) and hands the history function the transformed payload (``InputPath:
    $.detail``), whose delivery names no event id. Both targets are therefore also read at their end:
    the FIFO messages consumed (the envelope's id) and the history function's invocations (the detail's
    stream ``eventID``, unique per record, names its bus event). On the embedded backend both sources
    agree; the oracle counts each event once per rule."""
    def logical(rule: str) -> str:
        return rules.get(rule, {}).get("logical", rule)

    by_record = {e["detail"].get("eventID"): e["id"] for e in bus_events if isinstance(e["detail"], dict)}
    failed = {e["request_id"] for e in trace.of("error", function="history")}
    out = [{"rule": logical(d["rule"]), "event_id": d["event_id"], "ok": d.get("ok")}
           for d in trace.of("delivery") if d.get("event_id")]
    out += [{"rule": logical(inv["rule"]), "ok": inv["request_id"] not in failed,
             "event_id": inv.get("event_id") or by_record.get((inv.get("event") or {}).get("eventID"))}
            for inv in trace.of("invoke", function="history") if inv.get("rule")]
    out += [{"rule": COUNTS_RULE, "event_id": m["event_id"], "ok": True} for m in fifo_messages if m.get("event_id")]
    return out


def _point_rules_at_the_table(harness: Harness) -> None:
    """Put each rule again with the deployed table's ARN in ``resources`` (the template's !GetAtt); record
    the patterns in the trace."""
    events = harness.client("events")
    table_arn = harness.client("dynamodb").describe_table(TableName=harness.table_name("items"))["Table"]["TableArn"]
    rules: dict[str, dict[str, str]] = {}
    for logical, text in rule_patterns(table_arn).items():
        name = harness.rule_name(logical)
        events.put_rule(Name=name, EventBusName=harness.bus_name(BUS), EventPattern=text, State="ENABLED")
        rules[name] = {"logical": logical, "pattern": text}
    observe(harness.trace, "table_arn", table_arn)
    observe(harness.trace, "rules", rules)


def consume_fifo(sqs: Any, url: str, ddb: Any, counts_table: str, selected: int,
                  timeout: float) -> list[dict[str, Any]]:
    """Read the FIFO queue to its end, ten messages at a time, through the consumer's handler.

    A backend whose EventBridge delivers SQS targets itself (LocalStack, AWS) may still be sending when
    the drain ends (the drain waits for the bus, not for the user's queues), so an empty queue is waited
    on (long polls) until as many messages as the rule selected events have come, or ``timeout``."""
    from streamharness.scenarios.table_to_bus import handlers  # its module-level clients need the run's endpoints

    consumed: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        waiting = len(consumed) < selected and time.monotonic() < deadline
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1 if waiting else 0,
                                   AttributeNames=["All"]).get("Messages", [])
        if not msgs:
            if waiting:
                continue
            return consumed
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                    "attributes": m.get("Attributes", {}), "eventSource": "aws:sqs"} for m in msgs]
        handlers.count_members({"Records": records}, None, client=ddb, table_name=counts_table)
        for m in msgs:
            envelope = json.loads(m["Body"])
            detail = envelope["detail"]
            consumed.append({"event_id": envelope["id"], "event_name": detail["eventName"],
                             "keys": detail["dynamodb"]["Keys"],
                             "sequence_number": detail["dynamodb"]["SequenceNumber"]})
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])


def scan(ddb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
