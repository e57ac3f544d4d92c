"""Closure factories for matching: built once per pattern, then called per event with no pattern parsing.

Event model (Event Ruler's, as AWS documents it): only leaf values (strings, numbers, true, false,
null) are matched; arrays contribute each of their elements (nested arrays are flattened); an
object or an empty array at a path is "no value"; and a nested pattern under an array of objects
matches when ANY one element object matches the whole sub-pattern (array consistency: two fields
may not be satisfied by different elements of the same array).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from .values import ALWAYS, Pred, ValueTest


class _Missing:
    """The value of a field the event does not have (distinct from JSON null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

ValueMatcher = Callable[[Any], bool]  # takes the event's value at a path (or MISSING)
ObjectMatcher = Callable[[Any], bool]  # takes an event object (a Mapping) or None for "no object here"


def _leaves(values: list[Any] | tuple[Any, ...], out: list[Any]) -> list[Any]:
    """Scalars of an event array, nested arrays flattened, objects skipped (they are not leaves)."""
    for item in values:
        if type(item) is list or type(item) is tuple:
            _leaves(item, out)
        elif not isinstance(item, Mapping):
            out.append(item)
    return out


def _objects(values: list[Any] | tuple[Any, ...], out: list[Any]) -> list[Any]:
    """Object elements of an event array, nested arrays flattened ("crushed out" as AWS puts it)."""
    for item in values:
        if type(item) is list or type(item) is tuple:
            _objects(item, out)
        elif isinstance(item, Mapping):
            out.append(item)
    return out


def _any_of(preds: list[Pred]) -> Pred | None:
    """Fold one type's predicates into one callable; ALWAYS wins outright, none means never."""
    if not preds:
        return None
    if any(p is ALWAYS for p in preds):
        return ALWAYS
    if len(preds) == 1:
        return preds[0]
    frozen = tuple(preds)
    return lambda v: any(p(v) for p in frozen)


def leaf_matcher(
    strings: Iterable[str],
    numbers: Iterable[int | float],
    match_true: bool,
    match_false: bool,
    match_null: bool,
    tests: Iterable[ValueTest],
) -> ValueMatcher:
    """The OR of one pattern array: exact values go into sets (O(1)), operators into per-type predicates."""
    tests = list(tests)
    string_set = frozenset(strings)
    number_set = frozenset(numbers)
    on_str = _any_of([t.on_str for t in tests if t.on_str is not None])
    on_num = _any_of([t.on_num for t in tests if t.on_num is not None])
    on_other = _any_of([t.on_other for t in tests if t.on_other is not None])
    absent_ok = any(t.absent for t in tests)

    def scalar(v: Any) -> bool:
        t = type(v)
        if t is str:
            return v in string_set or (on_str is not None and on_str(v))
        if t is bool:
            return (match_true if v else match_false) or (on_other is not None and on_other(v))
        if v is None:
            return match_null or (on_other is not None and on_other(v))
        if t is int or t is float or isinstance(v, Decimal):
            return v in number_set or (on_num is not None and on_num(v))
        return False

    if not number_set and on_num is None and on_other is None and not (match_true or match_false or match_null):
        # String-only arrays (the common case: ["INSERT"], [{"prefix": "us-"}]) get a lean closure.
        def match_strings(v: Any) -> bool:
            if type(v) is str:
                return v in string_set or (on_str is not None and on_str(v))
            if type(v) is list or type(v) is tuple:
                leaves = _leaves(v, [])
                if not leaves:
                    return absent_ok
                return any(type(x) is str and (x in string_set or (on_str is not None and on_str(x)))
                           for x in leaves)
            return absent_ok and (v is MISSING or isinstance(v, Mapping))

        return match_strings

    def match(v: Any) -> bool:
        t = type(v)
        if t is list or t is tuple:
            leaves = _leaves(v, [])
            if not leaves:
                return absent_ok
            return any(scalar(x) for x in leaves)
        if v is MISSING or isinstance(v, Mapping):
            return absent_ok
        return scalar(v)

    return match


def nested_matcher(sub: ObjectMatcher) -> ValueMatcher:
    """A pattern object under a field: match the event object, or ANY object of an event array."""
    when_absent = sub(None)  # constant: decided once, e.g. true for {"x": [{"exists": false}]}

    def match(v: Any) -> bool:
        if type(v) is dict:
            return sub(v)
        if type(v) is list or type(v) is tuple:
            objects = _objects(v, [])
            if not objects:
                return when_absent
            for obj in objects:
                if sub(obj):
                    return True
            return False
        if isinstance(v, Mapping):
            return sub(v)
        return when_absent

    return match


def object_matcher(
    fields: list[tuple[str, ValueMatcher]],
    alternatives: list[list[ObjectMatcher]],
) -> ObjectMatcher:
    """AND over the fields of one pattern object, then each ``$or`` group needs one matching branch."""
    pairs = tuple(fields)
    groups = tuple(tuple(group) for group in alternatives)

    if len(pairs) == 1 and not groups:
        (key, only), = pairs

        def match_one(obj: Any) -> bool:
            if obj is None:
                return only(MISSING)
            return only(obj.get(key, MISSING))

        return match_one

    def match(obj: Any) -> bool:
        if obj is None:
            for _, child in pairs:
                if not child(MISSING):
                    return False
        else:
            get = obj.get
            for key, child in pairs:
                if not child(get(key, MISSING)):
                    return False
        for group in groups:
            for branch in group:
                if branch(obj):
                    break
            else:
                return False
        return True

    return match
