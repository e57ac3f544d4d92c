"""Live-mode oracles of outbox-to-queue (Locust writes outbox items while the publisher runs): the ground
truth is rebuilt from the stream; each wrong answer fails its own check."""
from __future__ import annotations

from typing import Any

from streamharness.scenarios.outbox.live import evaluate_live, expected_from_stream

# (order id, seq, correlation id) in stream order: two interleaved orders
ITEMS = [("O1", 0, "c10"), ("O2", 0, "c20"), ("O1", 1, "c11"), ("O2", 1, "c21"), ("O1", 2, "c12")]


def _record(n: int, oid: str, seq: int, cid: str) -> dict[str, Any]:
    image = {"order_id": {"S": oid}, "seq": {"N": str(seq)}, "correlation_id": {"S": cid}}
    return {"eventID": f"r{n}", "eventName": "INSERT", "dynamodb": {"SequenceNumber": str(100 + n), "NewImage": image}}


def _published(items: list[tuple[str, int, str]]) -> list[dict[str, Any]]:
    return [{"order_id": oid, "seq": seq, "correlation_id": cid} for oid, seq, cid in items]


def _good() -> dict[str, Any]:
    return dict(delivered=[_record(n, *i) for n, i in enumerate(ITEMS)], published=_published(ITEMS),
                on_queue=[cid for _, _, cid in ITEMS], change_records=len(ITEMS), writes_ok=len(ITEMS),
                writes_failed=0)


def _failing(**changes: Any) -> set[str]:
    return {c.name for c in evaluate_live(**{**_good(), **changes}) if not c.passed}


def test_the_correct_run_passes_every_check() -> None:
    assert [(c.name, c.passed) for c in evaluate_live(**_good())] == [
        ("delivered_in_order_per_key", True), ("queue_holds_published", True), ("writes_accounted", True)]
    retried = expected_from_stream(_good()["delivered"] * 2)  # a retried batch: each record once
    assert retried.published == {"O1": [0, 1, 2], "O2": [0, 1]}


def test_an_event_published_out_of_order_twice_or_never_fails_the_order_check() -> None:
    swapped = [ITEMS[2], ITEMS[1], ITEMS[0], ITEMS[3], ITEMS[4]]
    assert _failing(published=_published(swapped)) == {"delivered_in_order_per_key"}
    assert _failing(published=_published(ITEMS + ITEMS[:1])) == {"delivered_in_order_per_key"}
    assert _failing(published=_published(ITEMS[:-1])) == {"delivered_in_order_per_key"}


def test_a_queue_missing_a_message_or_holding_one_twice_or_a_stranger_fails_the_queue_check() -> None:
    cids = [cid for _, _, cid in ITEMS]
    assert _failing(on_queue=cids[1:]) == {"queue_holds_published"}
    assert _failing(on_queue=cids + cids[:1]) == {"queue_holds_published"}
    assert _failing(on_queue=cids + ["c99"]) == {"queue_holds_published"}


def test_an_accepted_write_without_a_stream_record_fails_the_accounting() -> None:
    assert _failing(writes_ok=len(ITEMS) + 1) == {"writes_accounted"}
