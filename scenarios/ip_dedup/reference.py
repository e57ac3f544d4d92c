"""A pure-Python model of the pipeline: what a correct run must observe for a given flood.

It lets the oracles be tested (a correct model must pass them all, a broken one must not) without a
backend, and gives the real run something to diff against when a check fails.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamharness.scenarios.ip_dedup.generator import Flood


@dataclass(frozen=True)
class Observation:
    """Exactly the keyword arguments ``oracles.evaluate`` takes."""

    delivered_event_names: dict[str, int]
    checked_ips: tuple[str, ...]
    records: tuple[tuple[str, str], ...]
    alerted_ips: tuple[str, ...]
    item_count: int

    def as_kwargs(self) -> dict[str, Any]:
        return {"delivered_event_names": dict(self.delivered_event_names), "checked_ips": self.checked_ips,
                "records": self.records, "alerted_ips": self.alerted_ips, "item_count": self.item_count}


def simulate(flood: Flood, *, delete: bool = True) -> Observation:
    """Upsert every packet; the INSERT-filtered detector checks, alerts, and (if ``delete``) removes
    each inserted IP once the slot has drained. ``delete=False`` models the forgot-the-delete bug."""
    present: set[str] = set()
    records: list[tuple[str, str]] = []
    checked: list[str] = []
    alerted: list[str] = []
    for slot in flood.slots:
        inserted: list[str] = []
        for packet in slot:
            if packet.ip in present:
                records.append((packet.ip, "MODIFY"))
                continue
            present.add(packet.ip)
            inserted.append(packet.ip)
            records.append((packet.ip, "INSERT"))
            checked.append(packet.ip)
            if flood.blocklist.is_dangerous_ip(packet.ip):
                alerted.append(packet.ip)
        if delete:
            for ip in inserted:
                present.discard(ip)
                records.append((ip, "REMOVE"))
    return Observation(delivered_event_names={"INSERT": len(checked)}, checked_ips=tuple(checked),
                       records=tuple(records), alerted_ips=tuple(alerted), item_count=len(present))
