"""Issue 8, item 9: TTL deletions reach every mapping as AWS streams them (a REMOVE with the TTL
service identity), both DynamoDB Local's own and those of ``expire_now``; business deletes stay
unmarked; ``{"eventName": ["REMOVE"]}`` filters catch them."""
from __future__ import annotations

import time
from typing import Any

from harness import EventSourceMapping, Function, Table, Topology

TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
REMOVES = ['{"eventName": ["REMOVE"]}']


def _topology(view: str = "NEW_AND_OLD_IMAGES") -> Topology:
    return Topology(
        name="ttl", tables=[Table("items", "k", ttl_attribute="expires_at", stream_view_type=view)],
        functions=[Function("a", "esm_handlers:record"), Function("b", "esm_handlers:record")],
        event_source_mappings=[EventSourceMapping("a", "items", name="ma", filter_criteria=REMOVES),
                               EventSourceMapping("b", "items", name="mb", filter_criteria=REMOVES)])


def _removes(h: Any, function: str) -> dict[str, dict[str, Any]]:
    """The REMOVE records a function received, by key."""
    out = {}
    for e in h.trace.of("invoke", function=function):
        for r in e["event"]["Records"]:
            assert r["eventName"] == "REMOVE"
            out[r["dynamodb"]["Keys"]["k"]["S"]] = r
    return out


def _put(h: Any, key: str, expires_at: int) -> None:
    h.client("dynamodb").put_item(TableName=h.table_name("items"),
                                  Item={"k": {"S": key}, "expires_at": {"N": str(expires_at)}})


def test_item9_expire_now_deletes_what_has_expired_as_ttl_removes_for_every_mapping(harness_for: Any) -> None:
    from harness.runtime.streams.ttl import expire_now
    for view in ("NEW_AND_OLD_IMAGES", "KEYS_ONLY"):
        h = harness_for(_topology(view))
        ddb, table = h.client("dynamodb"), h.table_name("items")
        now = int(time.time())
        _put(h, "expires-soon", now + 3600)          # not expired for DynamoDB Local's own sweeper
        _put(h, "expires-later", now + 86_400)
        _put(h, "business", now + 3600)
        ddb.delete_item(TableName=table, Key={"k": {"S": "business"}})  # a business delete
        assert expire_now(ddb, table, now=now + 7200) == 1
        h.drain(30)
        assert {i["k"]["S"] for i in ddb.scan(TableName=table)["Items"]} == {"expires-later"}
        for function in ("a", "b"):
            removes = _removes(h, function)
            assert set(removes) == {"expires-soon", "business"}, (view, function)
            assert removes["expires-soon"]["userIdentity"] == TTL_IDENTITY, (view, function)
            assert "userIdentity" not in removes["business"], (view, function)


def test_item9_dynamodb_locals_own_ttl_deletion_is_aws_record(harness_for: Any) -> None:
    h = harness_for(_topology())
    _put(h, "expired", int(time.time()) - 60)  # DynamoDB Local's sweeper deletes it (about 10 s, measured)
    deadline = time.monotonic() + 90
    while "expired" not in _removes(h, "a"):
        assert time.monotonic() < deadline, "no REMOVE reached the filtered mapping"
        h.drain(30)
        time.sleep(0.5)  # the sweeper runs on DynamoDB Local's own clock: nothing to wait on but its output
    h.drain(30)
    for function in ("a", "b"):
        assert _removes(h, function)["expired"]["userIdentity"] == TTL_IDENTITY
