"""The harness's EventBridge endpoint through boto3: every operation it serves, AWS's errors, and its
lifecycle with the embedded backend."""
from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from harness.backends import EmbeddedBackend


def _code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return e.value.response["Error"]["Code"]  # type: ignore[no-any-return]


@pytest.fixture
def events(backend: EmbeddedBackend) -> Any:
    return backend.client("events")


@pytest.fixture
def name() -> str:
    return f"api-{uuid.uuid4().hex[:8]}"


def test_buses(events: Any, name: str, backend: EmbeddedBackend) -> None:
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    assert arn == f"arn:aws:events:{backend.region}:{backend.account_id}:event-bus/{name}"
    assert events.describe_event_bus(Name=name) | {"ResponseMetadata": None} == \
        {"Name": name, "Arn": arn, "ResponseMetadata": None}
    assert events.describe_event_bus()["Name"] == "default"
    assert [b["Name"] for b in events.list_event_buses(NamePrefix=name)["EventBuses"]] == [name]
    with pytest.raises(ClientError) as exists:
        events.create_event_bus(Name=name)
    assert _code(exists) == "ResourceAlreadyExistsException"
    events.delete_event_bus(Name=name)
    with pytest.raises(ClientError) as gone:
        events.describe_event_bus(Name=name)
    assert _code(gone) == "ResourceNotFoundException" and f"Event bus {name} does not exist." in str(gone.value)
    with pytest.raises(ClientError) as default:
        events.delete_event_bus(Name="default")
    assert _code(default) == "ValidationException"


def test_rules(events: Any, name: str, backend: EmbeddedBackend) -> None:
    pattern = json.dumps({"source": ["shop"]})
    arn = events.put_rule(Name=name, EventPattern=pattern, Description="d")["RuleArn"]
    assert arn == f"arn:aws:events:{backend.region}:{backend.account_id}:rule/{name}"
    described = events.describe_rule(Name=name)
    assert {k: described[k] for k in ("Name", "Arn", "EventPattern", "State", "Description", "EventBusName")} == \
        {"Name": name, "Arn": arn, "EventPattern": pattern, "State": "ENABLED", "Description": "d",
         "EventBusName": "default"}
    events.disable_rule(Name=name)
    assert events.list_rules(NamePrefix=name)["Rules"][0]["State"] == "DISABLED"
    events.enable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "ENABLED"
    with pytest.raises(ClientError) as invalid:
        events.put_rule(Name=name + "-bad", EventPattern='{"source": "shop"}')
    assert _code(invalid) == "InvalidEventPatternException" and "Event pattern is not valid" in str(invalid.value)
    with pytest.raises(ClientError) as missing:
        events.enable_rule(Name=name + "-none")
    assert _code(missing) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as no_bus:
        events.put_rule(Name=name, EventPattern=pattern, EventBusName="no-such-bus")
    assert _code(no_bus) == "ResourceNotFoundException"
    events.delete_rule(Name=name)
    assert events.list_rules(NamePrefix=name)["Rules"] == []


def test_targets(events: Any, name: str, backend: EmbeddedBackend) -> None:
    events.put_rule(Name=name, EventPattern='{"source": ["shop"]}')
    fn = f"arn:aws:lambda:{backend.region}:{backend.account_id}:function:f"
    targets = [{"Id": f"t{i}", "Arn": fn, "RetryPolicy": {"MaximumRetryAttempts": i}} for i in range(5)]
    assert events.put_targets(Rule=name, Targets=targets)["FailedEntryCount"] == 0
    listed = events.list_targets_by_rule(Rule=name)["Targets"]
    assert [(t["Id"], t["RetryPolicy"]["MaximumRetryAttempts"]) for t in listed] == [(f"t{i}", i) for i in range(5)]
    with pytest.raises(ClientError) as limit:
        events.put_targets(Rule=name, Targets=[{"Id": "t5", "Arn": fn}])
    assert _code(limit) == "LimitExceededException"
    with pytest.raises(ClientError) as has_targets:
        events.delete_rule(Name=name)
    assert _code(has_targets) == "ValidationException" and "has targets" in str(has_targets.value)
    with pytest.raises(ClientError) as bad_policy:
        events.put_targets(Rule=name, Targets=[{"Id": "t0", "Arn": fn, "RetryPolicy": {"MaximumRetryAttempts": 186}}])
    assert _code(bad_policy) == "ValidationException"
    events.remove_targets(Rule=name, Ids=[t["Id"] for t in targets])
    assert events.list_targets_by_rule(Rule=name)["Targets"] == []
    events.delete_rule(Name=name)
    with pytest.raises(ClientError) as no_rule:
        events.put_targets(Rule=name, Targets=[{"Id": "x", "Arn": fn}])
    assert _code(no_rule) == "ResourceNotFoundException"


def test_put_events_entry_count_limits(events: Any) -> None:
    entry = {"Source": "s", "DetailType": "d", "Detail": "{}"}
    try:
        events.put_events(Entries=[entry] * 11)
    except ParamValidationError:
        pass  # botocore may refuse it before sending
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ValidationException"
        assert "length less than or equal to 10" in e.response["Error"]["Message"]
    else:
        pytest.fail("11 entries were accepted")
    assert len(events.put_events(Entries=[entry] * 10)["Entries"]) == 10


def test_the_endpoint_speaks_json_1_1_and_answers_concurrent_clients(backend: EmbeddedBackend) -> None:
    url = backend.endpoints["events"]
    request = urllib.request.Request(url, data=b'{"Name": "nope"}', method="POST", headers={
        "X-Amz-Target": "AWSEvents.DescribeRule", "Content-Type": "application/x-amz-json-1.1"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 400 and err.value.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(err.value.read()) == {"__type": "ResourceNotFoundException",
                                            "message": "Rule nope does not exist on EventBus default."}
    results: list[int] = []

    def put() -> None:
        client = backend.client("events", user_agent_extra="concurrent")  # a client of its own
        for _ in range(20):
            results.append(len(client.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}] * 10)
                               ["Entries"]))

    threads = [threading.Thread(target=put) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [10] * 80


def test_the_endpoint_stops_with_its_backend() -> None:
    b = EmbeddedBackend(dynamodb="moto")
    b.start()
    try:
        url = b.endpoints["events"]
        assert url.startswith("http://127.0.0.1:") and b.eventbridge is not None
        assert b.client("events").list_rules()["Rules"] == []
    finally:
        b.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)
