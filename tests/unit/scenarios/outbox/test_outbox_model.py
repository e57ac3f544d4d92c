"""The outbox plan, its reference model and the oracles: pure, no backend."""
from __future__ import annotations

import json

import pytest

from streamharness.scenarios.outbox.generator import OutboxEvent, OutboxPlan, generate_outbox
from streamharness.scenarios.outbox.oracles import (consumed_once, consumer_dlq_exact, correlation_traceable,
                                                    delivered_in_order_per_key, evaluate, no_looping_message,
                                                    poison_isolated, shard_not_blocked)
from streamharness.scenarios.outbox.reference import expected
from streamharness.scenarios.outbox.scenario import OutboxConfig, OutboxToQueue
from streamharness.scenarios.outbox.topology import MAX_RECEIVE_COUNT, VARIANTS

PLAN = generate_outbox(12, seed=3)


def test_the_plan_is_deterministic_and_plants_its_ground_truth() -> None:
    assert generate_outbox(12, seed=3) == PLAN and generate_outbox(12, seed=4) != PLAN
    (poison,) = PLAN.poison
    with pytest.raises(ValueError):
        json.loads(poison.payload)
    assert poison.seq > 0   # a later event of its order: the order's earlier events go ahead of it
    assert PLAN.unprocessable and all(json.loads(e.payload)["currency"] == "XXX" for e in PLAN.unprocessable)
    assert len(PLAN.by_correlation_id) == len(PLAN.events)   # one id per event
    for oid in {e.order_id for e in PLAN.events}:   # interleaved, but each order's events in seq order
        seqs = [e.seq for e in PLAN.events if e.order_id == oid]
        assert seqs == sorted(seqs)
    with pytest.raises(ValueError, match="exceed orders"):
        generate_outbox(2, seed=1, poison=1, unprocessable_orders=2)


def test_the_reference_skips_the_poison_and_dead_letters_the_unprocessable() -> None:
    want = expected(PLAN, fanout=False)
    (poison,) = PLAN.poison
    assert want.isolated == {poison.key}
    assert poison.seq not in want.published[poison.order_id]
    assert want.delivered["orders"] == want.consumed["orders"] | want.dead_lettered["orders"]
    assert want.dead_lettered["orders"] == {e.correlation_id for e in PLAN.unprocessable}


def test_fanout_delivers_each_event_to_the_queues_whose_filter_selects_it() -> None:
    want = expected(PLAN, fanout=True)
    assert set(want.delivered) == {"billing", "shipping"}
    shipped = {e.correlation_id for e in PLAN.events if e.event_type == "OrderShipped" and not e.poison}
    placed = {e.correlation_id for e in PLAN.events if e.event_type == "OrderPlaced" and not e.poison}
    assert shipped <= want.delivered["shipping"] and not shipped & want.delivered["billing"]
    assert placed <= want.delivered["billing"] and not placed & want.delivered["shipping"]


def _correct_run(plan: OutboxPlan) -> dict:
    """What a correct pipeline's trace says, built from the reference."""
    want = expected(plan, fanout=False)
    sent = [e for e in plan.events if not e.poison]
    receives = [{"queue": "orders", "message_id": f"m-{e.key}", "correlation_id": e.correlation_id,
                 "receive_count": n, "ok": not e.unprocessable}
                for e in sent for n in range(1, (MAX_RECEIVE_COUNT if e.unprocessable else 1) + 1)]
    hops = {e.correlation_id: ["producer", "stream", "given_up" if e.poison else "publisher", "queue:orders",
                               "consumer"] for e in plan.events}
    return {"drain": {"ok": True, "error": None}, "stall": None,
            "published": [{"order_id": e.order_id, "seq": e.seq, "correlation_id": e.correlation_id} for e in sent],
            "isolated": [{"key": e.key, "destination": "queue:publisher-failures", "ok": True} for e in plan.poison],
            "receives": receives, "dead_letters": {"orders": sorted(want.dead_lettered["orders"])},
            "left": {"orders": []},
            "consumed": [{"queue": "orders", "correlation_id": c} for c in sorted(want.consumed["orders"])],
            "hops": hops}


def test_a_correct_run_passes_every_check() -> None:
    checks = evaluate(PLAN, expected(PLAN, fanout=False), drain_timeout=10, **_correct_run(PLAN))
    assert [c.name for c in checks if not c.passed] == []


def test_a_blocked_shard_names_the_record_its_retries_and_age() -> None:
    stall = {"record": "ORD-1#1", "batch": ["ORD-1#1", "ORD-2#0"], "retries": 17, "age_s": 12.5,
             "error": "corrupt payload in ..."}
    check = shard_not_blocked({"ok": False, "error": "drain: not quiet"}, stall, 10)
    assert not check.passed
    assert "ORD-1#1" in check.detail and "ORD-2#0" in check.detail and "17 times" in check.detail
    assert "12.5s" in check.detail and "corrupt payload" in check.detail
    assert "likely cause" in check.detail and "BisectBatchOnFunctionError" in check.detail
    assert not shard_not_blocked({"ok": False, "error": "drain: not quiet"}, None, 10).passed


def test_isolation_fails_when_good_records_are_given_up_or_the_poison_is_dropped() -> None:
    want = expected(PLAN, fanout=False)
    (poison,) = PLAN.poison
    good = PLAN.events[0].key
    dropped = poison_isolated(want, [{"key": poison.key, "destination": None, "ok": False}])
    assert not dropped.passed and "OnFailure destination" in dropped.examples[0]["problem"]
    whole_batch = poison_isolated(want, [{"key": k, "destination": "queue:f", "ok": True} for k in (poison.key, good)])
    assert not whole_batch.passed and whole_batch.examples == [{"record": good, "problem": "good record given up"}]


def test_order_per_key_catches_reordering_duplicates_and_losses() -> None:
    want = expected(PLAN, fanout=False)
    run = _correct_run(PLAN)["published"]
    oid = next(o for o, seqs in want.published.items() if len(seqs) > 1)
    mine = [p for p in run if p["order_id"] == oid]
    swapped = [p for p in run if p["order_id"] != oid] + mine[::-1]
    assert delivered_in_order_per_key(want, swapped).examples[0]["problem"] == "out of order"
    assert delivered_in_order_per_key(want, run + mine[:1]).examples[0]["problem"] == "duplicated"
    assert delivered_in_order_per_key(want, run[1:]).examples[0]["problem"] == "missing"


def test_consumption_and_the_dlq_are_judged_per_queue() -> None:
    want, run = expected(PLAN, fanout=False), _correct_run(PLAN)
    assert not consumed_once(want, run["consumed"] + run["consumed"][:1]).passed
    assert not consumed_once(want, [{**c, "queue": "billing"} for c in run["consumed"]]).passed
    assert not consumer_dlq_exact(want, run["receives"], {"orders": []}).passed   # no DLQ
    too_soon = [r for r in run["receives"] if r["receive_count"] < MAX_RECEIVE_COUNT]
    check = consumer_dlq_exact(want, too_soon, run["dead_letters"])
    assert not check.passed and "not maxReceiveCount" in check.examples[0]["problem"]


def test_a_looping_message_is_named_with_its_receive_count() -> None:
    check = no_looping_message({"orders": [{"message_id": "m-7", "correlation_id": "c-7", "receive_count": 6}]})
    assert not check.passed and "m-7" in check.detail and "received 6 times" in check.detail
    assert "no redrive policy" in check.detail
    assert no_looping_message({"orders": []}).passed


def test_a_hop_that_drops_the_correlation_id_is_named() -> None:
    want, run = expected(PLAN, fanout=False), _correct_run(PLAN)
    e = next(e for e in PLAN.events if not e.poison)
    hops = {**run["hops"], e.correlation_id: ["producer", "stream", "publisher"]}
    check = correlation_traceable(PLAN, want, hops)
    assert not check.passed and check.examples == [{"correlation_id": e.correlation_id, "event": e.key,
                                                    "missing_hops": ["queue:orders", "consumer"]}]


def test_the_bug_table_names_a_variant_a_check_and_a_line_for_each_bug() -> None:
    checks = {c.name for c in evaluate(PLAN, expected(PLAN, fanout=False), drain_timeout=10, **_correct_run(PLAN))}
    for bug in OutboxToQueue.bugs:
        assert bug.variant in VARIANTS and bug.variant != "fixed" and bug.check in checks
        assert bug.location().startswith("scenarios/outbox/topology.py:")


def test_the_config_round_trips_and_the_plan_is_generated_again() -> None:
    config = OutboxConfig(orders=6, seed=2, fanout=True)
    again = OutboxConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert OutboxToQueue().generate(again) == OutboxToQueue().generate(config)
    assert OutboxConfig().variant == "fixed" and OutboxToQueue().variants == VARIANTS


def test_an_event_key_is_order_and_seq() -> None:
    assert OutboxEvent("ORD-1", 2, "OrderShipped", "c", "{}").key == "ORD-1#2"


def test_the_publisher_names_a_corrupt_payload_by_item_and_correlation_id() -> None:
    from streamharness.scenarios.outbox.handlers import CorruptPayload, _message

    (poison,) = PLAN.poison
    image = {"order_id": {"S": poison.order_id}, "seq": {"N": str(poison.seq)}, "event_type": {"S": poison.event_type},
             "correlation_id": {"S": poison.correlation_id}, "payload": {"S": poison.payload}}
    with pytest.raises(CorruptPayload, match=f"{poison.key} \\(correlation id {poison.correlation_id}\\)"):
        _message({"dynamodb": {"NewImage": image}})
    good = next(e for e in PLAN.events if not e.poison)
    image.update(payload={"S": good.payload})
    assert json.loads(_message({"dynamodb": {"NewImage": image}})["body"]) == json.loads(good.payload)
