"""A small hand-written trace: records read, filtered, invoked, retried, put on a bus, delivered, given up."""
from __future__ import annotations

from typing import Any

M, SHARD = "items-to-fn", "shardId-0001"


def ev(n: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "t": 100.0 + n / 10, "n": n, **fields}


def rec(n: int, seq: str, key: str) -> dict[str, Any]:
    return ev(n, "record", mapping=M, function="fn", shard=SHARD, sequence_number=seq, event_name="INSERT",
              keys={"id": {"S": key}})


TRACE = [
    rec(0, "1", "a"), rec(1, "2", "b"), rec(2, "3", "c"), rec(3, "4", "poison"),
    ev(4, "filtered", mapping=M, shard=SHARD, sequence_number="3", event_name="INSERT"),
    ev(5, "invoke", mapping=M, function="fn", batch_id="b1", request_id="r1", attempt=1, size=2,
       sequence_numbers=["1", "2"], event={"Records": [{"dynamodb": {"SequenceNumber": "1", "NewImage": {"cid": {"S": "corr-9"}}}},
                                                       {"dynamodb": {"SequenceNumber": "2"}}]}),
    ev(6, "error", mapping=M, function="fn", request_id="r1", batch_id="b1", duration_ms=2.0, error_type="ValueError",
       error_message="flaky", traceback="..."),
    ev(7, "retry", mapping=M, batch_id="b1", retry=1, backoff_s=0.01, reason="ValueError: flaky", size=2),
    ev(8, "invoke", mapping=M, function="fn", batch_id="b1", request_id="r2", attempt=2, size=2,
       sequence_numbers=["1", "2"]),
    ev(9, "result", mapping=M, function="fn", request_id="r2", batch_id="b1", duration_ms=4.0, response=None),
    ev(10, "api_call", function="fn", request_id="r2", service="events", operation="PutEvents",
       entries=[{"event_id": "e1", "detail_type": "Done"}, {"event_id": None, "error_code": "MalformedDetail",
                                                            "detail_type": "Bad"}]),
    ev(11, "bus_event", bus="orders", bus_name="sh-orders", event_id="e1", detail_type="Done",
       detail={"cid": "corr-9"}, matched_rules=["r"]),
    ev(12, "delivery", rule="r", target="t", event_id="e1", attempt=1, ok=True),
    ev(13, "invoke", function="sink", source="eventbridge", rule="r", event_id="e1", request_id="r3", attempt=1),
    ev(14, "result", function="sink", source="eventbridge", request_id="r3", duration_ms=1.0),
    ev(15, "invoke", mapping=M, function="fn", batch_id="b2", request_id="r4", attempt=1, size=1,
       sequence_numbers=["4"]),
    ev(16, "error", mapping=M, function="fn", request_id="r4", batch_id="b2", duration_ms=1.0, error_type="KeyError",
       error_message="'x'"),
    ev(17, "give_up", mapping=M, batch_id="b2", condition="RetryAttemptsExhausted", invocations=1, size=1,
       destination=None, sequence_numbers=["4"]),
]
