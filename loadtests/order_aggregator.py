"""The two check sources of the order-aggregator pipeline under load: each task makes one check write.

Against a running ``harness up`` of the order-aggregator topology::

    export EVENTS_TABLE=sh-events   # the table `harness up` lists under 'resources:'
    locust -f loadtests/order_aggregator.py --headless -u 10 -r 10 -t 30s

Environment: EVENTS_TABLE (required), LOAD_SEED (default 7). At import, the scenario's generator
makes a few plans from that seed; each user then writes one plan after another, picked at random,
in the plan's order (both checks of interleaved orders, with the duplicates, rechecks and late
writes the generator puts in), every order id given a fresh random suffix per pass so orders never
repeat across users or passes. Generating is CPU work that would stall a process's gevent loop (and
a Locust worker's heartbeats) if users did it as they go; reusing the plans keeps a write's cost
that of its UpdateItem. Each write also sets ``sent_at``, when it was sent: the oracles judge "no
invoice before both checks" on it, and the report's write -> handler latency is measured from it.
"""
from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from typing import Any

from locust import constant, task

from streamharness.loadtests.common import Boto3User, passes, refresh_loop_clock, require_env
from streamharness.scenarios.order_aggregator.contract import HASH_KEY
from streamharness.scenarios.order_aggregator.generator import generate_orders

SEED = int(os.environ.get("LOAD_SEED", "7"))
PLANS = [generate_orders(60, SEED + i) for i in range(3)]

refresh_loop_clock()  # generating the plans takes a while under load


class CheckSources(Boto3User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.table = require_env("EVENTS_TABLE", dict(os.environ))
        self.rng = random.Random()
        self.ddb = self.client("dynamodb")  # made before the first task, so no call's time includes it
        self.writes = self._writes()
        self.abandoned: set[str] = set()  # orders stopped at a failed write

    def _writes(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for suffix, plan in passes(self.rng, PLANS):
            for write in plan.writes:
                update = plan.update_item_kwargs(write, self.table)
                order_id = write.order_id + suffix
                yield order_id, {**update, "Key": {**update["Key"], HASH_KEY: {"S": order_id}}}

    @task
    def check(self) -> None:
        order_id, update = next(self.writes)
        while order_id in self.abandoned:
            order_id, update = next(self.writes)
        if self.ddb.update_item(**sent_now(update)) is None:
            # failed: the order stops there, so what was applied of it is a prefix of its plan (which keeps
            # the plan's contract; skipping one write could break it)
            self.abandoned.add(order_id)


def sent_now(update: dict[str, Any]) -> dict[str, Any]:
    """The source's UpdateItem, also setting ``sent_at`` to now."""
    values = {**update["ExpressionAttributeValues"], ":sent": {"N": repr(time.time())}}
    return {**update, "UpdateExpression": update["UpdateExpression"] + ", sent_at = :sent",
            "ExpressionAttributeValues": values}
