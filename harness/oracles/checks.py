"""The one result type every oracle returns."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Check:
    """A named verdict with the numbers behind it, so a failing report explains itself; ``causes``: what
    most likely makes it fail (the scenario's table, attached to a failed check by the driver)."""

    name: str
    passed: bool
    expected: Any
    actual: Any
    detail: str = ""
    examples: list[Any] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_equal(name: str, expected: Any, actual: Any, detail: str = "", examples: Iterable[Any] = ()) -> Check:
    return Check(name=name, passed=expected == actual, expected=expected, actual=actual,
                 detail=detail, examples=list(examples)[:10])


def all_passed(checks: Iterable[Check]) -> bool:
    return all(c.passed for c in checks)
