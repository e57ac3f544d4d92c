"""ip-dedup under Locust load, in live mode: packets are written while the detector runs (no slots).

With no slot boundaries the number of checks per IP depends on timing, so the live oracles are the
ones that stay exact whatever the interleaving: per IP, detector checks == INSERT records and the
records read INSERT (MODIFY*) REMOVE ...; alerts for exactly the dangerous IPs that were inserted; the
table empty after the final drain; and the accounting balanced: every accepted write is one stream
record (nothing lost), every record is checked or filtered out, nothing given up on.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from harness.oracles.checks import Check
from harness.scenario.load import LoadProfile, LoadStats
from streamharness.scenarios.ip_dedup.generator import Flood
from streamharness.scenarios.ip_dedup.oracles import evaluate_live
from streamharness.scenarios.ip_dedup.scenario import IpDedupConfig, _receive_all, latencies_ms
from streamharness.scenarios.ip_dedup.topology import MAPPING

#: distinct IPs the load draws from (the locustfile's LOAD_IPS)
LOAD_IPS = 400


class IpDedupLoad(LoadProfile):
    scenario = "ip-dedup"
    locustfile = "streamharness.loadtests.ip_dedup"
    function = "detector"
    latency_basis = "handler start minus the record's first write (written_at), every INSERT"

    def config(self, seed: int) -> IpDedupConfig:
        # the plan is only the IP population and its blocklist: one packet per IP, one slot
        return IpDedupConfig(packets=LOAD_IPS, ips=LOAD_IPS, slots=1, seed=seed)

    def environment(self, config: Any, resources: Mapping[str, Any]) -> dict[str, str]:
        return {"IPS_TABLE": resources["tables"]["ips"], "LOAD_SEED": str(config.seed), "LOAD_IPS": str(config.ips)}

    def observe(self, client: Callable[[str], Any], config: Any, resources: Mapping[str, Any]) -> dict[str, Any]:
        alerts = _receive_all(client("sqs"), resources["queues"]["alerts"])
        items = client("dynamodb").scan(TableName=resources["tables"]["ips"], Select="COUNT")["Count"]
        return {"alerts_received": alerts, "items_left": items}

    def evaluate(self, trace: Any, config: Any, plan: Flood, observations: Mapping[str, Any],
                 load: LoadStats) -> tuple[list[Check], dict[str, Any], list[float]]:
        records = [(e["keys"]["ip"]["S"], e["event_name"]) for e in trace.of("record", mapping=MAPPING)]
        delivered: Counter[str] = Counter()
        for e in trace.of("invoke", mapping=MAPPING):
            delivered.update(e["event_names"])
        checked = [line["ip"] for line, _ in trace.json_logs("detector", "ip_checked")]
        alerted = [a["ip"] for a in observations["alerts_received"]]
        names = Counter(name for _, name in records)
        writes_ok = load.by_name.get("dynamodb UpdateItem", {}).get("requests", 0) - \
            load.by_name.get("dynamodb UpdateItem", {}).get("failures", 0)
        checks = evaluate_live(plan, delivered_event_names=dict(delivered), checked_ips=checked, records=records,
                               alerted_ips=alerted, item_count=observations["items_left"], writes_ok=writes_ok,
                               writes_failed=load.failures)
        summary = {"writes_accepted": writes_ok, "distinct_ips": len({ip for ip, _ in records}),
                   "stream_records": {k: names.get(k, 0) for k in ("INSERT", "MODIFY", "REMOVE")},
                   "checks": len(checked), "alerts": len(alerted)}
        return checks, summary, latencies_ms(trace, [])


__all__ = ["IpDedupLoad"]
