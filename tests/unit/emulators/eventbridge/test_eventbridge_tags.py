"""Tags on buses and rules are kept (deploy tells its own resources from others' by them)."""
from __future__ import annotations

import json

import pytest

from harness.emulators.eventbridge.models import EventsModel, ResourceNotFoundException
from harness.emulators.eventbridge.responses import EventsApi


def call(api: EventsApi, op: str, **params: object) -> tuple[int, dict[str, object]]:
    return api.handle(f"AWSEvents.{op}", json.dumps(params).encode())


def test_tags_given_at_creation_and_later_are_listed_and_removed_with_the_resource() -> None:
    api = EventsApi(EventsModel())
    status, bus = call(api, "CreateEventBus", Name="b", Tags=[{"Key": "owner", "Value": "me"}])
    assert status == 200
    _, rule = call(api, "PutRule", Name="r", EventBusName="b", EventPattern='{"source": ["x"]}',
                   Tags=[{"Key": "run", "Value": "1"}])
    call(api, "TagResource", ResourceARN=rule["RuleArn"], Tags=[{"Key": "run", "Value": "2"}, {"Key": "k", "Value": "v"}])
    call(api, "UntagResource", ResourceARN=rule["RuleArn"], TagKeys=["k"])
    assert call(api, "ListTagsForResource", ResourceARN=bus["EventBusArn"])[1] == {"Tags": [{"Key": "owner", "Value": "me"}]}
    assert call(api, "ListTagsForResource", ResourceARN=rule["RuleArn"])[1] == {"Tags": [{"Key": "run", "Value": "2"}]}
    call(api, "DeleteEventBus", Name="b")
    status, error = call(api, "ListTagsForResource", ResourceARN=bus["EventBusArn"])
    assert status == 400 and error["__type"] == "ResourceNotFoundException"


def test_tagging_an_unknown_resource_is_not_found() -> None:
    with pytest.raises(ResourceNotFoundException, match="Rule nope does not exist"):
        EventsModel().tag_resource("arn:aws:events:us-east-1:123456789012:rule/nope", {"a": "b"})
