"""The IP-dedup scenario on the Scenario seam: config, drive, observe and the report.

Each slot is written while the detector's mapping is disabled, then the mapping is enabled and the
pipeline drained. That is what makes a slot a dedup window: every packet of the slot is in the
table before the detector deletes anything, so an IP is INSERTed (and checked) once per slot, and
the expected number of checks is exact rather than timing-dependent.
"""
from __future__ import annotations

import bisect
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import Harness, Topology, Trace
from harness.scenario.matrix import Reliability
from harness.scenario import Bug, Progress, Report, Scenario, ScenarioConfig, observe, observed, observed_each, option
from harness.scenario import run_report, run_timings
from streamharness.scenarios.ip_dedup.generator import Flood, Packet, generate_flood
from streamharness.scenarios.ip_dedup.oracles import evaluate, evaluate_live
from streamharness.scenarios.ip_dedup.topology import MAPPING, VARIANTS, topology
from streamharness.scenarios.ip_dedup.writers import PacketWriters


@dataclass(frozen=True, kw_only=True)
class IpDedupConfig(ScenarioConfig):
    variants = tuple(VARIANTS)  # "forgets-delete" is a buggy detector the oracles must catch

    packets: int = option(5000, "Packets in the flood.", min=1)
    ips: int = option(400, "Distinct source IPs.", min=1)
    slots: int = option(5, "Time slots; the pipeline is drained between slots.", min=1)
    batch_size: int = option(100, "BatchSize of the detector's event source mapping.", min=1, max=10_000)
    window: int = option(0, "MaximumBatchingWindowInSeconds of the mapping.", min=0, max=300)
    dangerous_fraction: float = option(0.05, "Fraction of the IPs the blocklist covers.", min=0, max=1)
    bursts: int = option(0, "Bursts of packets from one IP.", min=0)
    burst_size: int = option(0, "Packets per burst.", min=0)
    producers: int = option(4, "Writer processes (order within a slot does not change the result).", min=1, max=64)
    live: bool = option(False, "Live mode: write every packet while the detector runs (no slots), judged by "
                               "the checks that stay exact under any interleaving.")


class IpDedup(Scenario[IpDedupConfig, Flood]):
    name = "ip-dedup"
    summary = "packet flood -> table keyed by ip -> INSERT-only stream -> detector; one check per IP per slot"
    description = """Packet flood -> table keyed by ip -> stream (INSERT-only filter) -> detector.

    \b
    Checks: INSERT-only delivery, the exact dedup count (sum over slots of distinct IPs),
    INSERT (MODIFY*) REMOVE per IP, alerts for exactly the dangerous IPs, an empty table.
    Variants: fixed (the correct detector), forgets-delete (a bug the oracles must catch)."""
    Config = IpDedupConfig
    unit = "packets"
    bugs = (Bug("the detector forgets the delete: a returning IP's packets are MODIFYs, filtered out, never "
                "checked again", "ip-dedup", "forgets-delete", "dedup_count",
                "streamharness.scenarios.ip_dedup.handlers", "_check(record)  # planted"),)
    reliability = Reliability(small={"packets": 300, "ips": 40, "slots": 2, "batch_size": 20, "producers": 1},
                              poison_key=lambda plan: plan.slots[0][0].ip)
    causes = {
        "insert_only": ["the mapping's FilterCriteria does not keep INSERTs only (a MODIFY or REMOVE reached the "
                        "detector)"],
        "dedup_count": ["the detector does not delete the item, so later packets of an IP are MODIFYs (filtered out) "
                        "and the IP is never checked again",
                        "the detector checks an IP more than once per slot, e.g. it does not filter MODIFYs"],
        "per_ip_alternation": ["an IP's item is not deleted after its check, so its stream reads INSERT MODIFY "
                               "MODIFY ... instead of INSERT ... REMOVE",
                               "a check was logged for a record that was not an INSERT"],
        "alerts": ["the detector does not send an alert for a dangerous IP it never checked (see dedup_count)",
                   "the detector alerts for an IP that is not on the blocklist"],
        "table_empty": ["the detector does not delete the items it checked"],
    }

    def generate(self, config: IpDedupConfig) -> Flood:
        return generate_flood(config.packets, config.ips, config.slots, config.seed,
                              dangerous_fraction=config.dangerous_fraction, bursts=config.bursts,
                              burst_size=config.burst_size)

    def topology(self, config: IpDedupConfig, plan: Flood, workdir: Path) -> Topology:
        blocklist = workdir / "blocklist.json"
        blocklist.write_text(plan.blocklist.to_json())
        return topology(blocklist_path=str(blocklist), batch_size=config.batch_size, window=config.window,
                        handler=VARIANTS[config.variant])

    def drive(self, harness: Harness, config: IpDedupConfig, plan: Flood, progress: Progress) -> None:
        with PacketWriters(harness.table_name("ips"), config.producers) as writers:
            if config.live:
                progress.stage("writing while the detector runs", total=plan.packets)
                started, written = writers.write(list(plan.iter_packets()), progress)
                harness.drain(config.drain_timeout)
                observe(harness.trace, "live_run", {"started": started, "written": written, "drained": time.time()})
                return
            for k, slot in enumerate(plan.slots):
                progress.stage(f"slot {k + 1}/{len(plan.slots)}", total=plan.packets)
                with harness.paused(MAPPING):
                    writers.write(slot, progress)
                observe(harness.trace, "slot_resumed", time.time())  # when the slot's records became deliverable
                harness.drain(config.drain_timeout)

    def observe(self, harness: Harness, config: IpDedupConfig, plan: Flood) -> None:
        alerts = _receive_all(harness.client("sqs"), harness.queue_url("alerts"))
        observe(harness.trace, "alerts_received", alerts)
        items = harness.client("dynamodb").scan(TableName=harness.table_name("ips"), Select="COUNT")["Count"]
        observe(harness.trace, "items_left", items)

    def evaluate(self, trace: Trace, config: IpDedupConfig, plan: Flood) -> Report:
        records = [(e["keys"]["ip"]["S"], e["event_name"]) for e in trace.of("record", mapping=MAPPING)]
        delivered: Counter[str] = Counter()
        for e in trace.of("invoke", mapping=MAPPING):
            delivered.update(e["event_names"])
        checked = [line["ip"] for line, _ in trace.json_logs("detector", "ip_checked")]
        alerts = [a["ip"] for a in observed(trace, "alerts_received")]
        judged = dict(delivered_event_names=dict(delivered), checked_ips=checked, records=records, alerted_ips=alerts,
                      item_count=observed(trace, "items_left"))
        checks = evaluate_live(plan, **judged, writes_ok=plan.packets) if config.live else evaluate(plan, **judged)
        stream_records = Counter(name for _, name in records)
        summary = {
            "packets": plan.packets, "distinct_ips": len(plan.distinct_ips), "slots": len(plan.slots),
            "batch_size": config.batch_size, "window": config.window, "checks": len(checked),
            "expected_checks": None if config.live else plan.expected_checks(),  # live: timing decides
            "stream_records": {k: stream_records.get(k, 0) for k in ("INSERT", "MODIFY", "REMOVE")},
            "delivered_event_names": dict(delivered), "alerts": len(alerts),
            "dangerous_ips_seen": len(plan.dangerous_seen()),
        }
        timings = run_timings(trace, rate="packets_per_s", count=plan.packets,
                              latency_ms=latencies_ms(trace, observed_each(trace, "slot_resumed")),
                              basis="handler start minus the write time (live mode)" if config.live else
                                    "handler start minus max(write time, its slot's resume): slots are written "
                                    "with the mapping disabled")
        return run_report(trace, self.name, config, checks, summary=summary, timings=timings, mapping=MAPPING)


def _receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not msgs:
            return bodies
        bodies += [json.loads(m["Body"]) for m in msgs]
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])


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
