"""Run the IP-dedup scenario end to end and build its report.

Each slot is written while the detector's mapping is disabled, then the mapping is enabled and the
pipeline drained. That is what makes a slot a dedup window: every packet of the slot is in the
table before the detector deletes anything, so an IP is INSERTed (and checked) once per slot, and
the expected number of checks is exact rather than timing-dependent.
"""
from __future__ import annotations

import bisect
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from harness import Harness, Trace
from harness.oracles import all_passed
from harness.oracles.stats import percentiles
from streamharness.scenarios.ip_dedup.generator import Flood, Packet, generate_flood
from streamharness.scenarios.ip_dedup.oracles import evaluate
from streamharness.scenarios.ip_dedup.topology import MAPPING, VARIANTS, topology

Progress = Callable[[int], None]


@dataclass(frozen=True)
class IpDedupConfig:
    packets: int = 5000
    ips: int = 400
    slots: int = 5
    seed: int = 7
    batch_size: int = 100
    window: int = 0
    dangerous_fraction: float = 0.05
    bursts: int = 0
    burst_size: int = 0
    producers: int = 4
    variant: str = "detector"
    backend: str = "embedded"
    drain_timeout: float = 120.0

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {self.variant!r}")
        if not 1 <= self.producers <= 64:
            raise ValueError(f"producers must be between 1 and 64, not {self.producers}")


def _write_slot(ddb: Any, table: str, slot: Sequence[Packet], producers: int, progress: Progress | None) -> None:
    """Upsert every packet's source IP; ``written_at`` keeps the first write's time (the INSERT's)."""
    def write(chunk: Sequence[Packet]) -> None:
        for i, p in enumerate(chunk, 1):
            now = {"N": repr(time.time())}
            ddb.update_item(
                TableName=table, Key={"ip": {"S": p.ip}},
                UpdateExpression="SET last_seen = :ts, protocol = :proto, written_at = if_not_exists(written_at, :now) "
                                 "ADD packets :one",
                ExpressionAttributeValues={":ts": {"N": repr(p.ts)}, ":proto": {"S": p.protocol},
                                           ":now": now, ":one": {"N": "1"}})
            if progress and i % 50 == 0:
                progress(50)
        if progress and len(chunk) % 50:
            progress(len(chunk) % 50)

    chunks = [slot[i::producers] for i in range(producers)]
    with ThreadPoolExecutor(producers, thread_name_prefix="producer") as pool:
        for f in [pool.submit(write, c) for c in chunks if c]:
            f.result()


def _receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not msgs:
            return bodies
        bodies += [json.loads(m["Body"]) for m in msgs]
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])


def observe(trace: Trace) -> dict[str, Any]:
    """What the oracles need, read off the trace."""
    records = [(e["keys"]["ip"]["S"], e["event_name"]) for e in trace.of("record", mapping=MAPPING)]
    delivered: Counter[str] = Counter()
    for e in trace.of("invoke", mapping=MAPPING):
        delivered.update(e["event_names"])
    checked = [line["ip"] for line, _ in trace.json_logs("detector", "ip_checked")]
    return {"records": records, "delivered_event_names": dict(delivered), "checked_ips": checked}


def latencies_ms(trace: Trace, resumes: Sequence[float]) -> list[float]:
    """Write -> handler start, counted from when the record became deliverable (its slot's resume)."""
    out = []
    for e in trace.of("invoke", mapping=MAPPING, attempt=1):
        for r in e.get("event", {}).get("Records", []):
            written = r["dynamodb"].get("NewImage", {}).get("written_at", {}).get("N")
            if written is None:
                continue
            w = float(written)
            i = bisect.bisect_left(resumes, w)
            ready = max(w, resumes[i]) if i < len(resumes) else w
            out.append((e["t"] - ready) * 1000)
    return out


def make_flood(cfg: IpDedupConfig) -> Flood:
    """Generate the flood (raises ValueError naming a bad argument before anything starts)."""
    return generate_flood(cfg.packets, cfg.ips, cfg.slots, cfg.seed, dangerous_fraction=cfg.dangerous_fraction,
                          bursts=cfg.bursts, burst_size=cfg.burst_size)


def run(cfg: IpDedupConfig, *, flood: Flood | None = None, progress: Progress | None = None,
        trace_path: str | None = None, on_slot: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    flood = flood or make_flood(cfg)
    with tempfile.TemporaryDirectory(prefix="ip-dedup-") as tmp:
        blocklist_path = os.path.join(tmp, "blocklist.json")
        with open(blocklist_path, "w") as f:
            f.write(flood.blocklist.to_json())
        topo = topology(blocklist_path=blocklist_path, batch_size=cfg.batch_size, window=cfg.window,
                        handler=VARIANTS[cfg.variant])
        with Harness(topo, backend=cfg.backend) as h:
            ddb, table = h.client("dynamodb"), h.table_name("ips")
            resumes: list[float] = []
            t0 = time.perf_counter()
            for k, slot in enumerate(flood.slots):
                if on_slot:
                    on_slot(k, len(flood.slots))
                with h.paused(MAPPING):
                    _write_slot(ddb, table, slot, cfg.producers, progress)
                resumes.append(time.time())
                h.drain(cfg.drain_timeout)
            run_s = time.perf_counter() - t0
            alerts = _receive_all(h.client("sqs"), h.queue_url("alerts"))
            item_count = ddb.scan(TableName=table, Select="COUNT")["Count"]
            stats = h.stats()[MAPPING]
            timings = dict(h.timings)
            backend_warnings = list(h.backend.warnings)
        if trace_path:
            h.trace.write_jsonl(trace_path)
    return build_report(cfg, flood, h.trace, alerts=[a["ip"] for a in alerts], item_count=item_count,
                        run_s=run_s, startup_s=timings["startup_s"], resumes=resumes,
                        stats=stats.as_dict(), warnings=backend_warnings)


def build_report(cfg: IpDedupConfig, flood: Flood, trace: Trace, *, alerts: Sequence[str], item_count: int,
                 run_s: float, startup_s: float, resumes: Sequence[float], stats: dict[str, int],
                 warnings: Sequence[str] = ()) -> dict[str, Any]:
    obs = observe(trace)
    checks = evaluate(flood, delivered_event_names=obs["delivered_event_names"], checked_ips=obs["checked_ips"],
                      records=obs["records"], alerted_ips=alerts, item_count=item_count)
    stream_records = Counter(name for _, name in obs["records"])
    return {
        "scenario": "ip-dedup",
        "variant": cfg.variant,
        "backend": cfg.backend,
        "seed": cfg.seed,
        "packets": flood.packets,
        "distinct_ips": len(flood.distinct_ips),
        "slots": len(flood.slots),
        "batch_size": cfg.batch_size,
        "window": cfg.window,
        "checks": len(obs["checked_ips"]),
        "expected_checks": flood.expected_checks(),
        "stream_records": {k: stream_records.get(k, 0) for k in ("INSERT", "MODIFY", "REMOVE")},
        "delivered_event_names": obs["delivered_event_names"],
        "alerts": len(alerts),
        "dangerous_ips_seen": len(flood.dangerous_seen()),
        "mapping_stats": stats,
        "passed": all_passed(checks),
        "checks_detail": [c.to_dict() for c in checks],
        "timings": {
            "startup_s": round(startup_s, 3),
            "run_s": round(run_s, 3),
            "packets_per_s": round(flood.packets / run_s, 1) if run_s else None,
            "latency_ms": percentiles(latencies_ms(trace, resumes)),
            "latency_basis": "handler start minus max(write time, its slot's resume): slots are written "
                             "with the mapping disabled",
        },
        "warnings": list(warnings),
    }
