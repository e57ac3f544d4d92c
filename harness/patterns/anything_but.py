"""``anything-but``: a value, a list of strings or of numbers, or ``{"prefix" | "suffix" |
"equals-ignore-case" | "wildcard": string or list}``.

It matches any leaf value that is not excluded. Exclusions only ever hit values of their own type,
so ``{"anything-but": "x"}`` matches the number 5 and ``null`` (they are "anything but x") - this is
how the Event Ruler engine behind EventBridge and Lambda filtering evaluates it. A missing field (or
one holding only an object / empty array) has no value and never matches.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .dialects import Context
from .errors import child_path, index_path
from .values import ALWAYS, ValueTest, finite, is_number, single_key
from .wildcard import compile_wildcard


def _strings(operand: Any, what: str, path: str, ctx: Context, *, non_empty: bool) -> list[tuple[str, str]]:
    """(value, path) pairs for a string-or-list-of-strings operand."""
    if isinstance(operand, list):
        if not operand:
            ctx.fail("Empty arrays are not allowed", path)
        items = [(item, index_path(path, i)) for i, item in enumerate(operand)]
    else:
        items = [(operand, path)]
    for item, item_path in items:
        if not isinstance(item, str):
            ctx.fail(f"{what} match pattern must be a string", item_path)
        if non_empty and not item:
            ctx.fail("Null prefix/suffix not allowed", item_path)
    return items


def _but_prefix(value: Any, path: str, ctx: Context) -> ValueTest:
    prefixes = tuple(s for s, _ in _strings(value, "prefix", path, ctx, non_empty=True))
    return ValueTest(on_str=lambda s: not s.startswith(prefixes), on_num=ALWAYS, on_other=ALWAYS)


def _but_suffix(value: Any, path: str, ctx: Context) -> ValueTest:
    suffixes = tuple(s for s, _ in _strings(value, "suffix", path, ctx, non_empty=True))
    return ValueTest(on_str=lambda s: not s.endswith(suffixes), on_num=ALWAYS, on_other=ALWAYS)


def _but_ignore_case(value: Any, path: str, ctx: Context) -> ValueTest:
    folded = frozenset(s.lower() for s, _ in _strings(value, "equals-ignore-case", path, ctx, non_empty=False))
    return ValueTest(on_str=lambda s: s.lower() not in folded, on_num=ALWAYS, on_other=ALWAYS)


def _but_wildcard(value: Any, path: str, ctx: Context) -> ValueTest:
    tests = tuple(compile_wildcard(s, p, ctx) for s, p in _strings(value, "wildcard", path, ctx, non_empty=False))
    return ValueTest(on_str=lambda s: not any(t(s) for t in tests), on_num=ALWAYS, on_other=ALWAYS)


FORMS: dict[str, Callable[[Any, str, Context], ValueTest]] = {
    "prefix": _but_prefix,
    "suffix": _but_suffix,
    "equals-ignore-case": _but_ignore_case,
    "wildcard": _but_wildcard,
}


def build_anything_but(operand: Any, path: str, ctx: Context) -> ValueTest:
    if isinstance(operand, dict):
        inner, value = single_key(operand, "Anything-But", path, ctx)
        inner_path = child_path(path, inner)
        if inner not in FORMS:
            ctx.fail(f"Unsupported anything-but pattern: {inner}", inner_path)
        ctx.require(f"anything-but.{inner}", inner_path)
        return FORMS[inner](value, inner_path, ctx)

    if isinstance(operand, list):
        if not operand:
            ctx.fail("Empty arrays are not allowed", path)
        items = [(item, index_path(path, i)) for i, item in enumerate(operand)]
    else:
        items = [(operand, path)]
    strings: set[str] = set()
    numbers: set[Any] = set()
    for item, item_path in items:
        if isinstance(item, str):
            strings.add(item)
        elif is_number(item):
            numbers.add(finite(item, item_path, ctx))
        else:
            ctx.fail("Value of anything-but must be an array or single string/number value "
                     "(null, booleans, objects and nested arrays are not supported)", item_path)
    if strings and numbers:
        ctx.fail("Inside anything but list, either all values are number or string, mixed type is not supported",
                 path)
    if strings:
        excluded = frozenset(strings)
        return ValueTest(on_str=lambda s: s not in excluded, on_num=ALWAYS, on_other=ALWAYS)
    excluded_numbers = frozenset(numbers)  # 300 and 300.0 hash alike: a numeric, not textual, exclusion
    return ValueTest(on_str=ALWAYS, on_num=lambda n: n not in excluded_numbers, on_other=ALWAYS)
