"""The order service under load: each task is one producer write of an outbox item.

Against a running ``harness up`` of the outbox-to-queue topology::

    export OUTBOX_TABLE=sh-outbox   # the table `harness up` lists under 'resources:'
    locust -f loadtests/outbox.py --headless -u 10 -r 10 -t 30s

Environment: OUTBOX_TABLE (required), LOAD_SEED (default 7). At import, the scenario's generator makes a
few outbox plans from that seed, without poison or unprocessable events (a load run judges the happy path;
``harness run outbox-to-queue`` judges those); each user writes one plan after another, picked at random, in
order (interleaved orders, each order's events in seq order), order and correlation ids given a fresh random
suffix per pass. Each write is the producer's own PutItem (``handlers.outbox_write``) plus ``sent_at``, when
it was sent (the report's write -> publisher latency). An order whose write failed is dropped for the rest
of the pass, so what was applied of it stays a prefix of its events.
"""
from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator

from locust import constant, task

from streamharness.loadtests.common import Boto3User, passes, refresh_loop_clock, require_env
from streamharness.scenarios.outbox.generator import OutboxEvent, generate_outbox
from streamharness.scenarios.outbox.handlers import outbox_write

SEED = int(os.environ.get("LOAD_SEED", "7"))
PLANS = [generate_outbox(8, SEED + i, poison=0, unprocessable_orders=0).events for i in range(3)]

refresh_loop_clock()  # generating the plans takes a while under load


class OrderService(Boto3User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.table = require_env("OUTBOX_TABLE", dict(os.environ))
        self.rng = random.Random()
        self.ddb = self.client("dynamodb")  # made before the first task, so no call's time includes it
        self.events = self._events()
        self.abandoned: set[str] = set()  # orders stopped at a failed write

    def _events(self) -> Iterator[tuple[str, OutboxEvent]]:
        for suffix, plan in passes(self.rng, PLANS):
            for e in plan:
                yield suffix, e

    @task
    def write(self) -> None:
        suffix, e = next(self.events)
        while e.order_id + suffix in self.abandoned:
            suffix, e = next(self.events)
        body = {"order_id": e.order_id + suffix, "seq": e.seq, "event_type": e.event_type, "payload": e.payload}
        write = outbox_write(e.correlation_id + suffix, body)
        write["Item"]["sent_at"] = {"N": repr(time.time())}
        if self.ddb.put_item(TableName=self.table, **write) is None:
            self.abandoned.add(body["order_id"])
