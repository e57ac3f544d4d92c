"""PutEvents -> rule -> SQS target, measured: entries/s delivered with a backlog already queued, the
PutEvents rate with no rule matching, their ratio, and optionally LocalStack's figure, in one run.

The senders are separate processes (``clients``) calling boto3 ``put_events`` with batches of 10,
as producers do, so the harness's interpreter is not shared with boto3's client-side cost. Each
repeat measures "no target" then "SQS target" back to back, each in a fresh harness; the figures
are medians over the repeats and the ratio is the median of the per-repeat ratios (a pair measured
seconds apart shares the machine's load). CPU seconds per entry (the harness process, the
senders) are reported too: unlike rates they barely move when other work shares the machine.

    from harness.perf import measure_sqs_target
    figures = measure_sqs_target(entries=20_000, queued=50_000, repeats=3)
    figures.to_dict()   # {"sqs_entries_per_s": ..., "no_target_entries_per_s": ..., "ratio": ..., ...}
"""
from __future__ import annotations

import json
import multiprocessing as mp
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

BATCH = 10
DETAIL = json.dumps({"order_id": "o-1", "customer": "c-1", "total": 42.5, "items": [{"sku": "a", "qty": 1}]})
SOURCE, DETAIL_TYPE = "bench.shop", "Order Placed"
#: Body of the backlog's messages (nobody reads them).
BACKLOG_BODY = '{"backlog": true}'


@dataclass
class Run:
    """One measurement: ``entries`` sent by the senders, seconds until all were delivered (or, with
    no target, accepted), CPU seconds of the serving process and of the senders."""

    target: str
    entries: int
    seconds: float
    server_cpu_s: float | None
    client_cpu_s: float
    backlog: int

    @property
    def rate(self) -> float:
        return self.entries / self.seconds


@dataclass
class SqsTargetFigures:
    """Medians over ``repeats``; ``ratio`` = median of the per-repeat SQS / no-target ratios."""

    sqs_entries_per_s: float
    no_target_entries_per_s: float
    ratio: float
    localstack_entries_per_s: float | None = None
    vs_localstack: float | None = None
    harness_cpu_us_per_entry: dict[str, float] = field(default_factory=dict)
    client_cpu_us_per_entry: float = 0.0
    entries: int = 0
    queued: int = 0
    clients: int = 1
    runs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _entries(bus: str) -> list[dict[str, Any]]:
    return [{"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": DETAIL, "EventBusName": bus}] * BATCH


def _send(endpoint: str, region: str, bus: str, calls: int, start: Any, results: Any) -> None:
    """A sender process: ``calls`` PutEvents of BATCH entries with a plain boto3 client; puts (failed
    entries, CPU seconds) on ``results``."""
    import boto3

    client = boto3.session.Session().client("events", endpoint_url=endpoint, region_name=region,
                                            aws_access_key_id="testing", aws_secret_access_key="testing")
    entries = _entries(bus)
    client.put_events(Entries=entries[:1])  # connect before the clock starts
    start.wait()
    cpu0, failed = time.process_time(), 0
    for _ in range(calls):
        failed += client.put_events(Entries=entries)["FailedEntryCount"]
    results.put((failed, time.process_time() - cpu0))


def _drive(endpoint: str, region: str, bus: str, entries: int, clients: int,
           delivered: Callable[[], int], done: Callable[[float], None], target: str, backlog: int,
           server_cpu: Callable[[], float] | None) -> Run:
    """Start the senders, time until every entry is sent (no target) or ``delivered() >= entries``."""
    ctx = mp.get_context("spawn")
    calls = entries // BATCH // clients
    start, results = ctx.Event(), ctx.Queue()
    senders = [ctx.Process(target=_send, args=(endpoint, region, bus, calls, start, results), daemon=True)
               for _ in range(clients)]
    for s in senders:
        s.start()
    try:
        deadline = time.monotonic() + 120
        while target != "none" and delivered() < clients and time.monotonic() < deadline:
            time.sleep(0.01)  # each sender's warm-up entry arrived
        done(30)
        base = delivered()
        cpu0 = server_cpu() if server_cpu else 0.0
        t0 = time.perf_counter()
        start.set()
        outcome = [results.get(timeout=600) for _ in senders]
        expected = calls * clients * BATCH
        if target != "none":
            done(600)
            while delivered() - base < expected:
                if time.perf_counter() - t0 > 600:
                    raise TimeoutError(f"{delivered() - base} of {expected} entries reached the queue in 600 s")
                time.sleep(0.005)
        seconds = time.perf_counter() - t0
        cpu = server_cpu() - cpu0 if server_cpu else None
    finally:
        for s in senders:
            s.join(10)
            if s.is_alive():
                s.terminate()
    failed = sum(f for f, _ in outcome)
    if failed:
        raise RuntimeError(f"{failed} PutEvents entries failed")
    return Run(target, expected, seconds, cpu, sum(c for _, c in outcome), backlog)


def _topology(target: str) -> Any:
    from harness import EventBus, Queue, Rule, Target, Topology

    pattern: dict[str, Any] = {"source": [SOURCE], "detail-type": [DETAIL_TYPE]}
    if target == "none":
        pattern = {"source": ["nothing.matches"]}
    return Topology(name="bench-sqs-target", queues=[Queue("out")], event_buses=[EventBus("bench")],
                    rules=[Rule("orders", pattern, bus="bench", targets=[Target("t", "queue:out")])])


def measure_harness(target: str, entries: int = 20_000, queued: int = 50_000, clients: int = 1) -> Run:
    """One run on the embedded backend: ``target`` "sqs" (a rule routes every entry to a queue holding
    ``queued`` messages) or "none" (no rule matches: PutEvents accepted/s)."""
    from harness import Harness

    with Harness(_topology(target)) as h:
        sqs = h.backend.messaging.sqs
        url = h.queue_url("out")
        batch = [{"Id": str(i), "MessageBody": BACKLOG_BODY} for i in range(BATCH)]
        for _ in range(queued // BATCH):
            sqs.send_message_batch(url, batch)

        def count() -> int:
            return int(sqs.get_queue_attributes(url, ["ApproximateNumberOfMessages"])["ApproximateNumberOfMessages"])

        env = h.environment()
        return _drive(env["AWS_ENDPOINT_URL_EVENTBRIDGE"], env["AWS_REGION"], h.bus_name("bench"), entries, clients,
                      lambda: count() - queued, h.drain, target, count(), time.process_time)


def measure_localstack(endpoint: str, entries: int = 20_000, queued: int = 50_000, clients: int = 1,
                       region: str = "us-east-1") -> Run:
    """The same PutEvents -> rule -> SQS target on a running LocalStack (which routes and delivers
    itself); its resources are created under a unique prefix and deleted after."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    events, sqs = session.client("events", endpoint_url=endpoint), session.client("sqs", endpoint_url=endpoint)
    name = f"sh-bench-{int(time.time() * 1000) % 10**9}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name=name)
    try:
        events.put_rule(Name=name, EventBusName=name,
                        EventPattern=json.dumps({"source": [SOURCE], "detail-type": [DETAIL_TYPE]}))
        events.put_targets(Rule=name, EventBusName=name, Targets=[{"Id": "t", "Arn": arn}])
        batch = [{"Id": str(i), "MessageBody": BACKLOG_BODY} for i in range(BATCH)]
        for _ in range(queued // BATCH):
            sqs.send_message_batch(QueueUrl=url, Entries=batch)

        def count() -> int:
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

        backlog = count()
        return _drive(endpoint, region, name, entries, clients, lambda: count() - backlog,
                      lambda _timeout: None, "sqs", backlog, None)
    finally:
        try:
            events.remove_targets(Rule=name, EventBusName=name, Ids=["t"])
            events.delete_rule(Name=name, EventBusName=name)
            events.delete_event_bus(Name=name)
        finally:
            sqs.delete_queue(QueueUrl=url)


def measure_sqs_target(entries: int = 20_000, queued: int = 50_000, clients: int = 1, repeats: int = 3,
                       localstack_endpoint: str | None = None,
                       progress: Callable[[str], None] = lambda _line: None) -> SqsTargetFigures:
    """(a) entries/s delivered to an SQS target holding ``queued`` messages, (b) PutEvents accepted/s
    with no rule matching, (c) their ratio, (d) with ``localstack_endpoint``, LocalStack's (a) and
    the harness's multiple of it. ``progress`` gets one line per run."""
    runs: list[Run] = []
    ratios, vs_ls = [], []
    for i in range(repeats):
        none = measure_harness("none", entries, queued, clients)
        sqs = measure_harness("sqs", entries, queued, clients)
        runs += [none, sqs]
        ratios.append(sqs.rate / none.rate)
        progress(f"repeat {i + 1}: no target {none.rate:,.0f}/s, SQS target {sqs.rate:,.0f}/s "
                 f"(backlog {sqs.backlog:,}), ratio {ratios[-1]:.2f}")
        if localstack_endpoint:
            ls = measure_localstack(localstack_endpoint, entries, queued, clients)
            runs.append(ls)
            vs_ls.append(sqs.rate / ls.rate)
            progress(f"repeat {i + 1}: LocalStack SQS target {ls.rate:,.0f}/s (backlog {ls.backlog:,})")

    harness_runs = [r for r in runs if r.server_cpu_s is not None]
    cpu = {t: round(statistics.median(r.server_cpu_s / r.entries * 1e6 for r in harness_runs  # type: ignore[operator]
                                      if r.target == t), 1) for t in ("none", "sqs")}
    ls_rate = statistics.median(r.rate for r in runs if r.server_cpu_s is None) if localstack_endpoint else None
    return SqsTargetFigures(
        sqs_entries_per_s=round(statistics.median(r.rate for r in harness_runs if r.target == "sqs"), 1),
        no_target_entries_per_s=round(statistics.median(r.rate for r in runs if r.target == "none"), 1),
        ratio=round(statistics.median(ratios), 3),
        localstack_entries_per_s=round(ls_rate, 1) if ls_rate is not None else None,
        vs_localstack=round(statistics.median(vs_ls), 2) if vs_ls else None,
        harness_cpu_us_per_entry=cpu,
        client_cpu_us_per_entry=round(statistics.median(r.client_cpu_s / r.entries * 1e6 for r in runs), 1),
        entries=entries, queued=queued, clients=clients,
        runs=[{**asdict(r), "rate": round(r.rate, 1)} for r in runs])


__all__ = ["Run", "SqsTargetFigures", "measure_harness", "measure_localstack", "measure_sqs_target"]
