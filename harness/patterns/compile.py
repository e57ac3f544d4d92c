"""Validate a parsed pattern and build its matcher tree in one walk.

Structure rules (EventBridge's, shared by Lambda filtering): the pattern and every nested object
are non-empty JSON objects; a field's value is either an object (a nested pattern) or a non-empty
array of match values; match values are strings, numbers, true, false, null or single-key
operator objects; ``$or`` takes an array of at least two non-empty objects.
"""
from __future__ import annotations

import re
from typing import Any

from .dialects import Context
from .errors import child_path, index_path
from .match import ObjectMatcher, ValueMatcher, leaf_matcher, nested_matcher, object_matcher
from .operators import OPERATORS, RESERVED_IN_OR, parse_ip
from .values import ValueTest, is_number

OR_KEY = "$or"

# Strings shaped like IP addresses are matched as addresses (so "::1" also matches "0:0:0:0:0:0:0:1"),
# mirroring the engine, which turns such exact values into single-address ranges.
_IP_SHAPED = re.compile(r"^(?:[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+|[0-9a-fA-F:]*:[0-9a-fA-F:]*)$")


def compile_root(pattern: dict[str, Any], ctx: Context) -> ObjectMatcher:
    return _compile_object(pattern, "$", ctx, in_or=False)


def _compile_object(obj: Any, path: str, ctx: Context, *, in_or: bool) -> ObjectMatcher:
    if not isinstance(obj, dict):
        ctx.fail("Only JSON object is allowed here", path)
    if not obj:
        ctx.fail("Empty objects are not allowed", path)
    fields: list[tuple[str, ValueMatcher]] = []
    alternatives: list[list[ObjectMatcher]] = []
    for key, value in obj.items():
        key_path = child_path(path, key)
        if key == OR_KEY:
            alternatives.append(_compile_or(value, key_path, ctx))
            continue
        if in_or and key in RESERVED_IN_OR:
            ctx.fail(f"{key} is a reserved field name which cannot be used inside $or", key_path)
        if isinstance(value, dict):
            fields.append((key, nested_matcher(_compile_object(value, key_path, ctx, in_or=in_or))))
        elif isinstance(value, list):
            fields.append((key, _compile_leaf(value, key_path, ctx)))
        else:
            ctx.fail(f'"{key}" must be an object or an array (pattern values are always arrays)', key_path)
    return object_matcher(fields, alternatives)


def _compile_or(value: Any, path: str, ctx: Context) -> list[ObjectMatcher]:
    ctx.require(OR_KEY, path)
    if not isinstance(value, list):
        ctx.fail("It must be an Array followed with $or.", path)
    if len(value) < 2:
        ctx.fail("There must have at least 2 Objects in $or relationship.", path)
    branches: list[ObjectMatcher] = []
    for i, branch in enumerate(value):
        branch_path = index_path(path, i)
        if not isinstance(branch, dict):
            ctx.fail("Only JSON object is allowed in array of $or relationship.", branch_path)
        branches.append(_compile_object(branch, branch_path, ctx, in_or=True))
    return branches


def _compile_leaf(values: list[Any], path: str, ctx: Context) -> ValueMatcher:
    if not values:
        ctx.fail("Empty arrays are not allowed", path)
    strings: list[str] = []
    numbers: list[int | float] = []
    tests: list[ValueTest] = []
    flags = {True: False, False: False, None: False}
    for i, item in enumerate(values):
        item_path = index_path(path, i)
        if isinstance(item, str):
            strings.append(item)
            if _IP_SHAPED.match(item) and (address := parse_ip(item)) is not None:
                tests.append(ValueTest(on_str=lambda s, a=address: parse_ip(s) == a))
        elif item is None or isinstance(item, bool):
            flags[item] = True
        elif is_number(item):
            if item != item or item in (float("inf"), float("-inf")):
                ctx.fail("numeric values must be finite", item_path)
            numbers.append(item)  # set membership is numeric: 300, 300.0 and 3.0e2 are one value
        elif isinstance(item, dict):
            tests.append(_compile_operator(item, item_path, ctx))
        else:
            ctx.fail("Match value must be String, number, true, false, or null", item_path)
    return leaf_matcher(strings, numbers, flags[True], flags[False], flags[None], tests)


def _compile_operator(expression: dict[str, Any], path: str, ctx: Context) -> ValueTest:
    if not expression:
        ctx.fail("Match expression name not found", path)
    if len(expression) != 1:
        ctx.fail(f"Only one key allowed in match expression (got {', '.join(sorted(expression))})", path)
    (name, operand), = expression.items()
    op_path = child_path(path, name)
    builder = OPERATORS.get(name)
    if builder is None:
        ctx.fail(f"Unrecognized match type {name}", op_path)
    ctx.require(name, op_path)
    return builder(operand, op_path, ctx)
