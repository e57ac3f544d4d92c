"""The public objects: a compiled pattern and the one-shot ``matches`` helper."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .compile import compile_root
from .dialects import Context, Dialect, dialect_spec
from .match import ObjectMatcher
from .parse import load_event, load_pattern


class EventPattern:
    """A validated pattern compiled to closures: build once, then ``matches`` many events cheaply."""

    __slots__ = ("source", "dialect", "_match")

    def __init__(self, source: dict[str, Any], dialect: str, match: ObjectMatcher) -> None:
        self.source: Mapping[str, Any] = source
        self.dialect = dialect
        self._match = match

    def matches(self, event: Mapping[str, Any] | str | bytes) -> bool:
        if type(event) is not dict:
            event = load_event(event)
        return self._match(event)

    def __repr__(self) -> str:
        return f"EventPattern({json.dumps(self.source)}, dialect={self.dialect!r})"


def compile_pattern(pattern: str | bytes | Mapping[str, Any], dialect: Dialect = "eventbridge") -> EventPattern:
    """Parse and validate once; raises :class:`InvalidPatternError` exactly where AWS would refuse."""
    spec = dialect_spec(dialect)
    source = load_pattern(pattern, spec)
    return EventPattern(source, spec.name, compile_root(source, Context(spec)))


_CACHE: dict[tuple[str, str], EventPattern] = {}
_CACHE_LIMIT = 256


def matches(
    pattern: str | bytes | Mapping[str, Any],
    event: Mapping[str, Any] | str | bytes,
    dialect: Dialect = "eventbridge",
) -> bool:
    """One-shot convenience; recently used patterns are cached so loops over it stay cheap."""
    if isinstance(pattern, (str, bytes, bytearray)):
        key = (pattern if isinstance(pattern, str) else bytes(pattern).decode("utf-8", "replace"), dialect)
    else:
        try:
            key = (json.dumps(pattern, sort_keys=True, allow_nan=False), dialect)
        except (TypeError, ValueError):
            return compile_pattern(pattern, dialect).matches(event)  # raises the proper error
    compiled = _CACHE.get(key)
    if compiled is None:
        compiled = compile_pattern(pattern, dialect)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = compiled
    return compiled.matches(event)
