"""Property tests: invariants that must hold for any event, not just the documented examples."""
from __future__ import annotations

import json
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from harness.patterns import compile_pattern

keys = st.text(alphabet="abcdefgh-_", min_size=1, max_size=4)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=6),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
events = st.dictionaries(keys, json_values, min_size=1, max_size=5)
words = st.text(alphabet="abcXYZ .", max_size=6)  # not IP-shaped: exact IP values compare as addresses


def _flatten(values: list[Any]) -> tuple[list[Any], list[dict[str, Any]]]:
    leaves: list[Any] = []
    objects: list[dict[str, Any]] = []
    for item in values:
        if isinstance(item, list):
            more_leaves, more_objects = _flatten(item)
            leaves += more_leaves
            objects += more_objects
        elif isinstance(item, dict):
            objects.append(item)
        else:
            leaves.append(item)
    return leaves, objects


def _pattern_for_object(draw: st.DrawFn, obj: dict[str, Any]) -> dict[str, Any] | None:
    pattern: dict[str, Any] = {}
    for key, value in obj.items():
        if draw(st.booleans()):
            continue  # patterns may mention any subset of the event's fields
        sub = _pattern_for_value(draw, value)
        if sub is not None:
            pattern[key] = sub
    return pattern or None


def _pattern_for_value(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, dict):
        return _pattern_for_object(draw, value)
    if isinstance(value, list):
        leaves, objects = _flatten(value)
        if leaves and (not objects or draw(st.booleans())):
            return [draw(st.sampled_from(leaves))]
        if objects:
            # One element per array: fields taken from different elements need not match together.
            return _pattern_for_object(draw, draw(st.sampled_from(objects)))
        return None
    return [value]


@st.composite
def event_and_own_pattern(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    event = draw(events)
    pattern = _pattern_for_object(draw, event)
    assume(pattern is not None)
    return event, pattern  # type: ignore[return-value]


@given(event_and_own_pattern())
def test_pattern_built_from_events_own_values_matches(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    event, pattern = pair
    assert compile_pattern(pattern, "lambda").matches(event)


@given(event_and_own_pattern())
def test_text_and_dict_forms_agree(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    event, pattern = pair
    from_dict = compile_pattern(pattern, "lambda")
    from_text = compile_pattern(json.dumps(pattern), "lambda")
    assert from_dict.matches(event) == from_text.matches(json.dumps(event)) is True


@given(st.one_of(words, st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
       st.one_of(words, st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_anything_but_is_the_complement_of_equality(excluded: Any, value: Any) -> None:
    same_kind = isinstance(excluded, str) == isinstance(value, str)
    compiled = compile_pattern({"k": [{"anything-but": excluded}]})
    exact = compile_pattern({"k": [excluded]})
    if same_kind:
        assert compiled.matches({"k": value}) is not exact.matches({"k": value})
    else:
        assert compiled.matches({"k": value})  # a value of the other type is never excluded
    assert not compiled.matches({"other": value})  # a missing field never matches anything-but


bounds = st.integers(min_value=-10**6, max_value=10**6)


@given(bounds, bounds, st.one_of(bounds, st.floats(min_value=-2e6, max_value=2e6)),
       st.sampled_from([">", ">="]), st.sampled_from(["<", "<="]))
def test_numeric_range_agrees_with_python(low: int, high: int, x: float, lower_op: str, upper_op: str) -> None:
    assume(low < high)
    compiled = compile_pattern({"n": [{"numeric": [lower_op, low, upper_op, high]}]})
    above = x > low if lower_op == ">" else x >= low
    below = x < high if upper_op == "<" else x <= high
    assert compiled.matches({"n": x}) == (above and below)
    assert not compiled.matches({"n": str(x)})


@given(events, keys)
def test_exists_true_and_false_partition_every_field(event: dict[str, Any], key: str) -> None:
    present = compile_pattern({key: [{"exists": True}]}).matches(event)
    absent = compile_pattern({key: [{"exists": False}]}).matches(event)
    assert present is not absent
