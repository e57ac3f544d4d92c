"""Which operators each AWS service accepts, and the compile-time context that enforces it.

EventBridge rules (event buses) accept the full operator set. Lambda event source mapping
FilterCriteria use the same engine but document a smaller set: null, empty, equals,
equals-ignore-case, and/or (including ``$or``), anything-but with a value or list ("Not"),
numeric equals/range, exists / does-not-exist, prefix ("Begins with") and suffix ("Ends with").
The anything-but variants (prefix/suffix/equals-ignore-case/wildcard), the ignore-case forms of
prefix/suffix, ``wildcard`` and ``cidr`` are not in Lambda's list, so the lambda dialect rejects
them rather than silently accepting a filter AWS would refuse.

SNS subscription filter policies document: exact values, prefix, suffix, equals-ignore-case,
anything-but (value, list, prefix, suffix), numeric, exists, cidr ("IP address matching") and
``$or``; not wildcard nor the ignore-case forms of prefix and suffix. A policy may be 256 KB.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NoReturn

from .errors import InvalidPatternError

Dialect = Literal["eventbridge", "lambda", "sns"]

# Qualified names: "outer.inner" is an operator nested in another one, e.g. {"prefix": {"equals-ignore-case": ...}}.
_EVENTBRIDGE_OPERATORS = frozenset({
    "prefix", "prefix.equals-ignore-case",
    "suffix", "suffix.equals-ignore-case",
    "equals-ignore-case",
    "wildcard",
    "anything-but",
    "anything-but.prefix", "anything-but.suffix",
    "anything-but.equals-ignore-case", "anything-but.wildcard",
    "numeric",
    "exists",
    "cidr",
    "$or",
})

_LAMBDA_OPERATORS = frozenset({
    "prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "$or",
})

_SNS_OPERATORS = frozenset({
    "prefix", "suffix", "equals-ignore-case", "anything-but", "anything-but.prefix", "anything-but.suffix",
    "numeric", "exists", "cidr", "$or",
})


@dataclass(frozen=True)
class DialectSpec:
    """The per-service rules: accepted operators and the pattern length quota (characters of JSON)."""

    name: str
    operators: frozenset[str]
    max_length: int


DIALECTS: dict[str, DialectSpec] = {
    # EventBridge quota: event patterns up to 2,048 characters.
    "eventbridge": DialectSpec("eventbridge", _EVENTBRIDGE_OPERATORS, 2048),
    # Lambda Filter.Pattern: length constraint 0..4096.
    "lambda": DialectSpec("lambda", _LAMBDA_OPERATORS, 4096),
    # SNS FilterPolicy: up to 256 KB.
    "sns": DialectSpec("sns", _SNS_OPERATORS, 256 * 1024),
}


def dialect_spec(dialect: str) -> DialectSpec:
    try:
        return DIALECTS[dialect]
    except KeyError:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {sorted(DIALECTS)}") from None


@dataclass(frozen=True)
class Context:
    """Carried through compilation so every error names the dialect and every operator is checked once."""

    spec: DialectSpec

    @property
    def dialect(self) -> str:
        return self.spec.name

    def fail(self, reason: str, path: str) -> NoReturn:
        raise InvalidPatternError(reason, path, self.spec.name)

    def require(self, operator: str, path: str) -> None:
        """Reject an operator the dialect does not document, naming both (never a silent non-match)."""
        if operator not in self.spec.operators:
            shown = operator.replace(".", " with ")
            self.fail(f"operator '{shown}' is not supported by the '{self.spec.name}' dialect", path)
