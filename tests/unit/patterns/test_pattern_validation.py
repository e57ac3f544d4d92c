"""Patterns AWS refuses: each row is (pattern, error fragment, JSON path of the offending field).

Compilation must raise InvalidPatternError, never compile to something that silently matches
nothing (or everything). Fragments follow the reasons AWS / Event Ruler give.
"""
from __future__ import annotations

from typing import Any

import pytest

from harness.patterns import InvalidPatternError, compile_pattern


def bad(case_id: str, pattern: Any, fragment: str, path: str | None = None, dialect: str = "eventbridge") -> Any:
    return pytest.param(pattern, fragment, path, dialect, id=case_id)


STRUCTURE = [
    bad("not-json", '{"source": ["aws.ec2"]', "not valid JSON", "$"),
    bad("json-garbage", "source = aws.ec2", "not valid JSON", "$"),
    bad("empty-text", "", "not valid JSON", "$"),
    bad("nan-constant", '{"x": [NaN]}', "not valid JSON", "$"),
    bad("top-level-array", '[{"source": ["aws.ec2"]}]', "not an object", "$"),
    bad("top-level-string", '"aws.ec2"', "not an object", "$"),
    bad("top-level-null", "null", "not an object", "$"),
    bad("empty-pattern", {}, "Empty objects are not allowed", "$"),
    bad("empty-nested-object", {"detail": {}}, "Empty objects are not allowed", "$.detail"),
    bad("leaf-not-array-string", {"source": "aws.ec2"}, "must be an object or an array", "$.source"),
    bad("leaf-not-array-number", {"detail": {"n": 5}}, "must be an object or an array", "$.detail.n"),
    bad("leaf-not-array-null", {"detail": {"n": None}}, "must be an object or an array", "$.detail.n"),
    bad("leaf-not-array-bool", {"detail": {"n": True}}, "must be an object or an array", "$.detail.n"),
    bad("empty-array", {"source": []}, "Empty arrays are not allowed", "$.source"),
    bad("nested-array-value", {"source": [["aws.ec2"]]}, "Match value must be String", "$.source[0]"),
    bad("dash-key-path-dotted", {"detail-type": []}, "Empty arrays", "$.detail-type"),
    bad("odd-key-path-bracketed", {"a.b c": []}, "Empty arrays", '$["a.b c"]'),
    bad("not-serialisable-mapping", {"source": [{1, 2}]}, "not JSON-serialisable", "$"),
    bad("nan-in-mapping", {"x": [float("nan")]}, "not JSON-serialisable", "$"),
]

OPERATOR_SHAPE = [
    bad("empty-operator-object", {"source": [{}]}, "Match expression name not found", "$.source[0]"),
    bad("operator-two-keys", {"source": [{"prefix": "a", "suffix": "b"}]}, "Only one key allowed", "$.source[0]"),
    bad("unknown-operator-contains", {"source": [{"contains": "ec2"}]}, "Unrecognized match type contains",
        "$.source[0].contains"),
    bad("unknown-operator-exactly", {"source": [{"exactly": "aws.ec2"}]}, "Unrecognized match type exactly"),
    bad("unknown-operator-begins-with", {"source": [{"begins-with": "aws"}]}, "Unrecognized match type"),
    bad("unknown-operator-typo", {"source": [{"prefx": "aws"}]}, "Unrecognized match type prefx"),
    bad("unknown-operator-case", {"source": [{"Prefix": "aws"}]}, "Unrecognized match type Prefix"),
]

STRING_OPERATORS = [
    bad("prefix-number", {"s": [{"prefix": 1}]}, "prefix match pattern must be a string", "$.s[0].prefix"),
    bad("prefix-null", {"s": [{"prefix": None}]}, "prefix match pattern must be a string"),
    bad("prefix-list", {"s": [{"prefix": ["a"]}]}, "prefix match pattern must be a string"),
    bad("prefix-unsupported-inner", {"s": [{"prefix": {"wildcard": "a*"}}]}, "Unsupported prefix pattern: wildcard",
        "$.s[0].prefix.wildcard"),
    bad("prefix-inner-two-keys", {"s": [{"prefix": {"equals-ignore-case": "a", "x": "b"}}]}, "Only one key"),
    bad("prefix-inner-empty", {"s": [{"prefix": {}}]}, "Prefix expression name not found"),
    bad("prefix-ignore-case-number", {"s": [{"prefix": {"equals-ignore-case": 5}}]},
        "equals-ignore-case match pattern must be a string", "$.s[0].prefix.equals-ignore-case"),
    bad("suffix-number", {"s": [{"suffix": 5}]}, "suffix match pattern must be a string"),
    bad("suffix-unsupported-inner", {"s": [{"suffix": {"prefix": "a"}}]}, "Unsupported suffix pattern: prefix"),
    bad("equals-ignore-case-number", {"s": [{"equals-ignore-case": 5}]}, "equals-ignore-case match pattern must be"),
    bad("equals-ignore-case-list", {"s": [{"equals-ignore-case": ["a"]}]}, "equals-ignore-case match pattern must be"),
    bad("wildcard-number", {"s": [{"wildcard": 5}]}, "wildcard match pattern must be a string"),
    bad("wildcard-double-star", {"s": [{"wildcard": "a**b"}]}, "Consecutive wildcard characters", "$.s[0].wildcard"),
    bad("wildcard-triple-star", {"s": [{"wildcard": "***"}]}, "Consecutive wildcard characters"),
    bad("wildcard-bad-escape", '{"s": [{"wildcard": "a\\\\b*"}]}', "Invalid escape character"),
    bad("wildcard-trailing-backslash", '{"s": [{"wildcard": "ab\\\\"}]}', "Invalid escape character"),
]

ANYTHING_BUT = [
    bad("anything-but-null", {"s": [{"anything-but": None}]}, "Value of anything-but must be", "$.s[0].anything-but"),
    bad("anything-but-bool", {"s": [{"anything-but": True}]}, "Value of anything-but must be"),
    bad("anything-but-empty-list", {"s": [{"anything-but": []}]}, "Empty arrays are not allowed"),
    bad("anything-but-mixed-list", {"s": [{"anything-but": ["a", 1]}]}, "mixed type is not supported"),
    bad("anything-but-list-with-null", {"s": [{"anything-but": ["a", None]}]}, "Value of anything-but must be",
        "$.s[0].anything-but[1]"),
    bad("anything-but-nested-list", {"s": [{"anything-but": [["a"]]}]}, "Value of anything-but must be"),
    bad("anything-but-empty-object", {"s": [{"anything-but": {}}]}, "Anything-But expression name not found"),
    bad("anything-but-unsupported-numeric", {"s": [{"anything-but": {"numeric": [">", 1]}}]},
        "Unsupported anything-but pattern: numeric", "$.s[0].anything-but.numeric"),
    bad("anything-but-unsupported-exists", {"s": [{"anything-but": {"exists": True}}]},
        "Unsupported anything-but pattern: exists"),
    bad("anything-but-object-two-keys", {"s": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}, "Only one key"),
    bad("anything-but-prefix-empty", {"s": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
    bad("anything-but-prefix-number", {"s": [{"anything-but": {"prefix": 5}}]}, "prefix match pattern must be"),
    bad("anything-but-prefix-empty-list", {"s": [{"anything-but": {"prefix": []}}]}, "Empty arrays are not allowed"),
    bad("anything-but-suffix-empty", {"s": [{"anything-but": {"suffix": ""}}]}, "Null prefix/suffix not allowed"),
    bad("anything-but-ignore-case-number", {"s": [{"anything-but": {"equals-ignore-case": 5}}]},
        "equals-ignore-case match pattern must be"),
    bad("anything-but-ignore-case-empty-list", {"s": [{"anything-but": {"equals-ignore-case": []}}]},
        "Empty arrays are not allowed"),
    bad("anything-but-wildcard-double-star", {"s": [{"anything-but": {"wildcard": "**"}}]},
        "Consecutive wildcard characters"),
]

NUMERIC = [
    bad("numeric-not-array", {"n": [{"numeric": ">"}]}, "Value of numeric must be an array", "$.n[0].numeric"),
    bad("numeric-empty", {"n": [{"numeric": []}]}, "Empty arrays are not allowed"),
    bad("numeric-unknown-operator", {"n": [{"numeric": ["==", 1]}]}, "Unrecognized numeric range operator: ==",
        "$.n[0].numeric[0]"),
    bad("numeric-operator-not-string", {"n": [{"numeric": [1, ">"]}]}, "Invalid member in numeric match"),
    bad("numeric-value-string", {"n": [{"numeric": ["<", "5"]}]}, "Value of < must be numeric", "$.n[0].numeric[1]"),
    bad("numeric-value-bool", {"n": [{"numeric": [">", True]}]}, "Value of > must be numeric"),
    bad("numeric-value-missing", {"n": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
    bad("numeric-equals-extra", {"n": [{"numeric": ["=", 1, "<", 2]}]}, "Too many elements"),
    bad("numeric-upper-before-lower", {"n": [{"numeric": ["<", 10, ">", 0]}]}, "upper bound (<) must come last"),
    bad("numeric-two-lower-bounds", {"n": [{"numeric": [">", 0, ">", 5]}]}, "Bad numeric range operator"),
    bad("numeric-range-missing-top", {"n": [{"numeric": [">", 0, "<"]}]}, "Value of < must be numeric"),
    bad("numeric-range-empty", {"n": [{"numeric": [">", 5, "<", 5]}]}, "Bottom must be less than top"),
    bad("numeric-range-inverted", {"n": [{"numeric": [">=", 10, "<=", 5]}]}, "Bottom must be less than top"),
    bad("numeric-too-many-terms", {"n": [{"numeric": [">", 0, "<", 5, "<", 6]}]}, "Too many terms"),
]

EXISTS_AND_CIDR = [
    bad("exists-string", {"x": [{"exists": "true"}]}, "exists match pattern must be either true or false",
        "$.x[0].exists"),
    bad("exists-one", {"x": [{"exists": 1}]}, "exists match pattern must be either true or false"),
    bad("exists-null", {"x": [{"exists": None}]}, "exists match pattern must be either true or false"),
    bad("cidr-no-slash", {"ip": [{"cidr": "10.0.0.1"}]}, "Malformed CIDR", "$.ip[0].cidr"),
    bad("cidr-prefix-too-long", {"ip": [{"cidr": "10.0.0.0/33"}]}, "Invalid CIDR"),
    bad("cidr-garbage", {"ip": [{"cidr": "not-an-ip/8"}]}, "Invalid CIDR"),
    bad("cidr-ipv6-prefix-too-long", {"ip": [{"cidr": "2001:db8::/129"}]}, "Invalid CIDR"),
    bad("cidr-number", {"ip": [{"cidr": 10}]}, "cidr match pattern must be a string"),
]

OR = [
    bad("or-not-array", {"$or": {"a": ["1"]}}, "It must be an Array followed with $or", "$.$or"),
    bad("or-one-branch", {"$or": [{"a": ["1"]}]}, "at least 2 Objects"),
    bad("or-no-branch", {"$or": []}, "at least 2 Objects"),
    bad("or-branch-not-object", {"$or": [{"a": ["1"]}, "b"]}, "Only JSON object is allowed", "$.$or[1]"),
    bad("or-branch-empty-object", {"$or": [{"a": ["1"]}, {}]}, "Empty objects are not allowed", "$.$or[1]"),
    bad("or-reserved-field-name", {"$or": [{"prefix": ["a"]}, {"b": ["c"]}]}, "reserved field name",
        "$.$or[0].prefix"),
    bad("or-reserved-name-deeper", {"$or": [{"a": {"numeric": ["x"]}}, {"b": ["c"]}]}, "reserved field name"),
    bad("or-invalid-inside-branch", {"$or": [{"a": ["1"]}, {"b": [{"numeric": ["<", "x"]}]}]},
        "Value of < must be numeric", "$.$or[1].b[0].numeric[1]"),
]

LENGTH = [
    bad("eventbridge-too-long", {"source": ["x" * 2100]}, "limit is 2048", "$"),
    bad("lambda-too-long", {"source": ["x" * 4100]}, "limit is 4096", "$", "lambda"),
]

ALL_INVALID = STRUCTURE + OPERATOR_SHAPE + STRING_OPERATORS + ANYTHING_BUT + NUMERIC + EXISTS_AND_CIDR + OR + LENGTH


@pytest.mark.parametrize(("pattern", "fragment", "path", "dialect"), ALL_INVALID)
def test_invalid_pattern_rejected(pattern: Any, fragment: str, path: str | None, dialect: str) -> None:
    with pytest.raises(InvalidPatternError) as info:
        compile_pattern(pattern, dialect)
    assert fragment in str(info.value)
    if path is not None:
        assert info.value.path == path
        assert path in str(info.value)
