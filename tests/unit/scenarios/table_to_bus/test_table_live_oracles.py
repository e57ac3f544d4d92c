"""Live-mode oracles of table-to-bus (Locust writes the table while the pipeline runs): the ground truth is
the stream records read and the table after the drain; each wrong answer fails its own check."""
from __future__ import annotations

from typing import Any

from streamharness.scenarios.table_to_bus.contract import COUNTS_RULE, HISTORY_RULE, SOURCE, rule_patterns
from streamharness.scenarios.table_to_bus.live import evaluate_live, members_per_customer

TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/items"
# (sequence number, eventName, pk, sk): a profile, two members of c1 (one removed), a member of c2, an order
CHANGES = [("1", "INSERT", "OID#c1", "PROFILE"), ("2", "INSERT", "OID#c1", "UID#u1"), ("3", "INSERT", "OID#c1", "UID#u2"),
           ("4", "MODIFY", "OID#c1", "UID#u1"), ("5", "INSERT", "OID#c2", "UID#u3"), ("6", "INSERT", "OID#c2", "ORDER#o1"),
           ("7", "REMOVE", "OID#c1", "UID#u2")]
TABLE_KEYS = [("OID#c1", "PROFILE"), ("OID#c1", "UID#u1"), ("OID#c2", "UID#u3"), ("OID#c2", "ORDER#o1")]
PATTERNS = rule_patterns(TABLE)
SELECTS = {HISTORY_RULE: ("INSERT", "MODIFY"), COUNTS_RULE: ("INSERT", "REMOVE")}


def _event(seq: str, name: str, pk: str, sk: str) -> dict[str, Any]:
    return {"id": f"ev{seq}", "source": SOURCE, "detail-type": name, "resources": [TABLE],
            "detail": {"eventName": name, "eventID": f"r{seq}",
                       "dynamodb": {"SequenceNumber": seq, "Keys": {"pk": {"S": pk}, "sk": {"S": sk}}}}}


def _good() -> dict[str, Any]:
    events = [_event(*c) for c in CHANGES]
    delivered = [{"rule": rule, "event_id": f"ev{seq}", "ok": True} for seq, name, pk, sk in CHANGES
                 for rule, names in SELECTS.items() if name in names and sk.startswith("UID#")]
    return dict(records={seq: name for seq, name, _, _ in CHANGES}, bus_events=events, outcomes={}, entries={},
                patterns=PATTERNS, deliveries=delivered, counts={"c1": 1, "c2": 1}, messages_left=0,
                table_keys=TABLE_KEYS, writes_ok=len(CHANGES), writes_failed=0)


def _verdicts(**changes: Any) -> dict[str, bool]:
    return {c.name: c.passed for c in evaluate_live(**{**_good(), **changes})}


def _failing(**changes: Any) -> set[str]:
    return {name for name, passed in _verdicts(**changes).items() if not passed}


def test_the_correct_run_passes_every_check() -> None:
    assert _verdicts() == dict.fromkeys(["one_bus_event_per_change", "stream_to_bus_accounting",
                                         "rule_targets_receive_selected", "fifo_counts_equal_truth",
                                         "writes_accounted"], True)
    assert members_per_customer(TABLE_KEYS) == {"c1": 1, "c2": 1}


def test_a_record_never_published_fails_the_change_and_stream_checks() -> None:
    events = [e for e in _good()["bus_events"] if e["id"] != "ev6"]  # an order: no rule selects it
    assert _failing(bus_events=events) == {"one_bus_event_per_change", "stream_to_bus_accounting"}


def test_a_duplicate_or_a_wrong_detail_type_fails_the_change_check() -> None:
    good = _good()["bus_events"]
    assert _failing(bus_events=good + [{**_event(*CHANGES[5]), "id": "dup"}]) == {"one_bus_event_per_change"}
    wrong = [{**e, "detail-type": "MODIFY"} if e["id"] == "ev6" else e for e in good]
    assert _failing(bus_events=wrong) == {"one_bus_event_per_change"}


def test_a_target_missing_a_selected_event_or_given_an_unselected_one_fails() -> None:
    delivered = _good()["deliveries"]
    missing = [d for d in delivered if not (d["rule"] == COUNTS_RULE and d["event_id"] == "ev7")]
    assert _failing(deliveries=missing) == {"rule_targets_receive_selected"}
    extra = delivered + [{"rule": HISTORY_RULE, "event_id": "ev6", "ok": True}]  # an order: not a member
    assert _failing(deliveries=extra) == {"rule_targets_receive_selected"}


def test_counts_that_differ_from_the_table_or_messages_left_fail_the_fifo_check() -> None:
    assert _failing(counts={"c1": 2, "c2": 1}) == {"fifo_counts_equal_truth"}  # the REMOVE never counted
    assert _failing(messages_left=1) == {"fifo_counts_equal_truth"}
    assert _failing(table_keys=TABLE_KEYS + [("OID#c2", "UID#u9")]) == {"fifo_counts_equal_truth"}


def test_an_accepted_write_without_a_stream_record_fails_the_accounting() -> None:
    assert _failing(writes_ok=len(CHANGES) + 1) == {"writes_accounted"}
    assert _failing(writes_ok=len(CHANGES) - 1, writes_failed=1) == set()  # a failed call may have been applied
