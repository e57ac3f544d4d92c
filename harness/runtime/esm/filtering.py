"""FilterCriteria: records matching no filter are dropped before batching (filters ORed)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.patterns import EventPattern, compile_pattern
from harness.topology.specs import FilterCriteria


class RecordFilter:
    """Compiled once per mapping; ``matches`` runs for every record."""

    def __init__(self, criteria: FilterCriteria | None) -> None:
        self._patterns: tuple[EventPattern, ...] = tuple(
            compile_pattern(p, dialect="lambda") for p in criteria.patterns) if criteria else ()

    @property
    def active(self) -> bool:
        return bool(self._patterns)

    def matches(self, record: Mapping[str, Any]) -> bool:
        if not self._patterns:
            return True
        return any(p.matches(record) for p in self._patterns)
