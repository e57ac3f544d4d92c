"""ip-dedup end to end vs the backend's raw write ceiling, and write -> handler latency, in one run.

Each repetition measures, on a fresh embedded backend each time:
1. the raw ceiling: the scenario's own UpdateItem writes (its write function, the same producers)
   into the same table (stream on) with nothing attached;
2. the scenario in live mode (``harness run ip-dedup --live``): every packet written while the
   detector runs, then one drain; events/s = packets / (first write to end of the drain), the run
   judged exact by the live oracles; write -> handler p50/p95/p99 at window 0 from its trace.
The ratio is taken within each repetition (the machine may be shared), and the medians printed;
so is the CPU each party spent per packet (writers, backend servers, the harness) in each phase:
when the machine is saturated, raw / end-to-end CPU per packet is what bounds the throughput ratio.

    python benchmarks/bench_e2e.py [--packets 10000] [--ips 2000] [--producers 4] [--repeats 3]

From Python: ``measure_e2e(packets=..., ips=..., producers=..., repeats=...)`` returns the dict printed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import time
import statistics
from pathlib import Path
from typing import Any

from harness import Harness, Table, Topology
from harness.scenario import observed, run_traced
from streamharness.scenarios.ip_dedup.scenario import IpDedup, IpDedupConfig
from streamharness.scenarios.ip_dedup.writers import PacketWriters

GOAL_RATIO, GOAL_P99_MS = 0.8, 100.0


class CpuMeter:
    """CPU seconds spent by this process (the harness), its finished children (the writers) and the
    backend's servers while a phase runs: on a saturated machine the throughput ratio tends to the
    ratio of CPU per packet, which other work on the machine disturbs less than wall time."""

    def __init__(self, h: Harness) -> None:
        self.servers = [p.pid for p in getattr(h.backend, "processes", []) if p.pid]
        self.start = self._sample()

    def _sample(self) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        servers = 0.0
        for pid in self.servers:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            servers += (int(fields[11]) + int(fields[12])) / tick
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"harness": time.process_time(), "writers": children.ru_utime + children.ru_stime, "backend": servers}

    def stop(self) -> dict[str, float]:
        end = self._sample()
        return {k: end[k] - self.start[k] for k in end}


def raw_ceiling(config: IpDedupConfig) -> dict[str, Any]:
    """UpdateItem/s of the scenario's writes with no pipeline: its table alone, same producers."""
    plan = IpDedup().generate(config)
    table = Table("ips", hash_key="ip", stream_view_type="NEW_AND_OLD_IMAGES")
    with Harness(Topology(name="bench-raw", tables=[table])) as h:
        meter = CpuMeter(h)
        with PacketWriters(h.table_name("ips"), config.producers) as writers:
            started, finished = writers.write(list(plan.iter_packets()))
        cpu = meter.stop()
    return {"writes_per_s": plan.packets / (finished - started), "seconds": finished - started, "cpu_s": cpu}


class _Metered(IpDedup):
    """The scenario, with the CPU its drive (writes and the final drain) costs each party."""

    cpu: dict[str, float] = {}

    def drive(self, harness: Harness, config: IpDedupConfig, plan: Any, progress: Any) -> None:
        meter = CpuMeter(harness)
        super().drive(harness, config, plan, progress)
        type(self).cpu = meter.stop()


def end_to_end(config: IpDedupConfig) -> dict[str, Any]:
    """The live scenario: packets/s through the whole pipeline and write -> handler percentiles."""
    scenario = _Metered()
    report, trace = run_traced(scenario, config)
    live = observed(trace, "live_run")
    seconds = live["drained"] - live["started"]
    return {"events_per_s": config.packets / seconds, "seconds": seconds, "passed": report.passed,
            "latency_ms": report.timings["latency_ms"], "cpu_s": scenario.cpu,
            "failed_checks": [c.name for c in report.checks if not c.passed]}


def measure_e2e(*, packets: int = 10_000, ips: int = 2_000, producers: int = 4, repeats: int = 3,
                seed: int = 7, batch_size: int = 100) -> dict[str, Any]:
    """Medians over ``repeats`` of: raw ceiling, end-to-end events/s, their ratio (per repetition), latency."""
    config = IpDedupConfig(packets=packets, ips=ips, slots=1, seed=seed, producers=producers, live=True,
                           batch_size=batch_size, window=0)
    runs = []
    for _ in range(repeats):
        raw = raw_ceiling(config)
        e2e = end_to_end(config)
        runs.append({"raw_writes_per_s": round(raw["writes_per_s"], 1),
                     "e2e_events_per_s": round(e2e["events_per_s"], 1),
                     "ratio": round(e2e["events_per_s"] / raw["writes_per_s"], 3),
                     "cpu_ms_per_packet": {"raw": _per_packet(raw["cpu_s"], packets),
                                           "e2e": _per_packet(e2e["cpu_s"], packets)},
                     "cpu_ratio": round(sum(raw["cpu_s"].values()) / sum(e2e["cpu_s"].values()), 3),
                     "latency_ms": e2e["latency_ms"], "passed": e2e["passed"],
                     "failed_checks": e2e["failed_checks"]})

    def med(f: Any) -> float:
        return round(statistics.median(f(r) for r in runs), 3)

    return {"packets": packets, "ips": ips, "producers": producers, "repeats": repeats,
            "raw_writes_per_s": med(lambda r: r["raw_writes_per_s"]),
            "e2e_events_per_s": med(lambda r: r["e2e_events_per_s"]),
            "ratio": med(lambda r: r["ratio"]), "goal_ratio": GOAL_RATIO, "cpu_ratio": med(lambda r: r["cpu_ratio"]),
            "latency_p50_ms": med(lambda r: r["latency_ms"]["p50"]),
            "latency_p95_ms": med(lambda r: r["latency_ms"]["p95"]),
            "latency_p99_ms": med(lambda r: r["latency_ms"]["p99"]), "goal_p99_ms": GOAL_P99_MS,
            "all_passed": all(r["passed"] for r in runs), "runs": runs}


def _per_packet(cpu: dict[str, float], packets: int) -> dict[str, float]:
    return {k: round(v * 1000 / packets, 3) for k, v in cpu.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, default=10_000)
    ap.add_argument("--ips", type=int, default=2_000)
    ap.add_argument("--producers", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, help="write the result here too")
    args = ap.parse_args()
    result = measure_e2e(packets=args.packets, ips=args.ips, producers=args.producers, repeats=args.repeats)
    for r in result["runs"]:
        print(f"raw {r['raw_writes_per_s']:.0f}/s  e2e {r['e2e_events_per_s']:.0f}/s  ratio {r['ratio']:.2f}  "
              f"p99 {r['latency_ms']['p99']:.1f} ms  CPU ms/packet raw {r['cpu_ms_per_packet']['raw']} "
              f"e2e {r['cpu_ms_per_packet']['e2e']} (ratio {r['cpu_ratio']:.2f})  {'exact' if r['passed'] else 'FAILED ' + str(r['failed_checks'])}")
    print(f"median of {args.repeats}: ratio {result['ratio']:.2f} (goal >= {GOAL_RATIO}), "
          f"write -> handler p50 {result['latency_p50_ms']:.1f} / p95 {result['latency_p95_ms']:.1f} / "
          f"p99 {result['latency_p99_ms']:.1f} ms (goal < {GOAL_P99_MS:.0f}); raw {result['raw_writes_per_s']:.0f}/s, "
          f"e2e {result['e2e_events_per_s']:.0f}/s; CPU per packet raw/e2e {result['cpu_ratio']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
