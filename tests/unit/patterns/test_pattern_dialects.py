"""The lambda dialect accepts only the operators Lambda's event-filtering page lists."""
from __future__ import annotations

from typing import Any

import pytest

from harness.patterns import InvalidPatternError, compile_pattern

LAMBDA_ACCEPTS = [
    pytest.param({"UserID": [None]}, id="null"),
    pytest.param({"LastName": [""]}, id="empty"),
    pytest.param({"Name": ["Alice"]}, id="equals"),
    pytest.param({"Name": [{"equals-ignore-case": "alice"}]}, id="equals-ignore-case"),
    pytest.param({"Location": ["New York"], "Day": ["Monday"]}, id="and"),
    pytest.param({"PaymentType": ["Credit", "Debit"]}, id="or-values"),
    pytest.param({"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}, id="or-multiple-fields"),
    pytest.param({"Weather": [{"anything-but": ["Raining"]}]}, id="not"),
    pytest.param({"Price": [{"numeric": ["=", 100]}]}, id="numeric-equals"),
    pytest.param({"Price": [{"numeric": [">", 10, "<=", 20]}]}, id="numeric-range"),
    pytest.param({"ProductName": [{"exists": True}]}, id="exists"),
    pytest.param({"ProductName": [{"exists": False}]}, id="does-not-exist"),
    pytest.param({"Region": [{"prefix": "us-"}]}, id="begins-with"),
    pytest.param({"FileName": [{"suffix": ".png"}]}, id="ends-with"),
]

LAMBDA_REJECTS = [
    pytest.param({"f": [{"wildcard": "*.png"}]}, "'wildcard'", "$.f[0].wildcard", id="wildcard"),
    pytest.param({"ip": [{"cidr": "10.0.0.0/8"}]}, "'cidr'", "$.ip[0].cidr", id="cidr"),
    pytest.param({"s": [{"prefix": {"equals-ignore-case": "a"}}]}, "'prefix with equals-ignore-case'",
                 "$.s[0].prefix.equals-ignore-case", id="prefix-ignore-case"),
    pytest.param({"s": [{"suffix": {"equals-ignore-case": "a"}}]}, "'suffix with equals-ignore-case'",
                 "$.s[0].suffix.equals-ignore-case", id="suffix-ignore-case"),
    pytest.param({"s": [{"anything-but": {"prefix": "a"}}]}, "'anything-but with prefix'",
                 "$.s[0].anything-but.prefix", id="anything-but-prefix"),
    pytest.param({"s": [{"anything-but": {"suffix": "a"}}]}, "'anything-but with suffix'",
                 "$.s[0].anything-but.suffix", id="anything-but-suffix"),
    pytest.param({"s": [{"anything-but": {"equals-ignore-case": "a"}}]}, "'anything-but with equals-ignore-case'",
                 "$.s[0].anything-but.equals-ignore-case", id="anything-but-ignore-case"),
    pytest.param({"s": [{"anything-but": {"wildcard": "a*"}}]}, "'anything-but with wildcard'",
                 "$.s[0].anything-but.wildcard", id="anything-but-wildcard"),
]


@pytest.mark.parametrize("pattern", LAMBDA_ACCEPTS)
def test_lambda_accepts_documented_operators(pattern: dict[str, Any]) -> None:
    compile_pattern(pattern, "lambda")
    compile_pattern(pattern, "eventbridge")  # everything Lambda takes, EventBridge takes too


@pytest.mark.parametrize(("pattern", "operator", "path"), LAMBDA_REJECTS)
def test_lambda_rejects_undocumented_operators(pattern: dict[str, Any], operator: str, path: str) -> None:
    compile_pattern(pattern, "eventbridge")
    with pytest.raises(InvalidPatternError) as info:
        compile_pattern(pattern, "lambda")
    message = str(info.value)
    assert operator in message and "'lambda' dialect" in message
    assert message.startswith("Invalid filter pattern definition")
    assert info.value.path == path and info.value.dialect == "lambda"


def test_lambda_allows_longer_patterns_than_eventbridge() -> None:
    pattern = {"source": ["x" * 3000]}
    assert compile_pattern(pattern, "lambda").matches({"source": "x" * 3000})
    with pytest.raises(InvalidPatternError, match="2048"):
        compile_pattern(pattern, "eventbridge")


def test_length_limits_are_inclusive() -> None:
    text = '{"s": ["' + "x" * (2048 - len('{"s": [""]}')) + '"]}'
    assert len(text) == 2048
    compile_pattern(text)
    with pytest.raises(InvalidPatternError):
        compile_pattern(text.replace('["', '["y'))


def test_eventbridge_message_style() -> None:
    with pytest.raises(InvalidPatternError) as info:
        compile_pattern({"source": "aws.ec2"})
    assert str(info.value).startswith("Event pattern is not valid. Reason: ")
    assert info.value.dialect == "eventbridge"


def test_unknown_dialect_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        compile_pattern({"a": ["b"]}, "pipes")  # type: ignore[arg-type]
