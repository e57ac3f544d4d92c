"""The per-type verdict every operator compiles to, shared by operators.py and match.py."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .dialects import Context

Pred = Callable[[Any], bool]


def ALWAYS(_value: Any) -> bool:
    """Marker predicate: the operator matches every value of that type (compared by identity)."""
    return True


@dataclass(frozen=True)
class ValueTest:
    """What one operator does with each kind of leaf value; ``None`` means it never matches that kind.

    Splitting by JSON type up front is what makes type mismatches (a number against ``prefix``, a
    numeric string against ``numeric``) fail by construction instead of by runtime checks.
    ``on_other`` covers ``true``, ``false`` and ``null``. ``absent`` is set only by
    ``{"exists": false}``: it matches when the field has no leaf value at all.
    """

    on_str: Pred | None = None
    on_num: Pred | None = None
    on_other: Pred | None = None
    absent: bool = False


Builder = Callable[[Any, str, Context], ValueTest]

NUMBER_TYPES = (int, float, Decimal)


def is_number(value: Any) -> bool:
    """JSON numbers only: ``bool`` is an ``int`` subclass in Python but ``true`` is not a number."""
    return isinstance(value, NUMBER_TYPES) and not isinstance(value, bool)


def string_operand(operand: Any, what: str, path: str, ctx: Context) -> str:
    if not isinstance(operand, str):
        ctx.fail(f"{what} match pattern must be a string", path)
    return operand


def single_key(operand: Any, what: str, path: str, ctx: Context) -> tuple[str, Any]:
    """Nested operator objects ({"equals-ignore-case": ...}, {"prefix": ...}) take exactly one key."""
    if not isinstance(operand, dict) or not operand:
        ctx.fail(f"{what} expression name not found", path)
    if len(operand) != 1:
        ctx.fail("Only one key allowed in match expression", path)
    return next(iter(operand.items()))


def finite(value: Any, path: str, ctx: Context) -> Any:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        ctx.fail("numeric values must be finite", path)
    return value
