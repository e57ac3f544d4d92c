"""The stream processors against a stub PutEvents that keeps the bus's rules (1-10 entries, per-entry verdicts)."""
from __future__ import annotations

import importlib
import json
import sys
import warnings
from datetime import datetime, timezone
from types import ModuleType
from typing import Any

import pytest

from streamharness.scenarios.table_to_bus.generator import to_item
from streamharness.scenarios.table_to_bus.oracles import CAUSES, LOSS_CAUSES

ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/sh-items"


class StubEvents:
    """PutEvents as the bus answers it; ``reject`` is how many entries to refuse, once each."""

    def __init__(self, reject: int = 0) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.reject = reject

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        if len(Entries) > 10:
            raise ValueError("Member must have length less than or equal to 10")
        self.calls.append(Entries)
        results = []
        for _ in Entries:
            if self.reject:
                self.reject -= 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                results.append({"EventId": "x"})
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("EVENT_BUS", "changes")
    sys.modules.pop("streamharness.scenarios.table_to_bus.handlers", None)
    return importlib.import_module("streamharness.scenarios.table_to_bus.handlers")


def records(n: int) -> dict[str, Any]:
    return {"Records": [{"eventID": f"e{i}", "eventName": "INSERT", "eventSourceARN": f"{ARN}/stream/2026",
                         "dynamodb": {"ApproximateCreationDateTime": 1_780_000_000 + i, "SequenceNumber": str(i),
                                      "Keys": to_item({"pk": "OID#c", "sk": f"UID#{i}"}),
                                      "NewImage": to_item({"pk": "OID#c", "sk": f"UID#{i}", "seats": i})}}
                        for i in range(n)]}


def test_as_published_sends_a_batch_of_more_than_10_in_one_call(handlers: ModuleType,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "events_client", StubEvents())
    assert handlers.as_published(records(10), None) == "ok"
    with pytest.raises(ValueError, match="less than or equal to 10"):
        handlers.as_published(records(11), None)


def test_as_published_returns_ok_when_the_bus_rejects_an_entry(handlers: ModuleType,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    stub = StubEvents(reject=1)
    monkeypatch.setattr(handlers, "events_client", stub)
    assert handlers.as_published(records(3), None) == "ok" and len(stub.calls) == 1  # nothing re-sent


def test_fixed_chunks_by_10_and_resends_rejected_entries(handlers: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = StubEvents(reject=2)
    monkeypatch.setattr(handlers, "events_client", stub)
    assert handlers.fixed(records(25), None) == "ok"
    assert [len(c) for c in stub.calls] == [10, 2, 10, 5]
    assert all(json.loads(e["Detail"])["eventID"] for c in stub.calls for e in c)


def test_fixed_raises_when_entries_stay_rejected(handlers: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "events_client", StubEvents(reject=100))
    monkeypatch.setattr(handlers.time, "sleep", lambda s: None)
    with pytest.raises(handlers.PutEventsFailed, match="InternalFailure"):
        handlers.fixed(records(2), None)


def test_the_decimal_variant_fails_on_any_number(handlers: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "events_client", StubEvents())
    with pytest.raises(TypeError, match="Decimal"):
        handlers.decimal(records(1), None)


def test_both_times_are_the_same_instant_but_only_the_published_one_is_naive(handlers: ModuleType,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    stub = StubEvents()
    monkeypatch.setattr(handlers, "events_client", stub)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        handlers.as_published(records(1), None)
    handlers.fixed(records(1), None)
    published, fixed = stub.calls[0][0]["Time"], stub.calls[1][0]["Time"]
    assert published.tzinfo is None and fixed.tzinfo is timezone.utc
    assert published.replace(tzinfo=timezone.utc) == fixed == datetime.fromtimestamp(1_780_000_000, timezone.utc)
    if sys.version_info >= (3, 12):
        assert any(issubclass(w.category, DeprecationWarning) and "utcfromtimestamp" in str(w.message) for w in caught)


def test_the_changed_attributes_of_a_modify(handlers: ModuleType) -> None:
    record = {"dynamodb": {"OldImage": to_item({"a": 1, "b": "x", "c": "gone"}), "NewImage": to_item({"a": 2, "b": "x", "d": 1})}}
    assert handlers.changed_attributes(record) == ["a", "c", "d"]


def test_every_bug_row_names_a_known_check_and_loss_cause() -> None:
    from streamharness.scenarios.table_to_bus.scenario import TableToBus

    for bug in TableToBus.bugs:
        assert bug.check is None or bug.check in CAUSES
        assert bug.cause is None or bug.cause in LOSS_CAUSES


def test_the_fifo_consumer_counts_a_resent_event_once(handlers: ModuleType) -> None:
    from moto import mock_aws
    import boto3

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(TableName="counts", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")

        def message(event_id: str, name: str) -> dict[str, Any]:
            detail = {"eventID": event_id, "eventName": name, "dynamodb": {"Keys": to_item({"pk": "OID#c1", "sk": "UID#u"})}}
            return {"messageId": event_id, "body": json.dumps({"detail-type": name, "detail": detail})}

        batch = {"Records": [message("e1", "INSERT"), message("e2", "INSERT"), message("e1", "INSERT")]}
        handlers.count_members(batch, None, client=ddb, table_name="counts")
        handlers.count_members({"Records": [message("e3", "REMOVE")]}, None, client=ddb, table_name="counts")
        item = ddb.get_item(TableName="counts", Key={"pk": {"S": "CUSTOMER#c1"}})["Item"]
        assert item["members"] == {"N": "1"}
