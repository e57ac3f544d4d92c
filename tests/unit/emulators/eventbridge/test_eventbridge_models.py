"""The EventBridge model and its JSON protocol layer, without a server: AWS's limits, errors and shapes."""
from __future__ import annotations

import json
from typing import Any

import pytest

from harness.emulators.eventbridge.models import (
    EventsModel,
    InvalidEventPatternException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
    entry_size,
    iso_seconds,
)
from harness.emulators.eventbridge.responses import EventsApi

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:fn"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"


def entry(**overrides: Any) -> dict[str, Any]:
    e = {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"id": 1})}
    e.update(overrides)
    return {k: v for k, v in e.items() if v is not None}


@pytest.fixture
def model() -> EventsModel:
    m = EventsModel("eu-west-1", "111122223333")
    m.put_rule("orders", event_pattern=json.dumps({"source": ["shop"]}))
    m.put_targets("orders", None, [{"Id": "fn", "Arn": LAMBDA}])
    return m


# -- PutEvents ---------------------------------------------------------------------------------
def test_accepted_entries_get_ids_and_the_envelope_aws_delivers(model: EventsModel) -> None:
    results, accepted = model.put_events([entry(Resources=["arn:x"])], now=1_447_277_394.7)
    assert len(results) == 1 and set(results[0]) == {"EventId"}
    event = accepted[0].event
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources",
                           "detail"]
    assert event == {"version": "0", "id": results[0]["EventId"], "detail-type": "Order Placed", "source": "shop",
                     "account": "111122223333", "time": "2015-11-11T21:29:54Z", "region": "eu-west-1",
                     "resources": ["arn:x"], "detail": {"id": 1}}
    assert accepted[0].bus == "default" and [m.rule for m in accepted[0].matches] == ["orders"]
    assert json.loads(accepted[0].text) == event


def test_time_given_by_the_caller_is_the_event_time(model: EventsModel) -> None:
    _, accepted = model.put_events([entry(Time=1_700_000_000), entry(Time="2024-01-02T03:04:05Z")])
    assert [a.event["time"] for a in accepted] == ["2023-11-14T22:13:20Z", "2024-01-02T03:04:05Z"]


@pytest.mark.parametrize(("bad", "code", "message"), [
    (entry(Source=None), "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."),
    (entry(DetailType=None), "InvalidArgument",
     "Parameter DetailType is not valid. Reason: DetailType is a required argument."),
    (entry(Detail=None), "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."),
    (entry(Detail="{not json"), "MalformedDetail", "Detail is malformed."),
    (entry(Detail="[1, 2]"), "MalformedDetail", "Detail is malformed."),
    (entry(Source="aws.ec2"), "NotAuthorizedForSourceException", "Not authorized for the source."),
    (entry(EventBusName="nope"), "ResourceNotFoundException", "Event bus nope does not exist."),
])
def test_per_entry_errors_are_counted_and_the_rest_accepted(model: EventsModel, bad: dict[str, Any], code: str,
                                                            message: str) -> None:
    api = EventsApi(model)
    status, body = api.handle("AWSEvents.PutEvents", json.dumps({"Entries": [entry(), bad, entry()]}).encode())
    assert status == 200 and body["FailedEntryCount"] == 1
    assert body["Entries"][1] == {"ErrorCode": code, "ErrorMessage": message}
    assert "EventId" in body["Entries"][0] and "EventId" in body["Entries"][2]


def test_a_request_where_no_entry_is_complete_fails_whole(model: EventsModel) -> None:
    with pytest.raises(ValidationException, match="no entry has all of Source, DetailType and Detail"):
        model.put_events([entry(Detail=None), entry(Source=None)])


def test_one_to_ten_entries(model: EventsModel) -> None:
    assert len(model.put_events([entry()] * 10)[0]) == 10
    with pytest.raises(ValidationException, match="Member must have length less than or equal to 10"):
        model.put_events([entry()] * 11)
    with pytest.raises(ValidationException, match="greater than or equal to 1"):
        model.put_events([])


def test_entry_size_is_computed_as_aws_documents() -> None:
    e = {"Source": "é", "DetailType": "ab", "Detail": '{"a":1}', "Resources": ["r1", "ü"]}
    assert entry_size(e) == 2 + 2 + 7 + 2 + 2       # UTF-8 bytes; no Time
    assert entry_size({**e, "Time": 0}) == 15 + 14  # Time counts 14 bytes when given


def test_an_entry_over_256_kb_fails_the_request(model: EventsModel) -> None:
    fixed = entry_size(entry(Detail='{"p":""}'))
    at_limit = entry(Detail=json.dumps({"p": "x" * (256 * 1024 - fixed)}, separators=(",", ":")))
    assert entry_size(at_limit) == 256 * 1024
    assert model.put_events([at_limit])[0][0].keys() == {"EventId"}
    over = dict(at_limit, Time=0)  # the 14 bytes of Time push it over
    with pytest.raises(ValidationException, match="Total size of the entries in the request is over the limit."):
        model.put_events([entry(), over])


def test_disabled_rules_do_not_match_and_enabled_again_do(model: EventsModel) -> None:
    model.set_rule_state("orders", None, "DISABLED")
    assert model.put_events([entry()])[1][0].matches == ()
    model.set_rule_state("orders", None, "ENABLED")
    assert [m.rule for m in model.put_events([entry()])[1][0].matches] == ["orders"]


def test_rules_match_only_events_of_their_own_bus(model: EventsModel) -> None:
    model.create_event_bus("orders-bus")
    model.put_rule("on-bus", bus="orders-bus", event_pattern=json.dumps({"source": ["shop"]}))
    _, accepted = model.put_events([entry(), entry(EventBusName="orders-bus"),
                                    entry(EventBusName=model.bus_arn("orders-bus"))])
    assert [[m.rule for m in a.matches] for a in accepted] == [["orders"], ["on-bus"], ["on-bus"]]
    assert model.describe_rule("on-bus", "orders-bus").arn.endswith(":rule/orders-bus/on-bus")


def test_arrays_of_objects_and_prefix_patterns_match(model: EventsModel) -> None:
    model.put_rule("items", event_pattern=json.dumps({"detail": {"items": {"sku": [{"prefix": "A-"}]}}}))
    detail = json.dumps({"items": [{"sku": "B-1"}, {"sku": "A-2"}]})
    assert "items" in [m.rule for m in model.put_events([entry(Detail=detail)])[1][0].matches]


# -- rules and targets -------------------------------------------------------------------------
def test_invalid_patterns_are_refused_with_aws_exception(model: EventsModel) -> None:
    with pytest.raises(InvalidEventPatternException, match="Event pattern is not valid"):
        model.put_rule("bad", event_pattern='{"source": "shop"}')
    with pytest.raises(InvalidEventPatternException):
        model.put_rule("long", event_pattern=json.dumps({"source": ["x" * 2100]}))
    with pytest.raises(ValidationException, match="EventPattern or ScheduleExpression must be specified"):
        model.put_rule("none")


def test_put_rule_updates_keep_targets_and_state(model: EventsModel) -> None:
    model.set_rule_state("orders", None, "DISABLED")
    model.put_rule("orders", event_pattern=json.dumps({"source": ["other"]}))
    rule = model.describe_rule("orders")
    assert rule.state == "DISABLED" and len(rule.targets) == 1 and "other" in rule.event_pattern


def test_rule_quota_is_300_per_bus() -> None:
    m = EventsModel()
    for i in range(300):
        m.put_rule(f"r{i}", event_pattern='{"source": ["a"]}')
    with pytest.raises(LimitExceededException):
        m.put_rule("r300", event_pattern='{"source": ["a"]}')
    m.put_rule("r0", event_pattern='{"source": ["b"]}')  # updating an existing one is fine


def test_five_targets_per_rule(model: EventsModel) -> None:
    model.put_targets("orders", None, [{"Id": f"t{i}", "Arn": QUEUE} for i in range(4)])
    model.put_targets("orders", None, [{"Id": "t0", "Arn": LAMBDA}])  # replacing by Id adds nothing
    with pytest.raises(LimitExceededException):
        model.put_targets("orders", None, [{"Id": "t9", "Arn": QUEUE}])
    assert {t["Id"] for t in model.list_targets("orders")} == {"fn", "t0", "t1", "t2", "t3"}


@pytest.mark.parametrize(("target", "message"), [
    ({"Id": "x", "Arn": LAMBDA, "Input": "{}", "InputPath": "$.detail"}, "Only one of Input, InputPath"),
    ({"Id": "x", "Arn": LAMBDA, "Input": "{nope"}, "not valid JSON"),
    ({"Id": "x", "Arn": LAMBDA, "InputPath": "detail"}, "InputPath"),
    ({"Id": "x", "Arn": LAMBDA, "RetryPolicy": {"MaximumRetryAttempts": 186}}, "less than or equal to 185"),
    ({"Id": "x", "Arn": LAMBDA, "RetryPolicy": {"MaximumEventAgeInSeconds": 59}}, "greater than or equal to 60"),
    ({"Id": "x", "Arn": LAMBDA, "DeadLetterConfig": {"Arn": LAMBDA}}, "standard SQS queue"),
    ({"Id": "x", "Arn": LAMBDA, "DeadLetterConfig": {"Arn": QUEUE + ".fifo"}}, "FIFO"),
    ({"Id": "x", "Arn": QUEUE + ".fifo"}, r"^Parameter\(s\) SqsParameters must be specified for target: x\.$"),
    ({"Id": "bad id", "Arn": LAMBDA}, "regular expression pattern"),
    ({"Id": "x", "Arn": "function:fn"}, "not in correct format"),
    ({"Id": "x", "Arn": LAMBDA, "InputTransformer": {"InputTemplate": '{<k>: 1}',
                                                     "InputPathsMap": {"k": "$.a"}}}, "object key"),
])
def test_invalid_targets_are_refused(model: EventsModel, target: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationException, match=message):
        model.put_targets("orders", None, [target])


def test_delete_rule_needs_its_targets_removed_first(model: EventsModel) -> None:
    with pytest.raises(ValidationException, match="Rule can't be deleted since it has targets."):
        model.delete_rule("orders")
    model.remove_targets("orders", None, ["fn"])
    model.delete_rule("orders")
    model.delete_rule("orders")  # absent: succeeds, as on AWS
    with pytest.raises(ResourceNotFoundException, match="Rule orders does not exist on EventBus default."):
        model.describe_rule("orders")


def test_buses(model: EventsModel) -> None:
    assert model.create_event_bus("b1").arn == "arn:aws:events:eu-west-1:111122223333:event-bus/b1"
    with pytest.raises(ResourceAlreadyExistsException):
        model.create_event_bus("b1")
    with pytest.raises(ValidationException, match="Cannot delete event bus default."):
        model.delete_event_bus("default")
    assert [b.name for b in model.list_event_buses()] == ["b1", "default"]
    model.delete_event_bus("b1")
    with pytest.raises(ResourceNotFoundException, match="Event bus b1 does not exist."):
        model.describe_event_bus("b1")


def test_test_event_pattern_needs_aws_mandatory_fields(model: EventsModel) -> None:
    full = {"id": "1", "account": "1", "source": "shop", "time": "t", "region": "r", "detail-type": "d",
            "resources": [], "detail": {"n": 5}}
    assert model.test_event_pattern('{"detail": {"n": [{"numeric": [">", 4]}]}}', json.dumps(full)) is True
    assert model.test_event_pattern('{"source": ["other"]}', json.dumps(full)) is False
    with pytest.raises(ValidationException, match="Parameter Event is not valid"):
        model.test_event_pattern('{"source": ["shop"]}', '{"source": "shop"}')
    with pytest.raises(InvalidEventPatternException):
        model.test_event_pattern('{"source": [{"bogus": 1}]}', json.dumps(full))


def test_iso_seconds() -> None:
    assert iso_seconds(0) == "1970-01-01T00:00:00Z"


# -- the protocol layer ------------------------------------------------------------------------
def test_errors_have_aws_json_shape(model: EventsModel) -> None:
    api = EventsApi(model)
    status, body = api.handle("AWSEvents.DescribeRule", b'{"Name": "nope"}')
    assert (status, body) == (400, {"__type": "ResourceNotFoundException",
                                    "message": "Rule nope does not exist on EventBus default."})
    assert api.handle("AWSEvents.PutRule", b'{"Name": "x", "EventPattern": "{\\"a\\": 1}"}')[1]["__type"] == \
        "InvalidEventPatternException"
    assert api.handle("AWSEvents.Bogus", b"{}")[1]["__type"] == "UnknownOperationException"
    assert api.handle("DynamoDB_20120810.ListTables", b"{}")[1]["__type"] == "UnknownOperationException"
    assert api.handle("AWSEvents.ListRules", b"{nope")[1]["__type"] == "SerializationException"
    assert api.handle("AWSEvents.PutTargets", b'{"Rule": "orders"}')[1]["__type"] == "ValidationException"


def test_a_bug_of_ours_is_a_500_internal_exception_not_a_dropped_connection(model: EventsModel) -> None:
    def broken(events: Any) -> None:
        raise KeyError("oops")

    status, body = EventsApi(model, publish=broken).handle("AWSEvents.PutEvents", json.dumps({"Entries": [entry()]})
                                                            .encode())
    assert (status, body["__type"]) == (500, "InternalException") and "KeyError" in body["message"]


def test_put_events_publishes_accepted_events_before_answering(model: EventsModel) -> None:
    published: list[Any] = []
    api = EventsApi(model, publish=published.extend)
    status, body = api.handle("AWSEvents.PutEvents", json.dumps({"Entries": [entry(), entry(Detail="x")]}).encode())
    assert status == 200 and body["FailedEntryCount"] == 1
    assert [e.id for e in published] == [body["Entries"][0]["EventId"]]


def test_list_operations_page_with_next_token(model: EventsModel) -> None:
    api = EventsApi(model)
    for i in range(5):
        model.put_rule(f"p{i}", event_pattern='{"source": ["a"]}')
    first = api.handle("AWSEvents.ListRules", b'{"NamePrefix": "p", "Limit": 3}')[1]
    second = api.handle("AWSEvents.ListRules", json.dumps({"NamePrefix": "p", "Limit": 3,
                                                           "NextToken": first["NextToken"]}).encode())[1]
    assert [r["Name"] for r in first["Rules"] + second["Rules"]] == [f"p{i}" for i in range(5)]
    assert "NextToken" not in second
