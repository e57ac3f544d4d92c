"""Content-filter operators, as a registry keyed by operator name.

Each builder validates its operand once and returns a :class:`~.values.ValueTest`, so matching
never re-inspects the pattern. The simple string operators, ``exists`` and ``cidr`` live here;
``numeric``, ``anything-but`` and ``wildcard`` have their own modules.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from .anything_but import build_anything_but
from .dialects import Context
from .errors import child_path
from .numeric import build_numeric
from .values import ALWAYS, Builder, ValueTest, single_key, string_operand
from .wildcard import compile_wildcard


def _prefix_or_suffix(name: str, operand: Any, path: str, ctx: Context) -> ValueTest:
    """``{"prefix": "us-"}`` or, on EventBridge, ``{"prefix": {"equals-ignore-case": "US-"}}``."""
    if isinstance(operand, dict):
        inner, value = single_key(operand, name.capitalize(), path, ctx)
        inner_path = child_path(path, inner)
        if inner != "equals-ignore-case":
            ctx.fail(f"Unsupported {name} pattern: {inner}", inner_path)
        ctx.require(f"{name}.{inner}", inner_path)
        folded = string_operand(value, "equals-ignore-case", inner_path, ctx).lower()
        if name == "prefix":
            return ValueTest(on_str=lambda s: s.lower().startswith(folded))
        return ValueTest(on_str=lambda s: s.lower().endswith(folded))
    text = string_operand(operand, name, path, ctx)
    if name == "prefix":
        return ValueTest(on_str=lambda s: s.startswith(text))
    return ValueTest(on_str=lambda s: s.endswith(text))


def build_prefix(operand: Any, path: str, ctx: Context) -> ValueTest:
    return _prefix_or_suffix("prefix", operand, path, ctx)


def build_suffix(operand: Any, path: str, ctx: Context) -> ValueTest:
    return _prefix_or_suffix("suffix", operand, path, ctx)


def build_equals_ignore_case(operand: Any, path: str, ctx: Context) -> ValueTest:
    folded = string_operand(operand, "equals-ignore-case", path, ctx).lower()
    return ValueTest(on_str=lambda s: s.lower() == folded)


def build_wildcard(operand: Any, path: str, ctx: Context) -> ValueTest:
    return ValueTest(on_str=compile_wildcard(string_operand(operand, "wildcard", path, ctx), path, ctx))


def build_exists(operand: Any, path: str, ctx: Context) -> ValueTest:
    """Only leaf values count: an object or an empty array at the path is "absent"."""
    if operand is True:
        return ValueTest(on_str=ALWAYS, on_num=ALWAYS, on_other=ALWAYS)
    if operand is False:
        return ValueTest(absent=True)
    ctx.fail("exists match pattern must be either true or false.", path)


def build_cidr(operand: Any, path: str, ctx: Context) -> ValueTest:
    """IPv4 or IPv6 block; host bits are masked off; only string values that parse as addresses match."""
    text = string_operand(operand, "cidr", path, ctx)
    if "/" not in text:
        ctx.fail(f"Malformed CIDR, one '/' required: {text!r}", path)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        ctx.fail(f"Invalid CIDR {text!r}: {exc}", path)
    return ValueTest(on_str=lambda s: ip_in(s, network))


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def ip_in(text: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    address = parse_ip(text)
    return address is not None and address.version == network.version and address in network


OPERATORS: dict[str, Builder] = {
    "prefix": build_prefix,
    "suffix": build_suffix,
    "equals-ignore-case": build_equals_ignore_case,
    "wildcard": build_wildcard,
    "anything-but": build_anything_but,
    "numeric": build_numeric,
    "exists": build_exists,
    "cidr": build_cidr,
}

# Names that may not be used as field names inside "$or" (the engine reserves them there).
RESERVED_IN_OR = frozenset(OPERATORS) | {"exactly", "=", "<", "<=", ">", ">="}
