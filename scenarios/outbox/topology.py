"""The outbox pipeline: outbox table -> stream -> publisher -> orders queue (or topic -> two queues) -> consumer.

The variants differ only in configuration, the two settings the article warns about:

- ``no-bisect``: the publisher's mapping retries a failing batch forever, whole, with no OnFailure
  destination: a corrupt payload blocks its shard;
- ``no-consumer-dlq``: the consumer queue has no redrive policy: a message the consumer cannot process
  comes back after every visibility timeout, for ever.
"""
from __future__ import annotations

import json

from harness.topology import EventSourceMapping, Function, Queue, RedrivePolicy, Subscription, Table, Topic, Topology

VARIANTS = ("fixed", "no-bisect", "no-consumer-dlq")
MAPPING = "outbox-to-publisher"
HANDLERS = "streamharness.scenarios.outbox.handlers"
#: SNS fan-out: each subscribed queue gets the event types its filter policy names
FANOUT = {"billing": ["OrderPlaced", "OrderPaid"], "shipping": ["OrderPaid", "OrderShipped"]}
VISIBILITY_TIMEOUT = 1   # seconds: a failed message is received again this soon
MAX_RECEIVE_COUNT = 3
PUBLISHER_RETRIES = 1    # MaximumRetryAttempts of the fixed mapping


def consumer_queues(fanout: bool) -> list[str]:
    return sorted(FANOUT) if fanout else ["orders"]


def _queues(variant: str, fanout: bool) -> list[Queue]:
    out = [Queue("publisher-failures")]
    for name in consumer_queues(fanout):
        redrive = RedrivePolicy(f"{name}-dlq", max_receive_count=MAX_RECEIVE_COUNT)
        if variant == "no-consumer-dlq":
            redrive = None  # planted: no redrive policy on the consumer queue
        out += [Queue(name, visibility_timeout=VISIBILITY_TIMEOUT, redrive_policy=redrive), Queue(f"{name}-dlq")]
    return out


def _mapping(variant: str, batch_size: int) -> EventSourceMapping:
    if variant == "no-bisect":  # planted: whole-batch retries for ever, no OnFailure destination
        return EventSourceMapping("publisher", "outbox", name=MAPPING, batch_size=batch_size,
                                  maximum_retry_attempts=-1, bisect_batch_on_function_error=False)
    return EventSourceMapping("publisher", "outbox", name=MAPPING, batch_size=batch_size,
                              maximum_retry_attempts=PUBLISHER_RETRIES, bisect_batch_on_function_error=True,
                              on_failure="queue:publisher-failures")


def topology(*, variant: str = "fixed", batch_size: int = 10, fanout: bool = False) -> Topology:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    target = {"TOPIC_ARN": "${topic-arn:order-events}"} if fanout else {"QUEUE_URL": "${queue:orders}"}
    topics = [Topic("order-events", subscriptions=tuple(
        Subscription(q, filter_policy=json.dumps({"event_type": types}), raw_message_delivery=True)
        for q, types in sorted(FANOUT.items())))] if fanout else []
    return Topology(
        name="outbox-to-queue",
        description="a producer writes domain events to an outbox table; its stream feeds a publisher that sends "
                    "them to a queue (or a topic fanned out to two queues); a consumer acts on them",
        tables=[Table("outbox", hash_key="order_id", range_key="seq:N", stream_view_type="NEW_IMAGE")],
        queues=_queues(variant, fanout),
        topics=topics,
        functions=[Function("producer", f"{HANDLERS}:producer", timeout=10, env={"OUTBOX_TABLE": "${table:outbox}"}),
                   Function("publisher", f"{HANDLERS}:publisher", timeout=30, env=target),
                   Function("consumer", f"{HANDLERS}:consumer", timeout=10)],
        event_source_mappings=[_mapping(variant, batch_size)],
    )
