"""The Lambda handlers, run as Lambda would run them, against moto in process (no server, no harness).

A small driver plays the rest of the pipeline: it writes a plan's checks, hands the aggregator the
stream records a batch would carry, routes every accepted PutEvents entry through the variant's rule
(our pattern matcher) to the invoice function, and feeds what it saw to the oracles.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from harness.patterns import compile_pattern
from streamharness.scenarios.order_aggregator import contract
from streamharness.scenarios.order_aggregator.contract import ACCOUNT_CHECK, DETAIL_TYPE, IN_STOCK, PASSED, REJECTED_DETAIL_TYPE
from streamharness.scenarios.order_aggregator.generator import OrderPlan, generate_orders
from streamharness.scenarios.order_aggregator.oracles import evaluate

AC, IS = ACCOUNT_CHECK, IN_STOCK
MODULE = "streamharness.scenarios.order_aggregator.handlers"


class Recorder:
    """Stands in for the module's ``events`` client: records each PutEvents and its answer."""

    def __init__(self, client: Any, answer: dict[str, Any] | None = None) -> None:
        self.client = client
        self.answer = answer
        self.calls: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        response = self.answer if self.answer is not None else self.client.put_events(Entries=Entries)
        self.calls.append((Entries, response))
        return response

    @property
    def entries(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [pair for entries, response in self.calls for pair in zip(entries, response["Entries"])]


@pytest.fixture()
def handlers(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name)
    for name, value in {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "EVENTS_TABLE": "sh-events", "INVOICES_TABLE": "sh-invoices",
                        "EVENT_BUS_NAME": "sh-orders"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        ddb = boto3.client("dynamodb")
        ddb.create_table(TableName="sh-events", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"},
                                    {"AttributeName": "event_name", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"},
                                               {"AttributeName": "event_name", "AttributeType": "S"}])
        ddb.create_table(TableName="sh-invoices", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}])
        boto3.client("events").create_event_bus(Name="sh-orders")
        sys.modules.pop(MODULE, None)  # a cold start: module-level clients bind to this mock
        module = importlib.import_module(MODULE)
        module.events = Recorder(module.events)
        module.dynamo_calls = []

        def on_call(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
            module.dynamo_calls.append({"service": "dynamodb", "operation": model.name,
                                        "items_read": parsed.get("ScannedCount", parsed.get("Count", 0)),
                                        "request_id": parsed.get("ResponseMetadata", {}).get("RequestId")})

        module.dynamodb.meta.client.meta.events.register("after-call.dynamodb", on_call)
        yield module
    sys.modules.pop(MODULE, None)


def _record(n: int, order_id: str, check: str, event_name: str = "INSERT") -> dict[str, Any]:
    return {"eventID": f"ev-{n}", "eventName": event_name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {"Keys": {"order_id": {"S": order_id}, "event_name": {"S": check}},
                         "SequenceNumber": f"{100 + n:021d}", "SizeBytes": 60, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def _put(order_id: str, check: str, status: str) -> None:
    boto3.client("dynamodb").put_item(TableName="sh-events", Item={
        "order_id": {"S": order_id}, "event_name": {"S": check}, "status": {"S": status}})


def _logs(capsys: pytest.CaptureFixture[str], event: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == event]


# ----- as_published ------------------------------------------------------------------------------

def test_as_published_reads_only_the_first_record_scans_and_sends_a_string(
        handlers: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    for oid in ("A", "B", "C"):
        _put(oid, AC, PASSED)
    _put("A", IS, PASSED)
    event = {"Records": [_record(0, "A", IS, "INSERT"), _record(1, "B", AC), _record(2, "C", AC)]}
    assert handlers.as_published(event, None) == {"statusCode": 200}  # no error: the loss is silent
    assert [r["event_id"] for r in _logs(capsys, "record_processed")] == ["ev-0"]  # B and C dropped
    assert [(c["operation"], c["items_read"]) for c in handlers.dynamo_calls] == [("Scan", 4)]  # the whole table
    (entry, result), = handlers.events.entries
    assert entry == {"Source": "orders.aggregator", "DetailType": "Order Events Aggregated",
                     "Detail": "json.dumps(event_status)", "EventBusName": "sh-orders"}
    assert result["ErrorCode"] == "MalformedDetail"  # EventBridge refuses it; the handler never looks


# ----- fixed -------------------------------------------------------------------------------------

def test_fixed_handles_every_record_queries_by_key_and_sends_json(
        handlers: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    _put("A", AC, PASSED)
    _put("A", IS, PASSED)
    _put("B", IS, "FAILED")
    for oid in "CDEFGHIJKLMN":  # enough other items that a Scan would show
        _put(oid, AC, PASSED)
    event = {"Records": [_record(0, "A", AC), _record(1, "B", IS), _record(2, "A", IS)]}
    assert handlers.fixed(event, None) == {"records": 3, "orders": 2, "entries": 3}
    assert [r["event_id"] for r in _logs(capsys, "record_processed")] == ["ev-0", "ev-1", "ev-2"]
    assert [(c["operation"], c["items_read"]) for c in handlers.dynamo_calls] == [("Query", 2), ("Query", 1)]
    sent = [(e["DetailType"], json.loads(e["Detail"])) for e, r in handlers.events.entries if "EventId" in r]
    assert sent == [
        (DETAIL_TYPE, {"order_id": "A", "events": {AC: PASSED, IS: PASSED}}),
        (DETAIL_TYPE, {"order_id": "B", "events": {IS: "FAILED"}}),
        (REJECTED_DETAIL_TYPE, {"order_id": "B", "failed_checks": [IS], "events": {IS: "FAILED"}}),
    ]
    assert all(e["EventBusName"] == "sh-orders" and e["Source"] == "orders.aggregator"
               for e, _ in handlers.events.entries)


def test_fixed_raises_when_an_entry_fails_so_the_batch_is_retried(
        handlers: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    _put("A", AC, PASSED)
    handlers.events.answer = {"FailedEntryCount": 1, "Entries": [
        {"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}]}
    with pytest.raises(handlers.PutEventsFailed, match=r"failed 1 entries \(ThrottlingException\).*for A: Rate"):
        handlers.fixed({"Records": [_record(0, "A", AC)]}, None)
    assert _logs(capsys, "record_processed") == []  # not processed: the ESM will deliver it again


def test_fixed_sends_at_most_ten_entries_per_call(handlers: ModuleType) -> None:
    orders = [f"O{i:02d}" for i in range(23)]
    for oid in orders:
        _put(oid, AC, PASSED)
    handlers.fixed({"Records": [_record(i, oid, AC) for i, oid in enumerate(orders)]}, None)
    assert [len(entries) for entries, _ in handlers.events.calls] == [10, 10, 3]


def test_order_events_follows_pages(handlers: ModuleType) -> None:
    pages = [{"Items": [{"event_name": IS, "status": PASSED}], "LastEvaluatedKey": {"k": 1}},
             {"Items": [{"event_name": AC, "status": "FAILED"}]}]
    seen: list[dict[str, Any]] = []

    class Table:
        def query(self, **kwargs: Any) -> dict[str, Any]:
            seen.append(kwargs)
            return pages[len(seen) - 1]

    handlers.events_table = Table()
    assert list(handlers.order_events("A").items()) == [(AC, "FAILED"), (IS, PASSED)]  # CHECKS order
    assert seen[0]["ConsistentRead"] is True and "ExclusiveStartKey" not in seen[0]
    assert seen[1]["ExclusiveStartKey"] == {"k": 1}


# ----- invoices ----------------------------------------------------------------------------------

def _envelope(order_id: str, event_id: str = "e-1", events: dict[str, str] | None = None) -> dict[str, Any]:
    return {"version": "0", "id": event_id, "detail-type": DETAIL_TYPE, "source": "orders.aggregator",
            "account": "123456789012", "time": "2024-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"order_id": order_id, "events": events or {AC: PASSED, IS: PASSED}}}


def test_invoice_is_idempotent(handlers: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    first = handlers.invoice(_envelope("A", "e-1"), None)
    second = handlers.invoice(_envelope("A", "e-2"), None)
    assert first["created"] is True and first["invoice_id"].startswith("INV-")
    assert second == {"order_id": "A", "created": False}
    out = capsys.readouterr().out
    assert out.count('"invoice_created"') == 1 and out.count('"invoice_exists"') == 1
    items = boto3.client("dynamodb").scan(TableName="sh-invoices")["Items"]
    assert len(items) == 1 and items[0]["event_id"] == {"S": "e-1"}
    assert items[0]["invoice_id"] == {"S": first["invoice_id"]}
    assert items[0]["checks"] == {"M": {AC: {"S": PASSED}, IS: {"S": PASSED}}}


def test_invoice_as_published_issues_one_per_event(handlers: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    handlers.invoice_as_published(_envelope("A", "e-1"), None)
    handlers.invoice_as_published(_envelope("A", "e-2"), None)
    assert len(_logs(capsys, "invoice_created")) == 2
    assert len(boto3.client("dynamodb").scan(TableName="sh-invoices")["Items"]) == 1  # the table hides it


@pytest.mark.parametrize("detail", ["json.dumps(event_status)", None, {"events": {}}, {"order_id": 7}])
def test_invoice_refuses_a_malformed_event(handlers: ModuleType, detail: Any) -> None:
    with pytest.raises(ValueError, match="not an aggregated order event"):
        handlers.invoice({"detail-type": DETAIL_TYPE, "detail": detail}, None)


def test_handlers_share_the_contract(handlers: ModuleType) -> None:
    assert (handlers.SOURCE, handlers.DETAIL_TYPE, handlers.REJECTED_DETAIL_TYPE, handlers.CHECKS) == \
        (contract.SOURCE, contract.DETAIL_TYPE, contract.REJECTED_DETAIL_TYPE, contract.CHECKS)
    for variant in contract.VARIANTS.values():
        assert callable(getattr(handlers, variant["aggregator"])) and callable(getattr(handlers, variant["invoice"]))
        assert variant["rule"] in contract.RULE_PATTERNS
    assert (handlers.EVENTS_TABLE, handlers.INVOICES_TABLE, handlers.EVENT_BUS_NAME) == \
        ("sh-events", "sh-invoices", "sh-orders")


# ----- the handlers judged by the oracles --------------------------------------------------------

def _drive(handlers: ModuleType, capsys: pytest.CaptureFixture[str], plan: OrderPlan, variant: str,
           batch_size: int) -> dict[str, Any]:
    """Write the plan batch by batch; after each batch, invoke the aggregator with its records and
    deliver accepted events matching the variant's rule to its invoice function."""
    names = contract.VARIANTS[variant]
    aggregator, invoice = getattr(handlers, names["aggregator"]), getattr(handlers, names["invoice"])
    rule = compile_pattern(contract.RULE_PATTERNS[names["rule"]])
    ddb = boto3.client("dynamodb")
    event_names = plan.expected_event_names()
    write_times: list[float] = []
    aggregated: list[dict[str, Any]] = []
    delivered: list[str] = []
    logs: list[dict[str, Any]] = []
    for start in range(0, len(plan.writes), batch_size):
        batch = plan.writes[start:start + batch_size]
        for w in batch:
            ddb.update_item(**plan.update_item_kwargs(w, "sh-events"))
            write_times.append(time.time())
        records = [_record(w.seq, w.order_id, w.event_name, event_names[w.seq]) for w in batch]
        delivered += [r["eventID"] for r in records]
        before = len(handlers.events.entries)
        aggregator({"Records": records}, None)
        for entry, result in handlers.events.entries[before:]:
            aggregated.append({"detail_type": entry["DetailType"], "detail": entry["Detail"],
                               "after_write": len(write_times), "accepted": "EventId" in result})
            if "EventId" not in result:
                continue
            envelope = {"version": "0", "id": result["EventId"], "source": entry["Source"],
                        "detail-type": entry["DetailType"], "detail": json.loads(entry["Detail"])}
            if rule.matches(envelope):
                invoice(envelope, None)
        logs += [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    created = [line for line in logs if line["event"] == "invoice_created"]
    return {"invoices": created, "aggregated_events": aggregated, "write_times": write_times,
            "invoice_times": [(c["order_id"], c["created_at"]) for c in created],
            "records_delivered": delivered,
            "records_processed": [line["event_id"] for line in logs if line["event"] == "record_processed"],
            "api_calls": handlers.dynamo_calls,
            "rejected": [json.loads(a["detail"])["order_id"] for a in aggregated
                         if a["detail_type"] == REJECTED_DETAIL_TYPE and a["accepted"]] if variant == "fixed" else None}


PLAN = generate_orders(25, seed=4)


def test_fixed_handlers_pass_every_oracle(handlers: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert PLAN.summary()["eligible"] and PLAN.summary()["must_reject"] and PLAN.summary()["duplicates"]
    checks = evaluate(PLAN, **_drive(handlers, capsys, PLAN, "fixed", batch_size=4))
    assert all(c.passed for c in checks), [c.to_dict() for c in checks if not c.passed]


def test_as_published_handlers_fail_the_oracles(handlers: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    checks = {c.name: c for c in evaluate(PLAN, **_drive(handlers, capsys, PLAN, "as_published", batch_size=4))}
    assert {n for n, c in checks.items() if not c.passed} == {
        "one_invoice_per_eligible_order", "aggregated_detail_matches", "records_handled", "cost_bound"}
    assert checks["one_invoice_per_eligible_order"].actual["invoices"] == 0
    assert checks["aggregated_detail_matches"].actual["invalid_details"] == checks["aggregated_event_count"].actual > 0
    assert checks["cost_bound"].actual["scans"] == checks["aggregated_event_count"].actual
