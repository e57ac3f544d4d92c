"""The event contract: which aggregated events each rule routes, and what a valid detail is."""
from __future__ import annotations

import json

import pytest

from harness.patterns import compile_pattern
from streamharness.scenarios.order_aggregator.contract import (ACCOUNT_CHECK, ARTICLE_INVOICE_PATTERN, DETAIL_TYPE, FAILED,
                                                 IN_STOCK, INVOICE_PATTERN, PASSED, REJECTED_DETAIL_TYPE,
                                                 REJECTED_PATTERN, SOURCE, aggregated_detail, failed_checks,
                                                 is_json_object, parse_detail)

AC, IS = ACCOUNT_CHECK, IN_STOCK


def _envelope(detail: object, detail_type: str = DETAIL_TYPE, source: str = SOURCE) -> dict[str, object]:
    return {"version": "0", "id": "1", "detail-type": detail_type, "source": source, "account": "123456789012",
            "time": "2024-01-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail": detail}


@pytest.mark.parametrize(("events", "invoice", "article"), [
    ({AC: PASSED, IS: PASSED}, True, True),
    ({AC: PASSED, IS: FAILED}, False, True),   # the article's rule invoices an out-of-stock order
    ({AC: FAILED, IS: PASSED}, False, True),
    ({AC: FAILED, IS: FAILED}, False, True),
    ({AC: PASSED}, False, False),              # a missing check never matches either rule
    ({IS: PASSED}, False, False),
    ({}, False, False),
    ({AC: PASSED, IS: "passed"}, False, True),  # statuses are case-sensitive
])
def test_invoice_rules(events: dict[str, object], invoice: bool, article: bool) -> None:
    envelope = _envelope({"order_id": "A", "events": events})
    assert compile_pattern(INVOICE_PATTERN).matches(envelope) is invoice
    assert compile_pattern(ARTICLE_INVOICE_PATTERN).matches(envelope) is article


def test_invoice_rule_ignores_other_sources_and_types() -> None:
    detail = {"order_id": "A", "events": {AC: PASSED, IS: PASSED}}
    rule = compile_pattern(INVOICE_PATTERN)
    assert not rule.matches(_envelope(detail, detail_type=REJECTED_DETAIL_TYPE))
    assert not rule.matches(_envelope(detail, source="someone.else"))
    assert compile_pattern(ARTICLE_INVOICE_PATTERN).matches(_envelope(detail, source="someone.else"))


def test_rules_never_match_a_string_detail() -> None:
    # (EventBridge would not even accept it; if it did, no field would be found.)
    for pattern in (INVOICE_PATTERN, ARTICLE_INVOICE_PATTERN):
        assert not compile_pattern(pattern).matches(_envelope("json.dumps(event_status)"))


def test_rejected_rule() -> None:
    rule = compile_pattern(REJECTED_PATTERN)
    assert rule.matches(_envelope({"order_id": "A", "failed_checks": [IS]}, detail_type=REJECTED_DETAIL_TYPE))
    assert not rule.matches(_envelope({"order_id": "A", "events": {}}))


def test_aggregated_detail_is_stable() -> None:
    detail = aggregated_detail("A", {IS: FAILED, "Fraud Check": PASSED, AC: PASSED})
    assert json.dumps(detail) == json.dumps(
        {"order_id": "A", "events": {AC: PASSED, IS: FAILED, "Fraud Check": PASSED}})
    assert parse_detail(json.dumps(detail)) == (detail, "")
    assert parse_detail(detail) == (detail, "")
    assert failed_checks(detail["events"]) == [IS]
    assert failed_checks({}) == []


@pytest.mark.parametrize(("detail", "ok"), [
    ('{"order_id": "A"}', True), ("{}", True), ("json.dumps(event_status)", False), ('"text"', False),
    ("[]", False), ("null", False), ("", False), ("{", False),
])
def test_is_json_object(detail: str, ok: bool) -> None:
    assert is_json_object(detail) is ok


def test_parse_detail_accepts_bytes() -> None:
    assert parse_detail(b'{"order_id": "A", "events": {}}')[0] == {"order_id": "A", "events": {}}
    assert parse_detail(b"\xff")[0] is None
