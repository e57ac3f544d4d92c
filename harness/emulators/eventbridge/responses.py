"""AWS's JSON 1.1 protocol for EventBridge: ``X-Amz-Target: AWSEvents.<Operation>`` -> the model.

One function per operation, registered in :data:`OPERATIONS` by AWS's operation name. Each takes
the request's parameters and returns the response body; errors are raised as
:class:`~harness.emulators.eventbridge.models.EventsError` and rendered as AWS does
(``{"__type": ..., "message": ...}``, HTTP 400).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.emulators.eventbridge.shapes import check_request
from harness.emulators.eventbridge.models import (
    BusEvent,
    EventsError,
    EventsModel,
    InternalException,
    SerializationException,
    UnknownOperationException,
    ValidationException,
)
from harness.emulators.protocol import Operations, json_request, required

TARGET_PREFIX = "AWSEvents."
CONTENT_TYPE = "application/x-amz-json-1.1"

Publish = Callable[[Sequence[BusEvent]], None]
Operation = Callable[["EventsApi", Mapping[str, Any]], dict[str, Any]]
operation: Operations[Operation] = Operations()
OPERATIONS = operation.handlers


def _not_null(name: str) -> ValidationException:
    return ValidationException(f"1 validation error detected: Value null at '{name[:1].lower() + name[1:]}' failed "
                               f"to satisfy constraint: Member must not be null")


def _required(params: Mapping[str, Any], name: str) -> Any:
    return required(params, name, _not_null)


def _page(items: list[dict[str, Any]], params: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Limit/NextToken paging: the token is the offset of the next item."""
    try:
        start = int(params.get("NextToken") or 0)
    except ValueError:
        raise ValidationException("The NextToken is invalid.") from None
    limit = params.get("Limit")  # an integer of 1-100: checked against the API model (shapes.py)
    end = len(items) if limit is None else start + limit
    out: dict[str, Any] = {key: items[start:end]}
    if end < len(items):
        out["NextToken"] = str(end)
    return out


class EventsApi:
    """The HTTP-free request handler: ``handle(target_header, body) -> (status, body dict)``."""

    def __init__(self, model: EventsModel, publish: Publish | None = None) -> None:
        self.model = model
        self.publish = publish or (lambda events: None)

    def handle(self, target: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            name, op, params = json_request(operation, TARGET_PREFIX, target, body, unknown=UnknownOperationException,
                                            malformed=SerializationException)
            check_request(name, params, body)
            return 200, op(self, params)
        except EventsError as e:
            return error(e)
        except Exception as e:  # a bug of ours: answer as AWS's InternalException, keep serving
            return error(InternalException(f"{type(e).__name__}: {e}"))


def error(e: EventsError) -> tuple[int, dict[str, Any]]:
    """AWS's JSON error: ``{"__type": code, "message": text}``."""
    return e.status, {"__type": e.code, "message": e.message}


# -- buses ------------------------------------------------------------------------------------
@operation("CreateEventBus")
def create_event_bus(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    bus = api.model.create_event_bus(_required(p, "Name"), _tags(p.get("Tags")))
    return {"EventBusArn": bus.arn}


@operation("DeleteEventBus")
def delete_event_bus(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    api.model.delete_event_bus(_required(p, "Name"))
    return {}


@operation("DescribeEventBus")
def describe_event_bus(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    return api.model.describe_event_bus(p.get("Name")).describe()


@operation("ListEventBuses")
def list_event_buses(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    buses = [b.describe() for b in api.model.list_event_buses(p.get("NamePrefix"))]
    return _page(buses, p, "EventBuses")


# -- rules ------------------------------------------------------------------------------------
@operation("PutRule")
def put_rule(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    rule = api.model.put_rule(_required(p, "Name"), bus=p.get("EventBusName"), event_pattern=p.get("EventPattern"),
                              schedule_expression=p.get("ScheduleExpression"), state=p.get("State"),
                              description=p.get("Description"))
    if p.get("Tags"):
        api.model.tag_resource(rule.arn, _tags(p.get("Tags")))
    return {"RuleArn": rule.arn}


@operation("DescribeRule")
def describe_rule(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    rule = api.model.describe_rule(_required(p, "Name"), p.get("EventBusName"))
    return {**rule.describe(), "CreatedBy": api.model.account_id}


@operation("ListRules")
def list_rules(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    rules = [r.describe() for r in api.model.list_rules(p.get("EventBusName"), p.get("NamePrefix"))]
    return _page(rules, p, "Rules")


@operation("EnableRule")
def enable_rule(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    api.model.set_rule_state(_required(p, "Name"), p.get("EventBusName"), "ENABLED")
    return {}


@operation("DisableRule")
def disable_rule(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    api.model.set_rule_state(_required(p, "Name"), p.get("EventBusName"), "DISABLED")
    return {}


@operation("DeleteRule")
def delete_rule(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    api.model.delete_rule(_required(p, "Name"), p.get("EventBusName"), bool(p.get("Force")))
    return {}


# -- targets ----------------------------------------------------------------------------------
@operation("PutTargets")
def put_targets(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    failed = api.model.put_targets(_required(p, "Rule"), p.get("EventBusName"), _required(p, "Targets"))
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


@operation("ListTargetsByRule")
def list_targets_by_rule(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    return _page(api.model.list_targets(_required(p, "Rule"), p.get("EventBusName")), p, "Targets")


@operation("RemoveTargets")
def remove_targets(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    failed = api.model.remove_targets(_required(p, "Rule"), p.get("EventBusName"), _required(p, "Ids"))
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


# -- events -----------------------------------------------------------------------------------
@operation("PutEvents")
def put_events(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    results, accepted = api.model.put_events(p.get("Entries") or [])
    if accepted:
        api.publish(accepted)  # before the response: once PutEvents returns, delivery is pending
    return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


@operation("TestEventPattern")
def test_event_pattern(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    return {"Result": api.model.test_event_pattern(_required(p, "EventPattern"), _required(p, "Event"))}


# -- tags -------------------------------------------------------------------------------------
def _tags(tags: Any) -> dict[str, str]:
    """AWS's ``[{"Key": k, "Value": v}]`` -> a dict."""
    return {t["Key"]: t["Value"] for t in tags or ()}


@operation("TagResource")
def tag_resource(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    api.model.tag_resource(_required(p, "ResourceARN"), _tags(_required(p, "Tags")))
    return {}


@operation("UntagResource")
def untag_resource(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    api.model.untag_resource(_required(p, "ResourceARN"), _required(p, "TagKeys"))
    return {}


@operation("ListTagsForResource")
def list_tags_for_resource(api: EventsApi, p: Mapping[str, Any]) -> dict[str, Any]:
    tags = api.model.list_tags(_required(p, "ResourceARN"))
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}


__all__ = ["CONTENT_TYPE", "EventsApi", "OPERATIONS", "TARGET_PREFIX", "error"]
