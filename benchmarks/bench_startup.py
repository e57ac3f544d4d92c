"""Embedded backend start -> ready, warm (DynamoDB Local already cached), over several runs.

    python benchmarks/bench_startup.py [--runs 5] [--moto]

``--moto`` starts a moto server for SQS and SNS (``EmbeddedBackend(sqs="moto")``), as the embedded
backend did before it served them itself.
"""
from __future__ import annotations

import argparse
import statistics
import time

from harness import Harness, Table, Topology


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--moto", action="store_true", help="SQS and SNS from a moto server")
    args = ap.parse_args()
    options = {"sqs": "moto"} if args.moto else {}
    servers, total = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        with Harness(Topology(name="bench-startup", tables=[Table("items", "k")]), **options) as h:
            total.append(time.perf_counter() - t0)
            servers.append(h.timings["backend_start_s"])
    print(f"servers ready: median {statistics.median(servers):.2f}s  max {max(servers):.2f}s")
    print(f"harness ready (servers + deploy + runtime): median {statistics.median(total):.2f}s  "
          f"max {max(total):.2f}s  over {args.runs} runs")


if __name__ == "__main__":
    main()
