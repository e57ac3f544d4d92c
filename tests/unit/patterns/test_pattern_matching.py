"""Table-driven matching cases, one row per (pattern, event, expected), grouped by operator.

Rows come from AWS's EventBridge user guide (event patterns, arrays, null values, content
filtering / comparison operators), the Lambda event-filtering and DynamoDB-filtering pages, and
the Event Ruler README that those pages are built on. A row's id names what it checks.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from harness.patterns import compile_pattern


def case(case_id: str, pattern: Any, event: Any, expected: bool, dialect: str = "eventbridge") -> Any:
    return pytest.param(pattern, event, expected, dialect, id=case_id)


EC2 = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}


def detail(**fields: Any) -> dict[str, Any]:
    """An EC2-shaped event whose ``detail`` is exactly ``fields`` (dashes spelled as underscores)."""
    return {**EC2, "detail": {k.replace("_", "-"): v for k, v in fields.items()}}


EMPLOYEES = {
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}

DDB_INSERT = {
    "eventID": "1",
    "eventName": "INSERT",
    "eventVersion": "1.1",
    "eventSource": "aws:dynamodb",
    "awsRegion": "us-east-1",
    "dynamodb": {
        "ApproximateCreationDateTime": 1678831218,
        "Keys": {"CustomerName": {"S": "AnyCompany Industries"}},
        "NewImage": {
            "AccountManager": {"S": "Pat Candella"},
            "PaymentTerms": {"S": "60 days"},
            "CustomerName": {"S": "AnyCompany Industries"},
            "status": {"S": "open"},
            "priority": {"N": "10"},
            "active": {"BOOL": True},
            "tags": {"L": [{"S": "red"}, {"S": "blue"}]},
        },
        "OldImage": {"status": {"S": "new"}},
        "SequenceNumber": "111",
        "SizeBytes": 26,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    },
}

CW = {"source": "aws.cloudwatch", "metricName": "NetworkIn", "namespace": "AWS/EC2",
      "metricType": "MetricType", "scope": "Account"}

EXACT = [
    case("exact-string-match", {"source": ["aws.ec2"]}, EC2, True),
    case("exact-string-mismatch", {"source": ["aws.s3"]}, EC2, False),
    case("exact-list-is-or", {"source": ["aws.ec2", "aws.fargate"]}, {**EC2, "source": "aws.fargate"}, True),
    case("exact-nested-match", {"detail": {"state": ["terminated"]}}, EC2, True),
    case("exact-nested-mismatch", {"detail": {"state": ["running"]}}, EC2, False),
    case("exact-fields-are-anded", {"source": ["aws.ec2"], "detail": {"state": ["running"]}}, EC2, False),
    case("exact-doc-example-three-fields",
         {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
          "detail": {"state": ["terminated"]}}, EC2, True),
    case("exact-is-case-sensitive", {"source": ["AWS.EC2"]}, EC2, False),
    case("exact-no-whitespace-normalisation", {"source": ["aws.ec2 "]}, EC2, False),
    case("missing-field-fails", {"nosuch": ["x"]}, EC2, False),
    case("missing-parent-fails", {"nosuch": {"state": ["terminated"]}}, EC2, False),
    case("leaf-pattern-vs-object-value", {"detail": ["terminated"]}, EC2, False),
    case("object-pattern-vs-scalar-value", {"source": {"state": ["aws.ec2"]}}, EC2, False),
    case("unmentioned-event-fields-ignored", {"region": ["us-west-1"]}, EC2, True),
    case("number-exact", {"detail": {"risk-score": [80]}}, detail(risk_score=80), True),
    case("number-exact-mismatch", {"detail": {"risk-score": [80]}}, detail(risk_score=81), False),
    case("number-int-equals-float", {"detail": {"x": [300]}}, detail(x=300.0), True),
    case("number-exponent-text-equals-int", '{"detail": {"x": [3.0e2]}}', detail(x=300), True),
    case("number-negative-zero", {"detail": {"x": [0]}}, detail(x=-0.0), True),
    case("number-pattern-vs-string-value", {"detail": {"x": [80]}}, detail(x="80"), False),
    case("string-pattern-vs-number-value", {"detail": {"x": ["80"]}}, detail(x=80), False),
    case("number-large-account-id", {"account": [123456789012]}, {"account": 123456789012}, True),
    case("true-matches-true", {"detail": {"ok": [True]}}, detail(ok=True), True),
    case("true-vs-string-true", {"detail": {"ok": [True]}}, detail(ok="true"), False),
    case("false-vs-zero", {"detail": {"ok": [False]}}, detail(ok=0), False),
    case("one-vs-true", {"detail": {"ok": [1]}}, detail(ok=True), False),
    case("zero-vs-false", {"detail": {"ok": [0]}}, detail(ok=False), False),
    case("null-matches-null", {"detail": {"responseElements": [None]}}, detail(responseElements=None), True),
    case("null-vs-missing", {"detail": {"responseElements": [None]}}, detail(), False),
    case("null-vs-empty-string", {"detail": {"responseElements": [None]}}, detail(responseElements=""), False),
    case("empty-string-matches-empty", {"detail": {"eventVersion": [""]}}, detail(eventVersion=""), True),
    case("empty-string-vs-null", {"detail": {"eventVersion": [""]}}, detail(eventVersion=None), False),
    case("empty-string-vs-missing", {"detail": {"eventVersion": [""]}}, detail(), False),
    case("null-or-empty-list", {"detail": {"v": [None, ""]}}, detail(v=""), True),
    case("unicode-exact", {"detail": {"city": ["Zürich"]}}, detail(city="Zürich"), True),
    case("ip-shaped-value-compared-as-address", {"detail": {"ip": ["::1"]}},
         detail(ip="0:0:0:0:0:0:0:1"), True),
    case("ip-shaped-value-exact", {"detail": {"ip": ["10.0.0.1"]}}, detail(ip="10.0.0.1"), True),
    case("ip-shaped-value-other-address", {"detail": {"ip": ["10.0.0.1"]}}, detail(ip="10.0.0.2"), False),
]

ARRAYS = [
    case("array-intersection-doc-example",
         {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]},
         {"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x",
                        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}, True),
    case("array-no-intersection", {"resources": ["a", "b"]}, {"resources": ["c", "d"]}, False),
    case("array-of-numbers", {"detail": {"codes": [3]}}, detail(codes=[1, 2, 3]), True),
    case("array-empty-event-array", {"detail": {"codes": ["x"]}}, detail(codes=[]), False),
    case("array-nested-arrays-flattened", {"detail": {"v": ["b"]}}, detail(v=[["a"], ["b"]]), True),
    case("array-objects-any-element", {"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    case("array-objects-no-element", {"employees": {"firstName": ["Zed"]}}, EMPLOYEES, False),
    case("array-objects-consistency-split-elements",
         {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, EMPLOYEES, False),
    case("array-objects-consistency-same-element",
         {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, EMPLOYEES, True),
    case("array-objects-multi-level",
         {"employees": {"firstName": ["Peter"]}},
         {"employees": [[{"firstName": "John"}, {"firstName": "Anna"}], [{"firstName": "Peter"}]]}, True),
    case("array-objects-deep-nesting",
         {"detail": {"items": {"sku": {"id": [{"prefix": "B-"}]}}}},
         detail(items=[{"sku": {"id": "A-1"}}, {"sku": {"id": "B-2"}}]), True),
    case("array-objects-some-elements-lack-field",
         {"detail": {"items": {"qty": [2]}}}, detail(items=[{"sku": "a"}, {"qty": 2}]), True),
    case("array-objects-with-numeric-consistency",
         {"detail": {"items": {"sku": ["a"], "qty": [{"numeric": [">", 5]}]}}},
         detail(items=[{"sku": "a", "qty": 1}, {"sku": "b", "qty": 9}]), False),
    case("array-mixed-scalars-and-objects-leaf", {"detail": {"v": ["x"]}}, detail(v=["x", {"a": 1}]), True),
    case("array-mixed-scalars-and-objects-nested", {"detail": {"v": {"a": [1]}}}, detail(v=["x", {"a": 1}]), True),
    case("array-of-objects-vs-leaf-pattern", {"employees": ["Anna"]}, EMPLOYEES, False),
    case("array-ddb-list-attribute", {"dynamodb": {"NewImage": {"tags": {"L": {"S": ["blue"]}}}}},
         DDB_INSERT, True),
    case("array-ddb-list-attribute-miss", {"dynamodb": {"NewImage": {"tags": {"L": {"S": ["green"]}}}}},
         DDB_INSERT, False),
    case("array-top-level-event-array-of-objects-or",
         {"records": {"$or": [{"a": ["1"]}, {"b": ["2"]}]}}, {"records": [{"a": "0"}, {"b": "2"}]}, True),
]

PREFIX = [
    case("prefix-doc-time", {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}, True),
    case("prefix-mismatch", {"time": [{"prefix": "2017-10-02"}]}, EC2, False),
    case("prefix-on-number", {"detail": {"n": [{"prefix": "1"}]}}, detail(n=123), False),
    case("prefix-on-array", {"resources": [{"prefix": "arn:aws:ec2"}]}, EC2, True),
    case("prefix-empty-string-matches-any-string", {"source": [{"prefix": ""}]}, EC2, True),
    case("prefix-empty-string-not-number", {"detail": {"n": [{"prefix": ""}]}}, detail(n=1), False),
    case("prefix-is-case-sensitive", {"detail": {"service": [{"prefix": "EventB"}]}},
         detail(service="eventbridge"), False),
    case("prefix-ignore-case", {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
         detail(service="eventbridge"), True),
    case("prefix-ignore-case-upper", {"detail": {"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}},
         detail(service="EVENTBRIDGE"), True),
    case("prefix-ignore-case-mismatch", {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
         detail(service="sns"), False),
    case("prefix-missing-field", {"detail": {"service": [{"prefix": "a"}]}}, detail(), False),
    case("prefix-or-exact-in-one-list", {"region": [{"prefix": "eu-"}, "us-west-1"]}, EC2, True),
]

SUFFIX = [
    case("suffix-png", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}, True),
    case("suffix-is-case-sensitive", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"}, False),
    case("suffix-ignore-case", {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]},
         {"FileName": "IMAGE.PNG"}, True),
    case("suffix-ignore-case-mismatch", {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]},
         {"FileName": "image.jpg"}, False),
    case("suffix-on-number", {"n": [{"suffix": "3"}]}, {"n": 123}, False),
    case("suffix-on-array", {"files": [{"suffix": ".gif"}]}, {"files": ["a.png", "b.gif"]}, True),
]

EQUALS_IGNORE_CASE = [
    case("ignore-case-match", {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "ALICE"}, True),
    case("ignore-case-not-prefix", {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "Alicia"}, False),
    case("ignore-case-on-number", {"n": [{"equals-ignore-case": "1"}]}, {"n": 1}, False),
    case("ignore-case-on-null", {"n": [{"equals-ignore-case": "null"}]}, {"n": None}, False),
    case("ignore-case-on-array", {"Name": [{"equals-ignore-case": "bob"}]}, {"Name": ["alice", "BoB"]}, True),
]

WILDCARD = [
    case("wildcard-doc-simple-service", {"source": [{"wildcard": "Simple*Service"}]},
         {"source": "Simple Notification Service"}, True),
    case("wildcard-leading", {"f": [{"wildcard": "*.png"}]}, {"f": "dir/a.png"}, True),
    case("wildcard-mismatch", {"f": [{"wildcard": "dir/*.png"}]}, {"f": "dir/a.jpg"}, False),
    case("wildcard-both-ends", {"f": [{"wildcard": "*/lib/*"}]}, {"f": "/usr/lib/x.so"}, True),
    case("wildcard-star-matches-empty", {"f": [{"wildcard": "a*b"}]}, {"f": "ab"}, True),
    case("wildcard-without-star-is-exact", {"f": [{"wildcard": "abc"}]}, {"f": "abcd"}, False),
    case("wildcard-escaped-star-literal", '{"f": [{"wildcard": "a\\\\*b"}]}', {"f": "a*b"}, True),
    case("wildcard-escaped-star-not-wild", '{"f": [{"wildcard": "a\\\\*b"}]}', {"f": "axb"}, False),
    case("wildcard-escaped-backslash", '{"f": [{"wildcard": "a\\\\\\\\*"}]}', {"f": "a\\bc"}, True),
    case("wildcard-on-number", {"n": [{"wildcard": "1*"}]}, {"n": 123}, False),
    case("wildcard-regex-chars-are-literal", {"f": [{"wildcard": "a.c*"}]}, {"f": "abcd"}, False),
    case("wildcard-several-stars", {"f": [{"wildcard": "*/lib/*/x*"}]}, {"f": "/usr/lib/py/xyz"}, True),
    case("wildcard-newline-in-value", {"f": [{"wildcard": "a*b"}]}, {"f": "a\nb"}, True),
]

ANYTHING_BUT = [
    case("anything-but-string", {"detail": {"state": [{"anything-but": "initializing"}]}},
         detail(state="running"), True),
    case("anything-but-string-excluded", {"detail": {"state": [{"anything-but": "initializing"}]}},
         detail(state="initializing"), False),
    case("anything-but-number", {"detail": {"x-limit": [{"anything-but": 123}]}}, detail(x_limit=456), True),
    case("anything-but-number-excluded", {"detail": {"x-limit": [{"anything-but": 123}]}},
         detail(x_limit=123), False),
    case("anything-but-number-excluded-numerically", {"detail": {"x-limit": [{"anything-but": 123}]}},
         detail(x_limit=123.0), False),
    case("anything-but-string-list", {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
         detail(state="running"), True),
    case("anything-but-string-list-excluded", {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
         detail(state="stopped"), False),
    case("anything-but-number-list-excluded", {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
         detail(x_limit=300), False),
    case("anything-but-number-list", {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
         detail(x_limit=150), True),
    case("anything-but-missing-field-no-match", {"detail": {"state": [{"anything-but": "initializing"}]}},
         detail(), False),
    case("anything-but-string-vs-number-value", {"detail": {"state": [{"anything-but": "x"}]}},
         detail(state=5), True),
    case("anything-but-number-vs-string-value", {"detail": {"n": [{"anything-but": 5}]}}, detail(n="abc"), True),
    case("anything-but-vs-null", {"detail": {"state": [{"anything-but": "x"}]}}, detail(state=None), True),
    case("anything-but-on-object-value", {"detail": [{"anything-but": "x"}]}, EC2, False),
    case("anything-but-array-one-other-value", {"detail": {"state": [{"anything-but": "initializing"}]}},
         detail(state=["initializing", "running"]), True),
    case("anything-but-array-only-excluded", {"detail": {"state": [{"anything-but": "initializing"}]}},
         detail(state=["initializing"]), False),
    case("anything-but-empty-array", {"detail": {"state": [{"anything-but": "initializing"}]}},
         detail(state=[]), False),
    case("anything-but-prefix-excluded", {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
         detail(state="initializing"), False),
    case("anything-but-prefix", {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
         detail(state="running"), True),
    case("anything-but-prefix-list", {"Region": [{"anything-but": {"prefix": ["us-", "eu-"]}}]},
         {"Region": "ap-south-1"}, True),
    case("anything-but-prefix-list-excluded", {"Region": [{"anything-but": {"prefix": ["us-", "eu-"]}}]},
         {"Region": "eu-west-1"}, False),
    case("anything-but-prefix-vs-number", {"n": [{"anything-but": {"prefix": "1"}}]}, {"n": 123}, True),
    case("anything-but-suffix", {"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.jpg"}, True),
    case("anything-but-suffix-excluded", {"FileName": [{"anything-but": {"suffix": ".png"}}]},
         {"FileName": "a.png"}, False),
    case("anything-but-ignore-case-excluded", {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
         {"state": "INITIALIZING"}, False),
    case("anything-but-ignore-case", {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
         {"state": "running"}, True),
    case("anything-but-ignore-case-list-excluded", {"state": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]},
         {"state": "b"}, False),
    case("anything-but-wildcard-excluded", {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
         {"FilePath": "/usr/lib/x"}, False),
    case("anything-but-wildcard", {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
         {"FilePath": "/usr/bin/x"}, True),
    case("anything-but-wildcard-list", {"f": [{"anything-but": {"wildcard": ["*.png", "*.gif"]}}]},
         {"f": "a.gif"}, False),
]

NUMERIC = [
    case("numeric-range-upper-inclusive", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
         detail(c_count=5), True),
    case("numeric-range-lower-exclusive", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
         detail(c_count=0), False),
    case("numeric-range-just-above", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
         detail(c_count=5.0001), False),
    case("numeric-less-than", {"detail": {"d-count": [{"numeric": ["<", 10]}]}}, detail(d_count=3), True),
    case("numeric-equals-exponent", '{"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}}',
         detail(x_limit=301.8), True),
    case("numeric-equals-int-float", {"x": [{"numeric": ["=", 100]}]}, {"x": 100.0}, True),
    case("numeric-ge-equal", {"x": [{"numeric": [">=", 10]}]}, {"x": 10}, True),
    case("numeric-gt-equal", {"x": [{"numeric": [">", 10]}]}, {"x": 10}, False),
    case("numeric-le-equal", {"x": [{"numeric": ["<=", 10]}]}, {"x": 10}, True),
    case("numeric-lt-equal", {"x": [{"numeric": ["<", 10]}]}, {"x": 10}, False),
    case("numeric-range-lower-inclusive", {"x": [{"numeric": [">=", 1, "<", 2]}]}, {"x": 1}, True),
    case("numeric-range-upper-exclusive", {"x": [{"numeric": [">=", 1, "<", 2]}]}, {"x": 2}, False),
    case("numeric-on-numeric-string", {"x": [{"numeric": [">", 0]}]}, {"x": "5"}, False),
    case("numeric-on-bool", {"x": [{"numeric": [">", 0]}]}, {"x": True}, False),
    case("numeric-on-null", {"x": [{"numeric": ["<", 0]}]}, {"x": None}, False),
    case("numeric-on-array", {"x": [{"numeric": [">", 10]}]}, {"x": [1, 20]}, True),
    case("numeric-negative-range", {"x": [{"numeric": [">=", -10, "<", 0]}]}, {"x": -5}, True),
    case("numeric-missing-field", {"x": [{"numeric": [">", 0]}]}, {"y": 1}, False),
    case("numeric-decimal-value", {"x": [{"numeric": [">", 1.5]}]}, {"x": Decimal("1.75")}, True),
    case("numeric-or-of-ranges-miss", {"x": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]}, {"x": 50}, False),
    case("numeric-or-of-ranges-hit", {"x": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]}, {"x": 150}, True),
    case("numeric-float-bounds", {"price": [{"numeric": [">", 0, "<=", 150.5]}]}, {"price": 150.5}, True),
]

EXISTS = [
    case("exists-true-present", {"detail": {"state": [{"exists": True}]}}, EC2, True),
    case("exists-true-missing", {"detail": {"c-count": [{"exists": True}]}}, EC2, False),
    case("exists-false-missing", {"detail": {"c-count": [{"exists": False}]}}, EC2, True),
    case("exists-false-present", {"detail": {"state": [{"exists": False}]}}, EC2, False),
    case("exists-true-on-object-is-not-leaf", {"detail": {"c-count": [{"exists": True}]}},
         detail(c_count={"c1": 100}), False),
    case("exists-false-on-object-doc-example", {"detail": {"c-count": [{"exists": False}]}},
         detail(state=["initializing", "running"], c_count={"c1": 100}), True),
    case("exists-true-on-empty-array", {"detail": {"tags": [{"exists": True}]}}, detail(tags=[]), False),
    case("exists-false-on-empty-array", {"detail": {"tags": [{"exists": False}]}}, detail(tags=[]), True),
    case("exists-true-on-null", {"detail": {"v": [{"exists": True}]}}, detail(v=None), True),
    case("exists-true-on-empty-string", {"detail": {"v": [{"exists": True}]}}, detail(v=""), True),
    case("exists-true-on-array-of-objects", {"employees": [{"exists": True}]}, EMPLOYEES, False),
    case("exists-true-on-array-with-null", {"detail": {"v": [{"exists": True}]}}, detail(v=[None]), True),
    case("exists-false-parent-missing", {"nosuch": {"v": [{"exists": False}]}}, EC2, True),
    case("exists-false-parent-scalar", {"source": {"v": [{"exists": False}]}}, EC2, True),
    case("exists-true-parent-missing", {"nosuch": {"v": [{"exists": True}]}}, EC2, False),
    case("exists-false-element-lacking-field", {"employees": {"middleName": [{"exists": False}]}}, EMPLOYEES, True),
    case("exists-false-every-element-has-field", {"employees": {"firstName": [{"exists": False}]}},
         EMPLOYEES, False),
    case("exists-false-with-sibling-in-same-element",
         {"employees": {"firstName": ["Anna"], "middleName": [{"exists": False}]}}, EMPLOYEES, True),
    case("exists-combined-with-exact-or", {"detail": {"v": [{"exists": False}, "x"]}}, detail(v="x"), True),
    case("exists-ddb-doc-example",
         {"dynamodb": {"NewImage": {"AccountManager": {"S": [{"exists": True}]}}}}, DDB_INSERT, True),
]

CIDR = [
    case("cidr-ipv4-doc-example", {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
         detail(sourceIPAddress="10.0.0.33"), True),
    case("cidr-ipv4-last-address", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"}, True),
    case("cidr-ipv4-outside", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.1"}, False),
    case("cidr-ipv6-inside", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8:1234::1"}, True),
    case("cidr-ipv6-outside", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db9::1"}, False),
    case("cidr-ipv6-uppercase-value", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:DB8::ABCD"}, True),
    case("cidr-ipv4-value-vs-ipv6-network", {"ip": [{"cidr": "::/0"}]}, {"ip": "10.0.0.1"}, False),
    case("cidr-on-number", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": 10}, False),
    case("cidr-on-non-ip-string", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "localhost"}, False),
    case("cidr-host-bits-normalised", {"ip": [{"cidr": "10.0.0.5/24"}]}, {"ip": "10.0.0.9"}, True),
    case("cidr-slash-32", {"ip": [{"cidr": "192.168.1.1/32"}]}, {"ip": "192.168.1.1"}, True),
    case("cidr-on-array", {"ips": [{"cidr": "172.16.0.0/12"}]}, {"ips": ["8.8.8.8", "172.20.1.1"]}, True),
]

OR = [
    case("or-doc-normal-second-branch",
         {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]},
                                                {"namespace": ["AWS/EC2", "AWS/ES"]}]}, CW, True),
    case("or-doc-normal-no-branch",
         {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/ES"]}]},
         CW, False),
    case("or-and-outside-fails",
         {"source": ["aws.s3"], "$or": [{"metricName": ["NetworkIn"]}, {"namespace": ["AWS/EC2"]}]}, CW, False),
    case("or-nested-in-detail", {"detail": {"$or": [{"state": ["running"]}, {"instance-id": [{"prefix": "i-"}]}]}},
         EC2, True),
    case("or-branch-with-and-inside",
         {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]},
                                                {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]},
                                                {"scope": ["Service"]}]}, CW, True),
    case("or-branch-with-and-inside-partial",
         {"$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "namespace": ["AWS/ES"]}]},
         CW, False),
    case("or-nested-or-in-branch",
         {"source": ["aws.cloudwatch"],
          "$or": [{"metricName": ["CPUUtilization"]},
                  {"metricType": ["MetricType"], "namespace": ["AWS/EC2"],
                   "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}]},
         {**CW, "spaceId": 1000}, True),
    case("or-nested-or-in-branch-miss",
         {"$or": [{"metricName": ["x"]}, {"namespace": ["AWS/EC2"], "$or": [{"metricId": [1]}, {"spaceId": [2]}]}]},
         CW, False),
    case("or-parallel-groups-both-hold",
         {"$or": [{"metricName": ["NetworkIn"]}, {"namespace": ["x"]}],
          "detail": {"$or": [{"state": ["terminated"]}, {"x": ["y"]}]}},
         {**CW, "detail": {"state": "terminated"}}, True),
    case("or-parallel-groups-one-fails",
         {"$or": [{"metricName": ["NetworkIn"]}, {"namespace": ["x"]}],
          "detail": {"$or": [{"state": ["running"]}, {"x": ["y"]}]}},
         {**CW, "detail": {"state": "terminated"}}, False),
    case("or-branch-exists-false", {"$or": [{"a": ["1"]}, {"b": [{"exists": False}]}]}, {"a": "2"}, True),
    case("or-with-numeric-branches",
         {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}]},
         {"c-count": 50, "d-count": 5}, True),
]

LAMBDA_DDB = [
    case("ddb-event-name-insert", {"eventName": ["INSERT"]}, DDB_INSERT, True, "lambda"),
    case("ddb-event-name-modify", {"eventName": ["MODIFY"]}, DDB_INSERT, False, "lambda"),
    case("ddb-event-name-or", {"eventName": ["INSERT", "MODIFY"]}, DDB_INSERT, True, "lambda"),
    case("ddb-new-image-status", {"dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}, DDB_INSERT, True, "lambda"),
    case("ddb-new-image-status-other", {"dynamodb": {"NewImage": {"status": {"S": ["closed"]}}}},
         DDB_INSERT, False, "lambda"),
    case("ddb-new-image-missing-attribute", {"dynamodb": {"NewImage": {"nosuch": {"S": ["open"]}}}},
         DDB_INSERT, False, "lambda"),
    case("ddb-keys-doc-example", {"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany Industries"]}}}},
         DDB_INSERT, True, "lambda"),
    case("ddb-n-is-a-string-so-numeric-fails", {"dynamodb": {"NewImage": {"priority": {"N": [{"numeric": [">", 5]}]}}}},
         DDB_INSERT, False, "lambda"),
    case("ddb-n-exact-string", {"dynamodb": {"NewImage": {"priority": {"N": ["10"]}}}}, DDB_INSERT, True, "lambda"),
    case("ddb-old-image-anything-but", {"dynamodb": {"OldImage": {"status": {"S": [{"anything-but": ["open"]}]}}}},
         DDB_INSERT, True, "lambda"),
    case("ddb-bool-cdk-example", {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"active": {"BOOL": [True]}}}},
         DDB_INSERT, True, "lambda"),
    case("ddb-prefix-begins-with", {"dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"prefix": "60"}]}}}},
         DDB_INSERT, True, "lambda"),
    case("ddb-suffix-ends-with", {"dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"suffix": "days"}]}}}},
         DDB_INSERT, True, "lambda"),
    case("ddb-equals-ignore-case", {"dynamodb": {"NewImage": {"status": {"S": [{"equals-ignore-case": "OPEN"}]}}}},
         DDB_INSERT, True, "lambda"),
    case("ddb-not-exists", {"dynamodb": {"NewImage": {"deletedAt": [{"exists": False}]}}}, DDB_INSERT, True, "lambda"),
    case("ddb-or-multiple-fields",
         {"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}]},
         DDB_INSERT, True, "lambda"),
    case("ddb-size-bytes-numeric", {"dynamodb": {"SizeBytes": [{"numeric": ["<", 100]}]}}, DDB_INSERT, True, "lambda"),
    case("ddb-remove-by-ttl-service",
         {"eventName": ["REMOVE"], "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}},
         {**DDB_INSERT, "eventName": "REMOVE",
          "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}}, True, "lambda"),
]

ALL_CASES = (EXACT + ARRAYS + PREFIX + SUFFIX + EQUALS_IGNORE_CASE + WILDCARD + ANYTHING_BUT + NUMERIC
             + EXISTS + CIDR + OR + LAMBDA_DDB)


@pytest.mark.parametrize(("pattern", "event", "expected", "dialect"), ALL_CASES)
def test_matches(pattern: Any, event: Any, expected: bool, dialect: str) -> None:
    assert compile_pattern(pattern, dialect).matches(event) is expected
