"""The public API contract: inputs it accepts, what it exposes, compile-once behaviour."""
from __future__ import annotations

import json

import pytest

import harness.patterns as patterns
from harness.patterns import EventPattern, InvalidPatternError, compile_pattern, matches


def test_public_names() -> None:
    assert set(patterns.__all__) == {"Dialect", "EventPattern", "InvalidPatternError", "compile_pattern", "matches"}
    assert issubclass(InvalidPatternError, ValueError)


def test_source_is_the_parsed_pattern_and_detached_from_caller() -> None:
    original = {"detail": {"state": ["running"]}}
    compiled = compile_pattern(original)
    assert isinstance(compiled, EventPattern)
    assert compiled.source == original
    original["detail"]["state"].append("stopped")  # later edits by the caller do not leak in
    assert compiled.source == {"detail": {"state": ["running"]}}
    assert not compiled.matches({"detail": {"state": "stopped"}})


def test_text_and_mapping_patterns_agree() -> None:
    as_text = compile_pattern('{"detail": {"n": [{"numeric": [">", 1]}]}}')
    as_dict = compile_pattern({"detail": {"n": [{"numeric": [">", 1]}]}})
    assert as_text.source == as_dict.source
    for n in (0, 1, 2):
        assert as_text.matches({"detail": {"n": n}}) == as_dict.matches({"detail": {"n": n}})


def test_event_as_json_text_or_bytes() -> None:
    compiled = compile_pattern({"source": ["aws.ec2"]})
    assert compiled.matches('{"source": "aws.ec2"}')
    assert compiled.matches(b'{"source": "aws.ec2"}')
    assert not compiled.matches('{"source": "aws.s3"}')


def test_event_must_be_an_object() -> None:
    compiled = compile_pattern({"source": ["aws.ec2"]})
    with pytest.raises(TypeError):
        compiled.matches('["aws.ec2"]')
    with pytest.raises(ValueError):
        compiled.matches("{not json")


def test_duplicate_keys_last_one_wins() -> None:
    # EventBridge: "If you specify multiple patterns for the same JSON field, only the last one is used."
    compiled = compile_pattern('{"source": ["aws.s3"], "source": ["aws.ec2"]}')
    assert compiled.matches({"source": "aws.ec2"})
    assert not compiled.matches({"source": "aws.s3"})


def test_matches_helper_and_dialect() -> None:
    assert matches({"eventName": ["INSERT"]}, {"eventName": "INSERT"}, dialect="lambda")
    assert matches('{"eventName": ["INSERT"]}', '{"eventName": "INSERT"}')
    with pytest.raises(InvalidPatternError):
        matches({"f": [{"wildcard": "*"}]}, {"f": "x"}, dialect="lambda")
    with pytest.raises(InvalidPatternError):
        matches({"f": [{1, 2}]}, {"f": "x"})


def test_matches_helper_caches_compiled_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = patterns.pattern.compile_pattern

    def counting(pattern, dialect="eventbridge"):  # type: ignore[no-untyped-def]
        calls.append(pattern)
        return real(pattern, dialect)

    monkeypatch.setattr(patterns.pattern, "compile_pattern", counting)
    pattern = {"cache-probe": [{"prefix": "abc"}]}
    for _ in range(5):
        assert matches(pattern, {"cache-probe": "abcdef"})
    assert len(calls) <= 1


def test_error_carries_reason_and_path() -> None:
    with pytest.raises(InvalidPatternError) as info:
        compile_pattern({"detail": {"x-limit": [{"numeric": ["<", "ten"]}]}})
    error = info.value
    assert error.path == "$.detail.x-limit[0].numeric[1]"
    assert "must be numeric" in error.reason
    assert error.path in str(error)


def test_compiled_pattern_is_reusable_and_stateless() -> None:
    compiled = compile_pattern({"employees": {"firstName": ["Anna"]}})
    event = {"employees": [{"firstName": "John"}, {"firstName": "Anna"}]}
    snapshot = json.dumps(event)
    assert all(compiled.matches(event) for _ in range(3))
    assert json.dumps(event) == snapshot  # matching never mutates the event
