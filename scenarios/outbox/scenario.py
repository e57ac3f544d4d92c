"""The outbox-to-queue scenario on the Scenario seam.

Drive: the producer function is invoked once per planned event (as an API would call it), in plan
order; ``drain`` waits for the stream and the publisher. A stalled shard is a finding, not a hang: the
drain's timeout is recorded and judged (``shard_not_blocked``). Then the consumer step.

**The consumer step.** The runtime has no SQS event source mapping, so the scenario plays Lambda's SQS
poller itself: it receives from each consumer queue (all attributes, all message attributes), invokes
the consumer with an SQS event of one message (BatchSize 1), deletes the message if the invocation
succeeded and leaves it otherwise. SQS does the rest, as in AWS: a message left comes back after the
queue's visibility timeout with a higher receive count, and once it has been received maxReceiveCount
times the queue's redrive policy moves it to the DLQ. The step ends when the consumer queues are empty,
when every message left has been received more than maxReceiveCount + 1 times (it would have been
redriven by now: it is looping), or after ``consume_timeout`` seconds. Every receive is observed; so are
the DLQs' contents and what is left on each queue.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import DrainError, Harness, Topology, Trace
from harness.runtime.functions import InvocationRequest
from harness.scenario import Bug, Progress, Report, Scenario, ScenarioConfig, observe, observed, observed_each, option
from harness.scenario import run_report, run_timings
from streamharness.scenarios.outbox.generator import OutboxPlan, generate_outbox
from streamharness.scenarios.outbox.oracles import evaluate
from streamharness.scenarios.outbox.reference import expected
from streamharness.scenarios.outbox.topology import MAPPING, MAX_RECEIVE_COUNT, VARIANTS, consumer_queues, topology

TOPOLOGY = "streamharness.scenarios.outbox.topology"  # both planted bugs are configuration


@dataclass(frozen=True, kw_only=True)
class OutboxConfig(ScenarioConfig):
    variants = VARIANTS

    orders: int = option(30, "Orders in the plan (2-3 outbox events each).", min=2)
    batch_size: int = option(10, "BatchSize of the publisher's event source mapping.", min=1, max=10_000)
    fanout: bool = option(False, "Publish to an SNS topic fanned out to two filtered queues instead of one queue.")
    consume_timeout: float = option(30.0, "Seconds the consumer step may poll the queues.", min=1)
    drain_timeout: float = 10.0   # how long a stalled shard may hold the publisher before it is reported


class OutboxToQueue(Scenario[OutboxConfig, OutboxPlan]):
    name = "outbox-to-queue"
    summary = "producer -> outbox table -> stream -> publisher -> SQS (or SNS fan-out) -> consumer, DLQs (article 004)"
    description = """Producer -> outbox table -> stream -> publisher -> SQS queue (or SNS topic -> two filtered
    queues) with a redrive DLQ -> consumer, a correlation id carried end to end.

    \b
    Checks: the publisher's shard never blocks; the poison record (a corrupt payload) alone is given up,
    to the OnFailure destination; everything else is published once, in order per order; the consumer
    acts once on each processable message; each DLQ holds exactly the messages that failed
    maxReceiveCount receives; nothing loops on a queue; every correlation id is found at every hop.
    Variants: fixed, no-bisect (a corrupt payload blocks the shard), no-consumer-dlq (a failing message
    loops)."""
    Config = OutboxConfig
    unit = "events"
    bugs = (
        Bug("a poison record without bisect stalls the shard: no BisectBatchOnFunctionError, no OnFailure "
            "destination, MaximumRetryAttempts -1", "outbox-to-queue", "no-bisect", "shard_not_blocked", TOPOLOGY,
            "maximum_retry_attempts=-1, bisect_batch_on_function_error=False"),
        Bug("a consumer queue without a DLQ loops: a message the consumer cannot process comes back for ever",
            "outbox-to-queue", "no-consumer-dlq", "no_looping_message", TOPOLOGY, "redrive = None  # planted"),
    )

    def generate(self, config: OutboxConfig) -> OutboxPlan:
        return generate_outbox(config.orders, config.seed)

    def topology(self, config: OutboxConfig, plan: OutboxPlan, workdir: Path) -> Topology:
        return topology(variant=config.variant, batch_size=config.batch_size, fanout=config.fanout)

    def drive(self, harness: Harness, config: OutboxConfig, plan: OutboxPlan, progress: Progress) -> None:
        progress.stage("producing", total=len(plan.events))
        functions = harness.runtime.functions
        for e in plan.events:
            result = functions.invoke(InvocationRequest("producer", {
                "headers": {"x-correlation-id": e.correlation_id},
                "body": {"order_id": e.order_id, "seq": e.seq, "event_type": e.event_type, "payload": e.payload}}))
            if not result.ok:
                raise RuntimeError(f"producer failed on {e.key}: {result.error_type}: {result.error_message}")
            progress.advance(1)
        progress.stage("publishing")
        try:
            harness.drain(config.drain_timeout)
        except DrainError as e:  # a blocked shard is what no-bisect plants: judged, not raised
            observe(harness.trace, "drain", {"ok": False, "error": str(e)})
        else:
            observe(harness.trace, "drain", {"ok": True, "error": None})
        progress.stage("consuming")
        _consume(harness, consumer_queues(config.fanout), config.consume_timeout)

    def observe(self, harness: Harness, config: OutboxConfig, plan: OutboxPlan) -> None:
        sqs = harness.client("sqs")
        dlqs = {q: drain_queue(sqs, harness.queue_url(f"{q}-dlq")) for q in consumer_queues(config.fanout)}
        observe(harness.trace, "dead_letters", {q: [m["correlation_id"] for m in msgs] for q, msgs in dlqs.items()})

    def evaluate(self, trace: Trace, config: OutboxConfig, plan: OutboxPlan) -> Report:
        want = expected(plan, fanout=config.fanout)
        obs = _read(trace, plan)
        latency = obs.pop("latency_ms")
        checks = evaluate(plan, want, drain_timeout=config.drain_timeout, **obs)
        summary = {**plan.summary(), "published": len(obs["published"]), "given_up": len(obs["isolated"]),
                   "receives": len(obs["receives"]), "consumed": len(obs["consumed"]),
                   "dead_lettered": sum(map(len, obs["dead_letters"].values())),
                   "left_on_queues": sum(map(len, obs["left"].values()))}
        timings = run_timings(trace, rate="events_per_s", count=len(plan.events), latency_ms=latency,
                              basis="consumed minus the producer's write, per correlation id")
        return run_report(trace, self.name, config, checks, summary=summary, timings=timings, mapping=MAPPING)


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A message as Lambda's SQS poller hands it to a function."""
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": message.get("Attributes", {}), "md5OfBody": message.get("MD5OfBody"),
            "messageAttributes": {k: {"stringValue": v.get("StringValue"), "dataType": v["DataType"]}
                                  for k, v in message.get("MessageAttributes", {}).items()},
            "eventSource": "aws:sqs", "eventSourceARN": queue_arn}


def _correlation_id(message: dict[str, Any]) -> str:
    return message.get("MessageAttributes", {}).get("correlation_id", {}).get("StringValue", "")


def _consume(harness: Harness, queues: list[str], timeout: float) -> None:
    """Lambda's SQS poller, played by the scenario (see the module's docstring)."""
    sqs, functions = harness.client("sqs"), harness.runtime.functions
    urls = {q: harness.queue_url(q) for q in queues}
    arns = {q: sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            for q, u in urls.items()}
    left: dict[str, dict[str, dict[str, Any]]] = {q: {} for q in queues}   # queue -> message id -> last seen
    deadline = time.monotonic() + timeout
    received = 1
    while time.monotonic() < deadline:
        wait = 0 if received else 1   # nothing visible: long-poll until a visibility timeout passes
        received = 0
        for q, url in urls.items():
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                      MessageAttributeNames=["All"], WaitTimeSeconds=wait).get("Messages", [])
            for m in got:
                received += 1
                cid, count = _correlation_id(m), int(m["Attributes"]["ApproximateReceiveCount"])
                result = functions.invoke(InvocationRequest(
                    "consumer", {"Records": [_sqs_record(m, arns[q])]}, attempt=count, tags={"source": f"queue:{q}"},
                    invoke_fields={"message_id": m["MessageId"], "correlation_id": cid}))
                observe(harness.trace, "receive", {"queue": q, "message_id": m["MessageId"], "correlation_id": cid,
                                                   "receive_count": count, "ok": result.ok})
                if result.ok:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    left[q].pop(m["MessageId"], None)
                else:
                    left[q][m["MessageId"]] = {"message_id": m["MessageId"], "correlation_id": cid,
                                               "receive_count": count}
        if received:
            continue
        counts = {q: _on_queue(sqs, u) for q, u in urls.items()}
        if not any(counts.values()):
            left = {q: {} for q in queues}   # what failed was redriven to the DLQ
            break
        waiting = [m for q in queues if counts[q] for m in left[q].values()]
        if len(waiting) == sum(counts.values()) and all(m["receive_count"] > MAX_RECEIVE_COUNT + 1 for m in waiting):
            break   # every message left would have been redriven by now: they are looping
    observe(harness.trace, "left",
            {q: sorted(msgs.values(), key=lambda m: m["message_id"]) for q, msgs in left.items()})


def _on_queue(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                   "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attrs["Attributes"].values())


def drain_queue(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message on a queue nobody consumes (a DLQ), received once each and left there."""
    out: dict[str, dict[str, Any]] = {}
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                  VisibilityTimeout=60, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return list(out.values())
        for m in got:
            out[m["MessageId"]] = {"message_id": m["MessageId"], "correlation_id": _correlation_id(m)}


def _read(trace: Trace, plan: OutboxPlan) -> dict[str, Any]:
    """What the oracles need, read off the trace."""
    records = {e["sequence_number"]: e for e in trace.of("record", mapping=MAPPING)}
    key_of = {seq: f"{r['keys']['order_id']['S']}#{r['keys']['seq']['N']}" for seq, r in records.items()}
    cid_of_key = {e.key: e.correlation_id for e in plan.events}
    hops: dict[str, list[str]] = {}

    def hop(cid: str, name: str) -> None:
        hops.setdefault(cid, [])
        if name not in hops[cid]:
            hops[cid].append(name)

    written = {}
    for line, event in trace.json_logs("producer", "outbox_written"):
        hop(line["correlation_id"], "producer")
        written[line["correlation_id"]] = event["t"]
    for inv in trace.of("invoke", mapping=MAPPING):
        for r in inv.get("event", {}).get("Records", []):
            hop(r["dynamodb"].get("NewImage", {}).get("correlation_id", {}).get("S", ""), "stream")
    published = [line for line, _ in trace.json_logs("publisher", "published")]
    for p in published:
        hop(p["correlation_id"], "publisher")
    isolated = []
    for g in trace.of("give_up", mapping=MAPPING):
        ok = any(d.get("ok") for d in trace.of("destination", batch_id=g.get("batch_id")))
        for seq in g["sequence_numbers"]:
            isolated.append({"key": key_of.get(seq, seq), "destination": g.get("destination"), "ok": ok})
            hop(cid_of_key.get(key_of.get(seq, ""), ""), "given_up")
    receives = observed_each(trace, "receive")
    for r in receives:
        hop(r["correlation_id"], f"queue:{r['queue']}")
    queue_of = {r["message_id"]: r["queue"] for r in receives}   # the logical name (the log has the physical one)
    consumed, latency = [], []
    for line, event in trace.json_logs("consumer"):
        hop(line["correlation_id"], "consumer")
        if line.get("event") == "consumed":
            consumed.append({"queue": queue_of.get(line["message_id"], line["queue"]),
                             "correlation_id": line["correlation_id"]})
            if line["correlation_id"] in written:
                latency.append((event["t"] - written[line["correlation_id"]]) * 1000)
    drain = observed(trace, "drain")
    return {"drain": drain, "stall": None if drain["ok"] else _stall(trace, key_of), "published": published,
            "isolated": isolated, "receives": receives, "dead_letters": observed(trace, "dead_letters"),
            "left": observed(trace, "left"), "consumed": consumed, "hops": hops, "latency_ms": latency}


def _stall(trace: Trace, key_of: dict[str, str]) -> dict[str, Any] | None:
    """The batch the publisher's mapping was still retrying when the drain gave up."""
    retries = trace.of("retry", mapping=MAPPING)
    if not retries:
        return None
    last = retries[-1]
    stuck = [e for e in trace.of("record", mapping=MAPPING) if e["sequence_number"] == last["first_sequence_number"]]
    errors = trace.of("error", function="publisher")
    batch = [i for i in trace.of("invoke", mapping=MAPPING) if i.get("batch_id") == last.get("batch_id")]
    seqs = batch[-1].get("sequence_numbers", []) if batch else [last["first_sequence_number"]]
    return {"record": key_of.get(last["first_sequence_number"], last["first_sequence_number"]),
            "batch": [key_of.get(s, s) for s in seqs], "retries": last["retry"],
            "age_s": round(last["t"] - stuck[0]["t"], 3) if stuck else 0.0,
            "error": errors[-1]["error_message"] if errors else last.get("reason")}
