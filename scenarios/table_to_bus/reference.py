"""The pipeline's expected outcome from the writes alone: a model of the table and its stream.

DynamoDB's stream rules, as DynamoDB Local keeps them: a put of a new key is an INSERT, a put that
changes an item is a MODIFY, a put of an identical item and a delete of an absent key produce no
record, a delete of an item is a REMOVE. From the changes follow what each consumer must end with.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from streamharness.scenarios.table_to_bus.contract import COUNT_EVENTS, HISTORY_EVENTS, customer_of, is_member
from streamharness.scenarios.table_to_bus.generator import Write


@dataclass(frozen=True)
class Change:
    """One stream record the table must produce."""

    pk: str
    sk: str
    event: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None

    @property
    def changed(self) -> tuple[str, ...]:
        """The attributes the change touched: all of a new or removed item's, the differing ones of a MODIFY."""
        old, new = self.old or {}, self.new or {}
        return tuple(sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))


def changes(writes: Iterable[Write]) -> list[Change]:
    table: dict[tuple[str, str], Mapping[str, Any]] = {}
    out: list[Change] = []
    for w in writes:
        old = table.get(w.key)
        if w.op == "put":
            assert w.item is not None
            table[w.key] = w.item
            if old != w.item:
                out.append(Change(w.pk, w.sk, "INSERT" if old is None else "MODIFY", old, w.item))
        elif w.op == "delete":
            if table.pop(w.key, None) is not None:
                out.append(Change(w.pk, w.sk, "REMOVE", old, None))
        else:
            raise ValueError(f"unknown write op {w.op!r} for {w.key}")
    return out


def events_per_item(cs: Iterable[Change]) -> dict[tuple[str, str], list[str]]:
    """The bus events' detail-types each item must get, in order: one per change."""
    out: dict[tuple[str, str], list[str]] = {}
    for c in cs:
        out.setdefault((c.pk, c.sk), []).append(c.event)
    return out


def history(cs: Iterable[Change]) -> dict[tuple[str, str], list[tuple[str, tuple[str, ...]]]]:
    """Per member item, in order, the ``(event, changed attributes)`` its history records must hold."""
    out: dict[tuple[str, str], list[tuple[str, tuple[str, ...]]]] = {}
    for c in cs:
        if c.event in HISTORY_EVENTS and is_member(c.pk, c.sk):
            out.setdefault((c.pk, c.sk), []).append((c.event, c.changed))
    return out


def member_counts(cs: Iterable[Change]) -> dict[str, int]:
    """Per customer, INSERTs minus REMOVEs of its member items (customers at zero left out)."""
    counts: dict[str, int] = {}
    for c in cs:
        if c.event in COUNT_EVENTS and is_member(c.pk, c.sk):
            cid = customer_of(c.pk)
            counts[cid] = counts.get(cid, 0) + (1 if c.event == "INSERT" else -1)
    return {k: v for k, v in sorted(counts.items()) if v}


def selected(cs: Iterable[Change], events: tuple[str, ...]) -> int:
    """How many changes a rule on the member prefixes and ``events`` selects."""
    return sum(1 for c in cs if c.event in events and is_member(c.pk, c.sk))
