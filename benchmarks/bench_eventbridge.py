"""PutEvents entries per second routed to a Lambda or SQS target, end to end, on the embedded backend.

boto3 ``put_events`` (batches of 10 entries) -> the harness's EventBridge endpoint -> rule match
-> dispatcher -> the in-process invoker running a trivial handler. The clock starts when the
senders start and stops when drain returns, i.e. when every entry has been handled. Prints the
rate (goal: >= 5,000 entries/s).

The senders are separate processes by default (``--clients N``), as producers usually are: then
the number measures the harness (endpoint + routing + delivery + invocation), not boto3's own
client-side cost sharing the harness's interpreter lock. ``--in-process`` sends from threads of
the harness process instead (as handlers calling PutEvents do); both are printed with --both.

``--target sqs`` routes to an SQS queue that already holds ``--queued`` messages (default 50,000)
instead; the clock stops when every entry is in the queue. ``--target none`` has no rule matching:
the rate is PutEvents accepted/s. ``--sqs-ratio`` runs ``none`` then ``sqs`` in one run and prints
delivered-to-SQS / accepted (goal: >= 0.5).

    .venv/bin/python benchmarks/bench_eventbridge.py [--entries 20000] [--clients 1] [--in-process | --both]
        [--target lambda|sqs|none] [--queued 50000] [--sqs-ratio] [--via-http] [--sqs harness|moto]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

COUNT = [0]
BATCH = 10


def handler(event: dict[str, Any], context: Any) -> None:
    """The trivial target: counts the events it got."""
    COUNT[0] += 1


def _entries(bus: str) -> list[dict[str, Any]]:
    detail = json.dumps({"order_id": "o-1", "customer": "c-1", "total": 42.5, "items": [{"sku": "a", "qty": 1}]})
    return [{"Source": "bench.shop", "DetailType": "Order Placed", "Detail": detail, "EventBusName": bus}] * BATCH


def _send(env: dict[str, str], bus: str, calls: int, start: Any, failed: Any) -> None:
    """A sender (thread or process): ``calls`` PutEvents of BATCH entries with a plain boto3 client."""
    import boto3

    client = boto3.session.Session().client(
        "events", endpoint_url=env["AWS_ENDPOINT_URL_EVENTBRIDGE"], region_name=env["AWS_REGION"],
        aws_access_key_id="testing", aws_secret_access_key="testing")
    entries = _entries(bus)
    client.put_events(Entries=entries[:1])  # connect before the clock starts ...
    start.wait()
    n = 0
    for _ in range(calls):
        n += client.put_events(Entries=entries)["FailedEntryCount"]
    with failed.get_lock():
        failed.value += n


def _topology(target: str) -> Any:
    from harness import EventBus, Function, Queue, Rule, Target, Topology

    arn = {"lambda": "function:fn", "sqs": "queue:out", "none": "function:fn"}[target]
    pattern: dict[str, Any] = {"source": ["bench.shop"], "detail-type": ["Order Placed"]}
    if target == "none":
        pattern = {"source": ["nothing.matches"]}
    return Topology(name="bench-eventbridge", functions=[Function("fn", "bench_eventbridge:handler")],
                    queues=[Queue("out")], event_buses=[EventBus("bench")],
                    rules=[Rule("orders", pattern, bus="bench", targets=[Target("t", arn)])])


def _fill(h: Any, count: int) -> int:
    """Put ``count`` messages in the target queue (SendMessageBatch), as a backlog nobody reads."""
    sqs, url = h.client("sqs"), h.queue_url("out")
    entries = [{"Id": str(i), "MessageBody": '{"backlog": true}'} for i in range(BATCH)]
    for _ in range(count // BATCH):
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    return _queued(h)


def _queued(h: Any) -> int:
    attrs = h.client("sqs").get_queue_attributes(QueueUrl=h.queue_url("out"),
                                                 AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def run(entries: int, clients: int, in_process: bool, target: str = "lambda", queued: int = 0,
        via_http: bool = False, sqs: str = "harness") -> dict[str, float]:
    from harness import Harness

    with Harness(_topology(target), sqs=sqs) as h:
        local = h.backend.messaging
        if via_http:  # the dispatcher then sends with boto3 over HTTP, as to any other backend
            h.backend.messaging = None
        try:
            return _measure(h, entries, clients, in_process, target, queued)
        finally:
            h.backend.messaging = local


def _measure(h: Any, entries: int, clients: int, in_process: bool, target: str, queued: int) -> dict[str, float]:
    bus, env = h.bus_name("bench"), h.environment()
    count = h.runtime.invokers["fn"].handler.__globals__["COUNT"]
    backlog = _fill(h, queued) if target == "sqs" else 0
    calls = entries // BATCH // clients
    ctx = mp.get_context("spawn")
    start, failed = ctx.Event(), ctx.Value("i", 0)
    if in_process:
        senders: list[Any] = [threading.Thread(target=_send, args=(env, bus, calls, start, failed))
                              for _ in range(clients)]
    else:
        senders = [ctx.Process(target=_send, args=(env, bus, calls, start, failed)) for _ in range(clients)]
    for s in senders:
        s.start()
    delivered = (lambda: count[0]) if target == "lambda" else (lambda: _queued(h) - backlog)
    while target != "none" and delivered() < clients:  # ... and let each sender's first event arrive
        time.sleep(0.01)
    h.drain(30)
    count[0], backlog = 0, _queued(h)
    t0 = time.perf_counter()
    start.set()
    for s in senders:
        s.join()
    put_s = time.perf_counter() - t0
    h.drain(300)
    total_s = time.perf_counter() - t0
    expected = calls * clients * BATCH
    assert failed.value == 0, f"{failed.value} entries failed"
    if target != "none":
        assert delivered() == expected, f"delivered {delivered()} of {expected}"
    else:
        total_s = put_s
    return {"entries": expected, "put_s": put_s, "total_s": total_s, "rate": expected / total_s,
            "backlog": backlog}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--clients", type=int, default=1, help="senders calling PutEvents (processes, or threads)")
    ap.add_argument("--target", choices=["lambda", "sqs", "none"], default="lambda")
    ap.add_argument("--queued", type=int, default=50_000, help="messages already in the SQS target's queue")
    ap.add_argument("--sqs-ratio", action="store_true", help="--target none, then sqs; print the ratio")
    ap.add_argument("--via-http", action="store_true", help="deliver to SQS with boto3 even when the queue is local")
    ap.add_argument("--sqs", choices=["harness", "moto"], default="harness", help="who serves SQS and SNS")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--in-process", action="store_true", help="send from threads of the harness process")
    mode.add_argument("--both", action="store_true", help="measure both ways")
    args = ap.parse_args()
    modes = [False, True] if args.both else [args.in_process]
    targets = ["none", "sqs"] if args.sqs_ratio else [args.target]
    for in_process in modes:
        rates = {}
        for target in targets:
            r = run(args.entries, args.clients, in_process, target, args.queued, args.via_http, args.sqs)
            rates[target] = r["rate"]
            where = "threads of the harness process" if in_process else "separate processes"
            what = {"lambda": "Lambda target, end to end", "none": "no rule matching, accepted",
                    "sqs": f"SQS target with {r['backlog']:,} messages queued, end to end"}[target]
            print(f"PutEvents -> {what}, {args.clients} sender(s) in {where}: "
                  f"{r['entries']} entries in {r['total_s']:.2f}s (PutEvents calls done after {r['put_s']:.2f}s)")
            print(f"{r['rate']:.0f} entries/s")
        if args.sqs_ratio:
            print(f"delivered to SQS / accepted with no target: {rates['sqs'] / rates['none']:.2f}")


if __name__ == "__main__":
    main()
