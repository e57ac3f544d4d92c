"""The one error a bad pattern raises, worded like AWS so harness reports read like the console."""
from __future__ import annotations

import re

# Dot notation for names like detail-type or $or (as EventBridge InputPath writes them), brackets otherwise.
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")

# AWS words the two rejections differently: PutRule says "Event pattern is not valid", while
# CreateEventSourceMapping says "Invalid filter pattern definition".
_PREFIX = {
    "eventbridge": "Event pattern is not valid",
    "lambda": "Invalid filter pattern definition",
}


class InvalidPatternError(ValueError):
    """A pattern AWS would reject; ``reason`` says what is wrong and ``path`` where (JSONPath-style)."""

    def __init__(self, reason: str, path: str = "$", dialect: str = "eventbridge") -> None:
        self.reason = reason
        self.path = path
        self.dialect = dialect
        prefix = _PREFIX.get(dialect, _PREFIX["eventbridge"])
        super().__init__(f"{prefix}. Reason: {reason} (at {path})")


def child_path(path: str, key: str) -> str:
    """``$.detail-type`` for name-like keys, ``$["a.b c"]`` otherwise, so every path is unambiguous."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


def index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"
