"""Each oracle passes what the fixed pipeline produces and fails a wrong answer, naming its likely cause."""
from __future__ import annotations

import json
from typing import Any

from streamharness.scenarios.table_to_bus import reference
from streamharness.scenarios.table_to_bus.contract import SOURCE, rule_patterns
from streamharness.scenarios.table_to_bus.generator import TablePlan, generate_plan, to_item
from streamharness.scenarios.table_to_bus.oracles import LOSS_CAUSES, evaluate

ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/sh-items"


def plan() -> TablePlan:
    return generate_plan(4, 6, 10, 4, seed=2)


def perfect(p: TablePlan) -> dict[str, Any]:
    """What a correct pipeline leaves in the trace, made from the reference."""
    events, history = [], []
    for n, c in enumerate(reference.changes(p.writes), 1):
        record = {"eventID": f"e{n}", "eventName": c.event,
                  "dynamodb": {"Keys": to_item({"pk": c.pk, "sk": c.sk}), "SequenceNumber": str(100 + n),
                               **({"NewImage": to_item(c.new)} if c.new else {}),
                               **({"OldImage": to_item(c.old)} if c.old else {})}}
        events.append({"id": f"b{n}", "source": SOURCE, "detail-type": c.event, "resources": [ARN], "detail": record})
        if c.event in ("INSERT", "MODIFY") and c.sk.startswith("UID#"):
            history.append({"item_pk": c.pk, "item_sk": c.sk, "event_name": c.event, "sequence_number": str(100 + n),
                            "changed": list(c.changed)})
    patterns = rule_patterns(ARN)
    from harness.patterns import compile_pattern
    deliveries = [{"rule": r, "event_id": e["id"], "ok": True} for r, text in patterns.items()
                  for e in events if compile_pattern(text).matches(e)]
    seqs = [e["detail"]["dynamodb"]["SequenceNumber"] for e in events]
    return {"bus_events": events, "stream_records": seqs,
            "outcomes": {s: [{"attempt": 1, "error_type": None, "error_message": None}] for s in seqs},
            "entries": {s: [{"error_code": None}] for s in seqs}, "patterns": patterns, "deliveries": deliveries,
            "history_items": history, "counts": dict(p.members), "messages_left": 0}


def verdicts(p: TablePlan, obs: dict[str, Any]) -> dict[str, Any]:
    return {c.name: c for c in evaluate(p, **obs)}


def test_the_correct_pipeline_passes_every_check() -> None:
    p = plan()
    checks = verdicts(p, perfect(p))
    assert all(c.passed for c in checks.values()), [c for c in checks.values() if not c.passed]


def test_a_lost_event_fails_the_change_check_and_the_accounting_names_the_cause() -> None:
    p = plan()
    obs = perfect(p)
    lost = obs["bus_events"].pop(3)["detail"]["dynamodb"]["SequenceNumber"]
    obs["outcomes"][lost] = [{"attempt": a, "error_type": "ClientError", "error_message":
                              "An error occurred (ValidationException) when calling the PutEvents operation: ... "
                              "Member must have length less than or equal to 10"} for a in (1, 2, 3)]
    checks = verdicts(p, obs)
    assert checks["one_bus_event_per_change"].actual["missing"] == 1
    accounting = checks["stream_to_bus_accounting"]
    assert not accounting.passed and accounting.actual["lost_by_cause"] == {"too_many_entries": 1}
    assert LOSS_CAUSES["too_many_entries"] in accounting.detail


def test_a_rejected_entry_in_a_successful_invocation_is_a_silent_loss() -> None:
    p = plan()
    obs = perfect(p)
    lost = obs["bus_events"].pop(0)["detail"]["dynamodb"]["SequenceNumber"]
    obs["entries"][lost] = [{"error_code": "InternalFailure"}]
    accounting = verdicts(p, obs)["stream_to_bus_accounting"]
    assert accounting.actual["lost_by_cause"] == {"entry_rejected": 1}
    assert "FailedEntryCount is never checked" in accounting.detail


def test_a_decimal_error_is_named() -> None:
    p = plan()
    obs = perfect(p)
    lost = obs["bus_events"].pop(0)["detail"]["dynamodb"]["SequenceNumber"]
    obs["outcomes"][lost] = [{"attempt": 1, "error_type": "TypeError",
                              "error_message": "Object of type Decimal is not JSON serializable"}]
    assert verdicts(p, obs)["stream_to_bus_accounting"].actual["lost_by_cause"] == {"decimal": 1}


def test_duplicates_and_a_wrong_detail_type_fail_the_change_check() -> None:
    p = plan()
    obs = perfect(p)
    obs["bus_events"].append(json.loads(json.dumps(obs["bus_events"][0])) | {"id": "dup"})
    obs["bus_events"][1]["detail-type"] = "Changed"
    check = verdicts(p, obs)["one_bus_event_per_change"]
    assert not check.passed and check.actual["duplicated"] == 1 and check.actual["wrong_detail_type"] == 1
    assert "likely cause" in check.detail


def test_a_target_receiving_an_event_its_pattern_does_not_select_fails() -> None:
    p = plan()
    obs = perfect(p)
    order = next(e for e in obs["bus_events"] if e["detail"]["dynamodb"]["Keys"]["sk"]["S"].startswith("ORDER#"))
    obs["deliveries"].append({"rule": "table-changes", "event_id": order["id"], "ok": True})
    obs["deliveries"].pop(0)
    check = verdicts(p, obs)["rule_targets_receive_selected"]
    assert not check.passed
    assert check.actual["table-changes"]["delivered_unselected"] == 1
    assert sum(r["not_delivered"] for r in check.actual.values()) == 1


def test_history_with_a_wrong_attribute_list_fails() -> None:
    p = plan()
    obs = perfect(p)
    obs["history_items"][-1]["changed"] = ["updated_by"]
    assert verdicts(p, obs)["history_equals_changes"].actual["items_wrong"] == 1


def test_counts_off_by_one_or_messages_left_fail() -> None:
    p = plan()
    obs = perfect(p)
    cid = next(iter(p.members))
    obs["counts"] = {**obs["counts"], cid: obs["counts"][cid] + 1}
    obs["messages_left"] = 2
    check = verdicts(p, obs)["fifo_counts_equal_truth"]
    assert check.actual["customers_wrong"] == 1 and check.actual["messages_left"] == 2
