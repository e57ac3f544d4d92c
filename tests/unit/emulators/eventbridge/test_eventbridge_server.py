"""The HTTP endpoint alone (no moto, no DynamoDB): boto3 reaches it, and matched events are routed
to the dispatcher that owns each rule."""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import boto3
import pytest

from harness.emulators.eventbridge.models import BusEvent, Match
from harness.emulators.eventbridge.server import EventBridgeServer


class FakeSink:
    def __init__(self, rules: set[str], buses: set[str] = frozenset()) -> None:
        self.rules, self.buses = rules, set(buses)
        self.got: list[tuple[str, list[str]]] = []

    def owns(self, rule_arn: str) -> bool:
        return rule_arn in self.rules

    def watches(self, bus: str) -> bool:
        return bus in self.buses

    def accept(self, routed: Sequence[tuple[BusEvent, Sequence[Match]]]) -> None:
        self.got += [(e.event["detail"]["n"], [m.rule for m in matches]) for e, matches in routed]


@pytest.fixture
def server() -> Iterator[EventBridgeServer]:
    s = EventBridgeServer("eu-central-1", "111122223333").start()
    yield s
    s.stop()


@pytest.fixture
def events(server: EventBridgeServer) -> Any:
    return boto3.session.Session().client("events", endpoint_url=server.url, region_name="eu-central-1",
                                          aws_access_key_id="x", aws_secret_access_key="x")


def put(events: Any, n: int, source: str = "shop") -> None:
    assert events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": json.dumps({"n": n})}]
                             )["FailedEntryCount"] == 0


def test_boto3_reaches_the_endpoint(server: EventBridgeServer, events: Any) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    arn = events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')["RuleArn"]
    assert arn == "arn:aws:events:eu-central-1:111122223333:rule/r"
    assert events.test_event_pattern(EventPattern='{"source": ["shop"]}', Event=json.dumps(
        {"id": "1", "account": "1", "source": "shop", "time": "t", "region": "r", "resources": [],
         "detail-type": "d"}))["Result"]


def test_each_rule_goes_to_the_dispatcher_that_owns_it(server: EventBridgeServer, events: Any) -> None:
    a_arn = events.put_rule(Name="a", EventPattern='{"source": ["shop"]}')["RuleArn"]
    events.put_rule(Name="b", EventPattern='{"source": ["shop"]}')["RuleArn"]
    events.put_rule(Name="dynamic", EventPattern='{"source": ["shop"]}')
    first, second = FakeSink(set()), FakeSink({a_arn}, buses={"default"})
    server.attach(first)
    server.attach(second)
    put(events, 1)
    put(events, 2, source="nobody")
    assert second.got == [(1, ["a"]), (2, [])]  # its rule; and every event of a bus it watches
    assert first.got == [(1, ["b", "dynamic"]), (2, [])]  # rules nobody owns go to the first attached
    server.detach(first)
    server.detach(second)
    put(events, 3)
    assert len(first.got) == 2 and len(second.got) == 2


def test_without_a_sink_events_are_accepted_and_counted_unrouted(server: EventBridgeServer, events: Any) -> None:
    events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "f", "Arn": "arn:aws:lambda:eu-central-1:111122223333:function:f"}])
    put(events, 1)
    assert server.unrouted == 1


def test_stop_closes_the_port(server: EventBridgeServer) -> None:
    import urllib.request

    url = server.url
    with urllib.request.urlopen(url, timeout=2) as r:  # GET: the health check
        assert json.loads(r.read()) == {"status": "ok"}
    server.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)
