"""PutEvents entries per second routed to a Lambda target, end to end, on the embedded backend.

boto3 ``put_events`` (batches of 10 entries) -> the harness's EventBridge endpoint -> rule match
-> dispatcher -> the in-process invoker running a trivial handler. The clock starts when the
senders start and stops when drain returns, i.e. when every entry has been handled. Prints the
rate (goal: >= 5,000 entries/s).

The senders are separate processes by default (``--clients N``), as producers usually are: then
the number measures the harness (endpoint + routing + delivery + invocation), not boto3's own
client-side cost sharing the harness's interpreter lock. ``--in-process`` sends from threads of
the harness process instead (as handlers calling PutEvents do); both are printed with --both.

PutEvents -> rule -> SQS target with a backlog in the queue, against PutEvents no rule matches, is
section 6 of ``harness bench``.

    .venv/bin/python benchmarks/bench_eventbridge.py [--entries 20000] [--clients 1] [--in-process | --both]
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


def _topology() -> Any:
    from harness import EventBus, Function, Rule, Target, Topology

    pattern = {"source": ["bench.shop"], "detail-type": ["Order Placed"]}
    return Topology(name="bench-eventbridge", functions=[Function("fn", "bench_eventbridge:handler")],
                    event_buses=[EventBus("bench")],
                    rules=[Rule("orders", pattern, bus="bench", targets=[Target("t", "function:fn")])])


def run(entries: int, clients: int, in_process: bool) -> dict[str, float]:
    from harness import Harness

    with Harness(_topology()) as h:
        bus, env = h.bus_name("bench"), h.environment()
        count = h.runtime.invokers["fn"].handler.__globals__["COUNT"]
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
        while count[0] < clients:  # ... and let each sender's first event arrive
            time.sleep(0.01)
        h.drain(30)
        count[0] = 0
        t0 = time.perf_counter()
        start.set()
        for s in senders:
            s.join()
        put_s = time.perf_counter() - t0
        h.drain(300)
        total_s = time.perf_counter() - t0
    expected = calls * clients * BATCH
    assert failed.value == 0, f"{failed.value} entries failed"
    assert count[0] == expected, f"delivered {count[0]} of {expected}"
    return {"entries": expected, "put_s": put_s, "total_s": total_s, "rate": expected / total_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--clients", type=int, default=1, help="senders calling PutEvents (processes, or threads)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--in-process", action="store_true", help="send from threads of the harness process")
    mode.add_argument("--both", action="store_true", help="measure both ways")
    args = ap.parse_args()
    for in_process in [False, True] if args.both else [args.in_process]:
        r = run(args.entries, args.clients, in_process)
        where = "threads of the harness process" if in_process else "separate processes"
        print(f"PutEvents -> Lambda target, end to end, {args.clients} sender(s) in {where}: "
              f"{r['entries']} entries in {r['total_s']:.2f}s (PutEvents calls done after {r['put_s']:.2f}s)")
        print(f"{r['rate']:.0f} entries/s")


if __name__ == "__main__":
    main()
