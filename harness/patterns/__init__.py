"""EventBridge event patterns and Lambda FilterCriteria, matched locally with AWS's semantics.

    >>> p = compile_pattern({"eventName": ["INSERT"]}, dialect="lambda")
    >>> p.matches({"eventName": "INSERT"})
    True

Pure Python, no AWS calls. Validation happens once in :func:`compile_pattern`; matching runs
pre-built closures. Where AWS's documentation is ambiguous the choice made is stated in the
docstring of the module that implements it (match.py, operators.py, dialects.py).
"""
from __future__ import annotations

from .dialects import Dialect
from .errors import InvalidPatternError
from .pattern import EventPattern, compile_pattern, matches

__all__ = ["Dialect", "EventPattern", "InvalidPatternError", "compile_pattern", "matches"]
