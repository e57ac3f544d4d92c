"""``numeric``: ``["=", x]``, one bound (``>``, ``>=``, ``<``, ``<=``), or a lower bound followed by an
upper bound (``[">", 0, "<=", 5]``). Anything else - an upper bound first, two lower bounds, an
empty or inverted range, extra terms - is rejected, as EventBridge does. Matches JSON numbers only.
"""
from __future__ import annotations

import operator as op
from typing import Any

from .dialects import Context
from .errors import index_path
from .values import ValueTest, finite, is_number

_LOWER = {">": op.gt, ">=": op.ge}
_UPPER = {"<": op.lt, "<=": op.le}


def _value(terms: list[Any], i: int, operator: str, path: str, ctx: Context) -> Any:
    if i >= len(terms):
        ctx.fail(f"Value of {operator} must be numeric (missing)", path)
    if not is_number(terms[i]):
        ctx.fail(f"Value of {operator} must be numeric", index_path(path, i))
    return finite(terms[i], index_path(path, i), ctx)


def build_numeric(operand: Any, path: str, ctx: Context) -> ValueTest:
    if not isinstance(operand, list):
        ctx.fail("Value of numeric must be an array.", path)
    if not operand:
        ctx.fail("Empty arrays are not allowed", path)
    first_op = operand[0]
    if not isinstance(first_op, str):
        ctx.fail(f"Invalid member in numeric match: {first_op!r}", index_path(path, 0))
    if first_op != "=" and first_op not in _LOWER and first_op not in _UPPER:
        ctx.fail(f"Unrecognized numeric range operator: {first_op}", index_path(path, 0))
    first = _value(operand, 1, first_op, path, ctx)

    if first_op == "=":
        if len(operand) != 2:
            ctx.fail("Too many elements in numeric expression", path)
        return ValueTest(on_num=lambda n: n == first)
    if first_op in _UPPER:
        if len(operand) != 2:
            ctx.fail(f"Too many elements in numeric expression: an upper bound ({first_op}) must come last", path)
        upper = _UPPER[first_op]
        return ValueTest(on_num=lambda n: upper(n, first))

    lower = _LOWER[first_op]
    if len(operand) == 2:
        return ValueTest(on_num=lambda n: lower(n, first))
    top_op = operand[2]
    if top_op not in _UPPER:
        ctx.fail(f"Bad numeric range operator: {top_op!r} (a lower bound may only be followed by < or <=)",
                 index_path(path, 2))
    second = _value(operand, 3, top_op, path, ctx)
    if len(operand) != 4:
        ctx.fail("Too many terms in numeric range expression", path)
    if not first < second:
        ctx.fail(f"Bottom must be less than top ({first} >= {second})", path)
    upper = _UPPER[top_op]
    return ValueTest(on_num=lambda n: lower(n, first) and upper(n, second))
