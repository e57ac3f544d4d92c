"""Write -> handler latency on the embedded backend, MaximumBatchingWindowInSeconds 0.

Writes N items at a steady rate and prints p50/p95/p99/max of (handler start - write start), for
writes through the harness's client (which wakes the pollers at once) and through a plain boto3
client (adaptive polling alone, as for writes made by other processes).

    python benchmarks/bench_latency.py [--items 500] [--rate 100]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).parent))

from harness import EventSourceMapping, Function, Harness, Table, Topology  # noqa: E402
from harness.oracles.stats import percentiles  # noqa: E402


def measure(h: Harness, client, items: int, rate: float, tag: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    arrivals = h.runtime.invokers["fn"].handler.__globals__["ARRIVALS"]
    table = h.table_name("items")
    started: dict[str, float] = {}
    next_at = time.perf_counter()
    for i in range(items):
        key = f"{tag}-{i}"
        started[key] = time.time()
        client.put_item(TableName=table, Item={"k": {"S": key}})
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.perf_counter()))  # pacing the load generator, not waiting for work
    h.drain(30)
    lat = [(arrivals[k] - t) * 1000 for k, t in started.items()]
    out = percentiles(lat, (50, 95, 99, 100)) or {}
    out["n"] = len(lat)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=500)
    ap.add_argument("--rate", type=float, default=100.0, help="writes per second")
    args = ap.parse_args()
    topo = Topology(name="bench-latency", tables=[Table("items", "k", stream_view_type="KEYS_ONLY")],
                    functions=[Function("fn", "latency_handler:handler")],
                    event_source_mappings=[EventSourceMapping("fn", "items", batch_size=100)])
    with Harness(topo) as h:
        print(f"startup: {h.timings['startup_s']:.2f}s (servers {h.timings['backend_start_s']:.2f}s)")
        measure(h, h.client("dynamodb"), 200, args.rate, "warmup")
        nudged = measure(h, h.client("dynamodb"), args.items, args.rate, "nudged")
        plain = boto3.client("dynamodb")  # env points at the backend; no harness hook on this client
        polled = measure(h, plain, args.items, args.rate, "polled")
    for name, r in (("harness client", nudged), ("plain boto3   ", polled)):
        print(f"write -> handler latency, {name}: n={r['n']:.0f} p50={r['p50']:.1f}ms p95={r['p95']:.1f}ms "
              f"p99={r['p99']:.1f}ms max={r['p100']:.1f}ms")


if __name__ == "__main__":
    main()
