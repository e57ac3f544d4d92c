"""The divergence report's comparison (pure) and the names external deploy gives its resources."""
from __future__ import annotations

import json

from harness.deploy.external import CAPTURE_PATTERN, capture_rule_name, delivery_queue_name, queue_name
from harness.patterns import compile_pattern
from harness.runtime.delivery.external import _envelope, routing_divergences


def test_same_rules_on_both_sides_is_no_divergence() -> None:
    assert routing_divergences({"e1": ["a", "b"], "e2": []}, {"e1": {"b", "a"}}, {"a", "b"}) == []


def test_a_rule_only_the_backend_delivered_through() -> None:
    assert routing_divergences({"e1": ["a"]}, {"e1": {"a", "off"}}, {"a", "off"}) == [{
        "event_id": "e1", "ours": ["a"], "backend": ["a", "off"], "only_ours": [], "only_backend": ["off"],
        "captured": True}]


def test_a_rule_our_matcher_matched_but_the_backend_did_not_deliver() -> None:
    [d] = routing_divergences({"e1": ["a", "b"]}, {}, {"a", "b"})
    assert (d["only_ours"], d["only_backend"], d["backend"]) == (["a", "b"], [], [])


def test_rules_that_cannot_be_observed_are_left_out_on_both_sides() -> None:
    # "t" has only transformed or non-Lambda targets: its deliveries do not name the event
    assert routing_divergences({"e1": ["a", "t"]}, {"e1": {"a"}}, {"a"}) == []
    assert routing_divergences({"e1": []}, {"e1": {"t"}}, {"a"}) == []


def test_an_event_delivered_but_never_captured_is_reported_after_the_captured_ones() -> None:
    found = routing_divergences({"e1": ["a"], "e2": ["a"]}, {"e3": {"a"}, "e1": {"a"}}, {"a"})
    assert [(d["event_id"], d["captured"]) for d in found] == [("e2", True), ("e3", False)]


def test_the_capture_pattern_matches_every_event() -> None:
    pattern = compile_pattern(CAPTURE_PATTERN, dialect="eventbridge")
    for source in ("shop", "", "aws.s3", "x" * 300):
        assert pattern.matches({"source": source, "detail-type": "t", "detail": {}})


def test_envelopes_are_told_from_transformed_payloads() -> None:
    envelope = {"id": "e1", "source": "s", "detail-type": "t", "detail": {}}
    assert _envelope(json.dumps(envelope)) == envelope
    assert _envelope(json.dumps({"order": 1})) is None
    assert _envelope('"Order o-7 placed"') is None
    assert _envelope("not json") is None


def test_resource_names_fit_aws_limits() -> None:
    assert delivery_queue_name("sh-", "invoice.rule", "fn") == "sh-dq-invoice_rule-fn"
    long = delivery_queue_name("sh-", "r" * 64, "t" * 64)
    assert len(long) == 80 and long != delivery_queue_name("sh-", "r" * 64, "t" * 63 + "u")
    assert capture_rule_name("sh-", "orders") == "sh-capture-orders"
    assert len(capture_rule_name("sh-", "b" * 256)) == 64
    assert queue_name("a.b c") == "a_b_c"
