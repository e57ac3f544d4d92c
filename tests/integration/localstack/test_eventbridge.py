"""LocalStack's EventBridge routes (external mode); the capture rule's audit compares it with our matcher.
It agrees on every pattern operator tested (a divergence there fails the first test), and diverges on
DISABLED rules, as moto does (tests/integration/test_eventbridge_external.py): the second test pins that."""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from conftest import module_state

from harness import EventBus, Function, Harness, Queue, Rule, Target, Topology
from harness.backends.localstack import LocalStackBackend

pytestmark = pytest.mark.localstack

PATTERNS: dict[str, dict[str, Any]] = {
    "prefix": {"detail": {"s": [{"prefix": "ab"}]}},
    "suffix": {"detail": {"s": [{"suffix": "yz"}]}},
    "anything-but": {"detail": {"s": [{"anything-but": ["abc"]}]}},
    "anything-but-prefix": {"detail": {"s": [{"anything-but": {"prefix": "ab"}}]}},
    "numeric-range": {"detail": {"n": [{"numeric": [">", 5, "<=", 10]}]}},
    "numeric-equals": {"detail": {"n": [{"numeric": ["=", 5]}]}},
    "number": {"detail": {"n": [5]}},
    "exists-false": {"detail": {"missing": [{"exists": False}]}},
    "exists-true": {"detail": {"n": [{"exists": True}]}},
    "equals-ignore-case": {"detail": {"s": [{"equals-ignore-case": "ABC"}]}},
    "wildcard": {"detail": {"s": [{"wildcard": "a*c"}]}},
    "or": {"$or": [{"detail": {"n": [1]}}, {"detail": {"s": ["xyz"]}}]},
    "cidr": {"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}},
    "null": {"detail": {"z": [None]}},
    "empty-string": {"detail": {"s": [""]}},
    "array-member": {"detail": {"arr": ["b"]}},
}
EVENTS = [{"s": "abc", "n": 5, "ip": "10.0.0.7", "arr": ["a", "b"], "z": None},
          {"s": "xyz", "n": 7.0, "ip": "10.0.1.7", "arr": []},
          {"s": "", "n": 10, "missing": 1},
          {"s": "ABC", "n": "5"},
          {"s": "aXc", "n": 11, "z": 0}]


def _harness(localstack: LocalStackBackend, *rules: Rule) -> Harness:
    topology = Topology(name="lsx", event_buses=[EventBus("b")], queues=[Queue("q")], rules=list(rules),
                        functions=[Function("record", "eventbridge_handlers:record")])
    return Harness(topology, backend=localstack, prefix=f"x{uuid.uuid4().hex[:6]}-")


def _put(h: Harness, detail: dict[str, Any]) -> str:
    response = h.client("events").put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": json.dumps(detail),
                                                       "EventBusName": h.bus_name("b")}])
    assert response["FailedEntryCount"] == 0, response
    return response["Entries"][0]["EventId"]  # type: ignore[no-any-return]


def _wait(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)  # polling a handler's record of calls: there is no event to wait on


def test_localstack_routes_every_pattern_operator_as_our_matcher_does(localstack: LocalStackBackend) -> None:
    rules = [Rule(name, pattern, bus="b", targets=[Target("q", "queue:q")]) for name, pattern in PATTERNS.items()]
    with _harness(localstack, *rules) as h:
        ids = [_put(h, e) for e in EVENTS]
        h.drain(60)
        seen = {e["event_id"]: e["matched_rules"] for e in h.trace.of("bus_event", bus="b")}
        assert sorted(seen) == sorted(ids)                     # the capture rule saw every event
        assert sum(map(len, seen.values())) > len(EVENTS)      # and the patterns did match some
        assert h.divergences() == []


def test_a_disabled_rule_localstack_delivers_through_is_a_divergence(localstack: LocalStackBackend) -> None:
    """LocalStack 2026.3 delivers through a rule whose State is DISABLED (moto does too; AWS never does).
    It reports the rule as DISABLED, routes through it anyway, and the audit names the divergence."""
    on = Rule("on", {"source": ["shop"]}, bus="b", targets=[Target("fn", "function:record")])
    off = Rule("off", {"source": ["shop"]}, bus="b", state="DISABLED", targets=[Target("fn", "function:record")])
    with _harness(localstack, on, off) as h:
        assert h.client("events").describe_rule(Name=h.rule_name("off"), EventBusName=h.bus_name("b"))["State"] \
            == "DISABLED"
        event_id = _put(h, {"order": "o-1"})
        calls = module_state(h, "record")["CALLS"]
        _wait(lambda: len(calls) >= 2, 60)                         # LocalStack delivers each rule's copy in turn
        h.drain(60)
        assert [c["id"] for c in calls] == [event_id, event_id]    # from both rules' delivery queues
        [bus_event] = h.trace.of("bus_event", bus="b")
        assert bus_event["matched_rules"] == ["on"]                # our matcher: a disabled rule never matches
        [divergence] = h.divergences()
        assert divergence["event_id"] == event_id and divergence["only_backend"] == ["off"]
        assert "DISABLED" in divergence["message"]
