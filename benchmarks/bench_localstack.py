"""LocalStack (host mode, started by the harness) next to the embedded backend: start -> ready,
put_item/s, write -> handler latency, ip-dedup packets/s. Also prints how long LocalStack's first
install took (recorded in the cache when it was made).

    python benchmarks/bench_localstack.py [--runs 3] [--puts 300] [--items 300] [--packets 2000]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_latency import measure  # noqa: E402

from harness import EventSourceMapping, Function, Harness, Table, Topology  # noqa: E402
from harness.backends.localstack.install import ensure_installed, home  # noqa: E402
from harness.scenario import run  # noqa: E402
from streamharness.scenarios.ip_dedup.scenario import IpDedup, IpDedupConfig  # noqa: E402

BACKENDS: dict[str, dict[str, Any]] = {"embedded": {}, "localstack": {"start": "always"}}


def start_to_ready(backend: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        with Harness(Topology(name="bench-ls-start", tables=[Table("items", "k")]), backend=backend,
                     **BACKENDS[backend]):
            times.append(time.perf_counter() - t0)
    return times


def puts_and_latency(backend: str, puts: int, items: int, rate: float) -> tuple[float, dict[str, float]]:
    topo = Topology(name="bench-ls", tables=[Table("items", "k", stream_view_type="KEYS_ONLY"), Table("plain", "k")],
                    functions=[Function("fn", "latency_handler:handler")],
                    event_source_mappings=[EventSourceMapping("fn", "items", batch_size=100)])
    with Harness(topo, backend=backend, **BACKENDS[backend]) as h:
        ddb, table = h.client("dynamodb"), h.table_name("plain")
        for i in range(20):  # warm the connection and the server
            ddb.put_item(TableName=table, Item={"k": {"S": f"w{i}"}})
        t0 = time.perf_counter()
        for i in range(puts):
            ddb.put_item(TableName=table, Item={"k": {"S": str(i)}})
        rate_put = puts / (time.perf_counter() - t0)
        measure(h, ddb, 50, rate, "warmup")
        return rate_put, measure(h, ddb, items, rate, "nudged")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--puts", type=int, default=300)
    ap.add_argument("--items", type=int, default=300)
    ap.add_argument("--rate", type=float, default=20.0, help="writes per second for the latency run")
    ap.add_argument("--packets", type=int, default=2000)
    args = ap.parse_args()
    ensure_installed()
    stamp = json.loads((home() / "installed.json").read_text())
    print(f"localstack first install (venv + offline set-up): {stamp['install_s']:.0f}s")
    for backend in BACKENDS:
        starts = start_to_ready(backend, args.runs)
        rate_put, lat = puts_and_latency(backend, args.puts, args.items, args.rate)
        report = run(IpDedup(), IpDedupConfig(packets=args.packets, ips=args.packets // 10, slots=4),
                     backend=_started(backend))
        print(f"{backend:10} start->ready median {statistics.median(starts):.1f}s max {max(starts):.1f}s | "
              f"put_item {rate_put:.0f}/s | write->handler p50 {lat['p50']:.0f}ms p99 {lat['p99']:.0f}ms "
              f"(n={lat['n']:.0f}) | ip-dedup {report.timings['packets_per_s']} packets/s "
              f"({'PASSED' if report.passed else 'FAILED'})", flush=True)
        _stop_started()


_LS: list[Any] = []


def _started(name: str) -> Any:
    """A backend for the ip-dedup run (its start is measured above, not here)."""
    from harness.backends import create_backend

    backend = create_backend(name, **BACKENDS[name])
    backend.start()
    _LS.append(backend)
    return backend


def _stop_started() -> None:
    while _LS:
        _LS.pop().stop()


if __name__ == "__main__":
    main()
