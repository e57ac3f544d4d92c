"""The benchmark's figures, their goals and verdicts, the ratios between them, the table and the JSON.

Pure: no server, no clock. A figure is one number measured on one backend (or why it could not be);
a goal turns it into a verdict. The measuring code (``harness.cli.bench.suite``) fills them in.
"""
from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

SCHEMA = "streamharness.bench/1"
SECTIONS = {
    1: "raw write ceiling (no pipeline)",
    2: "end to end through the pipeline",
    3: "write -> handler latency under that load",
    4: "cold start to a deployed topology",
    5: "scaling with Locust workers",
    6: "PutEvents -> rule -> SQS target",
}
PASS, FAIL, NO_GOAL, ERROR = "pass", "fail", "-", "error"
_OPS = {">=": operator.ge, "<": operator.lt, "<=": operator.le, ">": operator.gt, "==": operator.eq}


@dataclass(frozen=True)
class Goal:
    """``value <op> bound``, e.g. ``Goal(">=", 0.8)``."""

    op: str
    bound: Any

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"goal operator {self.op!r}: one of {', '.join(_OPS)}")

    def met(self, value: Any) -> bool:
        return bool(_OPS[self.op](value, self.bound))

    def __str__(self) -> str:
        return f"{self.op} {self.bound}"


@dataclass(frozen=True)
class Figure:
    """One measured value on one backend. ``value`` None with an ``error``: it could not be measured."""

    section: int
    key: str
    label: str
    backend: str
    value: Any = None
    unit: str = ""
    goal: Goal | None = None
    detail: str = ""
    error: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.value is None:
            return ERROR
        if self.goal is None:
            return NO_GOAL
        return PASS if self.goal.met(self.value) else FAIL

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "key": self.key, "label": self.label, "backend": self.backend,
                "value": self.value, "unit": self.unit,
                "goal": None if self.goal is None else {"op": self.goal.op, "bound": self.goal.bound},
                "verdict": self.verdict, "detail": self.detail, "error": self.error, **({"extra": dict(self.extra)}
                                                                                      if self.extra else {})}


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    """``numerator / denominator`` rounded, or None when either is missing or the denominator is not positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, digits)


def missing(section: int, key: str, label: str, backend: str, error: str, unit: str = "",
            goal: Goal | None = None) -> Figure:
    """A figure that could not be measured, saying why."""
    return Figure(section, key, label, backend, None, unit, goal, error=error)


def saturation(rates: Mapping[int, float | None], gain: float = 1.1) -> int | None:
    """The worker count past which adding workers gains less than ``gain`` x: where throughput saturates.
    None when every step still gains that much (or too few rates were measured to say)."""
    known = sorted((w, r) for w, r in rates.items() if r)
    for i in range(1, len(known)):
        if known[i][1] < known[i - 1][1] * gain:
            return known[i - 1][0]
    return None


def format_value(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".rstrip()


def backends_of(figures: Iterable[Figure]) -> list[str]:
    out: list[str] = []
    for f in figures:
        if f.backend not in out:
            out.append(f.backend)
    return out


def table(figures: Sequence[Figure]) -> Table:
    """One row per figure key, one value column per backend (side by side), then the goal and each
    backend's verdict."""
    backends = backends_of(figures)
    t = Table(title="harness bench", show_lines=False)
    t.add_column("#", justify="right")
    t.add_column("figure")
    for b in backends:
        t.add_column(b, justify="right")
    t.add_column("goal")
    t.add_column("verdict")
    rows: dict[str, dict[str, Figure]] = {}
    for f in figures:
        rows.setdefault(f.key, {})[f.backend] = f
    for by_backend in rows.values():
        first = next(iter(by_backend.values()))
        values = [format_value(by_backend[b].value, by_backend[b].unit) if b in by_backend else "" for b in backends]
        verdicts = " ".join(by_backend[b].verdict if len(backends) == 1 else f"{b}:{by_backend[b].verdict}"
                            for b in backends if b in by_backend)
        t.add_row(str(first.section), first.label, *values, str(first.goal or ""), verdicts)
    return t


def notes(figures: Sequence[Figure]) -> list[str]:
    """The details and errors, one line each, printed under the table (never cut)."""
    out = []
    for f in figures:
        if f.error:
            out.append(f"{f.backend} {f.key}: could not be measured: {f.error}")
        elif f.detail:
            out.append(f"{f.backend} {f.key}: {f.detail}")
    return out


def to_json(figures: Sequence[Figure], *, machine: Mapping[str, Any], settings: Mapping[str, Any],
            duration_s: float) -> dict[str, Any]:
    """bench.json: the figures (each with goal and verdict), per backend by key too, the machine and settings."""
    by_backend: dict[str, dict[str, Any]] = {}
    for f in figures:
        by_backend.setdefault(f.backend, {})[f.key] = f.value
    verdicts = [f.verdict for f in figures if f.goal is not None]
    return {"schema": SCHEMA, "machine": dict(machine), "settings": dict(settings), "duration_s": round(duration_s, 1),
            "goals": {"passed": verdicts.count(PASS), "failed": verdicts.count(FAIL),
                      "not_measured": verdicts.count(ERROR)},
            "values": by_backend, "figures": [f.to_dict() for f in figures]}


def parse_sections(text: str | None) -> list[int]:
    """``--only 1,3,6`` -> [1, 3, 6]; None -> every section. ValueError naming the bad part."""
    if not text:
        return sorted(SECTIONS)
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) not in SECTIONS:
            raise ValueError(f"{part!r} is not a section; sections are {', '.join(map(str, SECTIONS))} "
                             f"({'; '.join(f'{k} {v}' for k, v in SECTIONS.items())}); LocalStack side by side "
                             "is --compare localstack")
        if int(part) not in out:
            out.append(int(part))
    return sorted(out)


__all__ = ["ERROR", "FAIL", "Figure", "Goal", "NO_GOAL", "PASS", "SCHEMA", "SECTIONS", "backends_of",
           "format_value", "missing", "notes", "parse_sections", "ratio", "saturation", "table", "to_json"]
