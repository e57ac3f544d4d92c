"""Wildcard strings compiled to a predicate once: ``*`` is any run of characters (possibly empty),
``\\*`` a literal asterisk, ``\\\\`` a literal backslash; ``**`` and any other escape are invalid."""
from __future__ import annotations

import re
from collections.abc import Callable

from .dialects import Context


def compile_wildcard(text: str, path: str, ctx: Context) -> Callable[[str], bool]:
    parts: list[str] = []
    literal: list[str] = []
    has_star = previous_star = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                ctx.fail(f"Invalid escape character at position {i + 1} in wildcard pattern", path)
            literal.append(text[i + 1])
            previous_star = False
            i += 2
            continue
        if char == "*":
            if previous_star:
                ctx.fail(f"Consecutive wildcard characters at pos {i} in wildcard pattern", path)
            parts.append(re.escape("".join(literal)))
            literal.clear()
            parts.append(".*")
            has_star = previous_star = True
        else:
            literal.append(char)
            previous_star = False
        i += 1
    if not has_star:  # no wildcard at all: plain equality, no regex needed
        exact = "".join(literal)
        return lambda s: s == exact
    parts.append(re.escape("".join(literal)))
    fullmatch = re.compile("".join(parts), re.DOTALL).fullmatch
    return lambda s: fullmatch(s) is not None
