"""Valid events for the trace's tests: each kind's required fields with placeholder values."""
from __future__ import annotations

from typing import Any

from harness.trace import KINDS, Trace


def fields(kind: str, **extra: Any) -> dict[str, Any]:
    """The kind's required fields with placeholder values, plus ``extra``."""
    return {**{name: f"{name}?" for name in KINDS[kind].required}, **extra}


def emit(t: Trace, kind: str, **extra: Any) -> dict[str, Any]:
    return t.emit(kind, **fields(kind, **extra))
