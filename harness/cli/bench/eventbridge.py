"""PutEvents -> rule -> SQS target, with a backlog already in the queue, against PutEvents no rule matches.

Senders are separate processes calling PutEvents with 10 entries (plain boto3), so the figure measures the
backend (endpoint, routing, delivery, the queue), not the sender sharing its interpreter. The clock starts
when every sender is connected; with no rule matching it stops when the last PutEvents returns (entries
accepted/s); with the SQS rule it stops when every entry is in the queue (entries delivered/s), whoever
delivers them (the harness's dispatcher, or LocalStack's own EventBridge).
"""
from __future__ import annotations

import json
import multiprocessing as mp
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.cli.bench.loads import SLACK_S, MeasurementFailed, wait_ready

BATCH = 10
SOURCE = "bench.shop"
_DETAIL = json.dumps({"order_id": "o-1", "customer": "c-1", "total": 42.5, "items": [{"sku": "a", "qty": 1}]})


@dataclass(frozen=True)
class Delivery:
    entries: int
    seconds: float
    backlog: int
    delivered: int

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0


def topology() -> Any:
    """A bus, a queue and a rule sending the entries whose source is SOURCE to it."""
    from harness import EventBus, Queue, Rule, Target, Topology

    return Topology(name="bench-eventbridge", queues=[Queue("out")], event_buses=[EventBus("bench")],
                    rules=[Rule("orders", json.dumps({"source": [SOURCE]}), bus="bench",
                                targets=[Target("t", "queue:out")])])


def _send(env: Mapping[str, str], bus: str, source: str, calls: int, ready: Any, start: Any, failed: Any) -> None:
    """A sender process: ``calls`` PutEvents of BATCH entries from ``source``."""
    import boto3

    client = boto3.session.Session().client(
        "events", endpoint_url=env["AWS_ENDPOINT_URL_EVENTBRIDGE"], region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    entries = [{"Source": source, "DetailType": "Order Placed", "Detail": _DETAIL, "EventBusName": bus}] * BATCH
    for _ in range(3):  # connected, and the endpoint's code paths warm, before the clock starts
        client.put_events(Entries=[{**entries[0], "Source": "bench.warm-up"}])
    ready.release()
    start.wait()
    n = sum(client.put_events(Entries=entries)["FailedEntryCount"] for _ in range(calls))
    with failed.get_lock():
        failed.value += n


def fill(h: Any, count: int, progress: Callable[[int], None] = lambda n: None) -> int:
    """Put ``count`` messages in the queue (SendMessageBatch): a backlog nobody reads. The queue's depth."""
    sqs, url = h.client("sqs"), h.queue_url("out")
    entries = [{"Id": str(i), "MessageBody": '{"backlog": true}'} for i in range(BATCH)]
    for i in range(count // BATCH):
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if i % 500 == 499:
            progress((i + 1) * BATCH)
    return depth(h)


def depth(h: Any) -> int:
    attrs = h.client("sqs").get_queue_attributes(QueueUrl=h.queue_url("out"),
                                                 AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def measure(h: Any, matching: bool, entries: int, senders: int, backlog: int,
            deliver_timeout: float = SLACK_S) -> Delivery:
    """Send ``entries`` through ``h``'s bus from ``senders`` processes. ``matching``: from SOURCE, so the rule
    sends each to the queue, and wait until they are all there (at most ``deliver_timeout`` s: then the rate
    is of what arrived, and ``delivered`` says so); else from a source no rule matches (accepted/s)."""
    calls = max(1, entries // BATCH // senders)
    ctx = mp.get_context("spawn")
    ready, start, failed = ctx.Semaphore(0), ctx.Event(), ctx.Value("i", 0)
    source = SOURCE if matching else "bench.unmatched"
    procs = [ctx.Process(target=_send, args=(h.environment(), h.bus_name("bench"), source, calls, ready, start, failed))
             for _ in range(senders)]
    for p in procs:
        p.start()
    try:
        wait_ready(ready, procs, "PutEvents sender")
        t0 = time.perf_counter()
        start.set()
        for p in procs:
            p.join(SLACK_S)
        sent_s = time.perf_counter() - t0
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
    expected = calls * senders * BATCH
    if failed.value:
        raise MeasurementFailed(f"{failed.value} of {expected} PutEvents entries failed")
    if not matching:
        return Delivery(expected, sent_s, backlog, expected)
    deadline = time.monotonic() + deliver_timeout
    arrived = depth(h) - backlog
    while arrived < expected and time.monotonic() < deadline:
        time.sleep(0.02)  # polling the queue's depth: the condition is "every entry is in the queue"
        arrived = depth(h) - backlog
    return Delivery(expected, time.perf_counter() - t0, backlog, min(arrived, expected))


__all__ = ["BATCH", "Delivery", "depth", "fill", "measure", "topology"]
