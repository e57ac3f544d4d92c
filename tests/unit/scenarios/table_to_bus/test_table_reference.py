"""The reference model keeps DynamoDB's stream rules."""
from __future__ import annotations

from streamharness.scenarios.table_to_bus import reference
from streamharness.scenarios.table_to_bus.generator import Write

M = ("OID#c1", "UID#u1")


def put(item: dict, key: tuple[str, str] = M) -> Write:
    return Write("put", *key, {"pk": key[0], "sk": key[1], **item}, None)


def delete(key: tuple[str, str] = M) -> Write:
    return Write("delete", *key, None, None)


def test_insert_modify_remove_and_no_record_for_writes_that_change_nothing() -> None:
    cs = reference.changes([put({"a": 1}), put({"a": 1}), put({"a": 2, "b": "x"}), delete(), delete()])
    assert [(c.event, c.changed) for c in cs] == [("INSERT", ("a", "pk", "sk")), ("MODIFY", ("a", "b")),
                                                  ("REMOVE", ("a", "b", "pk", "sk"))]


def test_history_and_counts_only_for_member_items() -> None:
    order = ("OID#c1", "ORDER#o1")
    cs = reference.changes([put({"a": 1}), put({"t": 5}, order), put({"a": 2}), delete(order),
                            put({"a": 1}, ("OID#c1", "UID#u2")), delete()])
    assert reference.history(cs) == {M: [("INSERT", ("a", "pk", "sk")), ("MODIFY", ("a",))],
                                     ("OID#c1", "UID#u2"): [("INSERT", ("a", "pk", "sk"))]}
    assert reference.member_counts(cs) == {"c1": 1}
    assert reference.selected(cs, ("INSERT", "REMOVE")) == 3
