"""The two check sources of the order-aggregator pipeline under load: each task makes one check write.

Against a running ``harness up`` of the order-aggregator topology::

    export EVENTS_TABLE=sh-events   # the table `harness up` lists under 'resources:'
    locust -f loadtests/order_aggregator.py --headless -u 10 -r 10 -t 30s

Environment: EVENTS_TABLE (required). Each user writes plans from the scenario's generator, one after
the other (each with a seed of its own, so orders never repeat across users or plans), in the plan's
order: both checks of interleaved orders, with the duplicates, rechecks and late writes the generator
puts in. Each write also sets ``sent_at``, when it was sent: the oracles judge "no invoice before both
checks" on it, and the report's write -> handler latency is measured from it.
"""
from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from typing import Any

from locust import constant, task

from streamharness.loadtests.common import Boto3User, refresh_loop_clock, require_env
from streamharness.scenarios.order_aggregator.generator import Write, generate_orders

#: orders per generated plan: generating costs ~25 ms per plan plus ~2 ms per order
PLAN_ORDERS = 100

refresh_loop_clock()  # the generator's imports (Faker) take a while under load


class CheckSources(Boto3User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.table = require_env("EVENTS_TABLE", dict(os.environ))
        self.rng = random.Random()
        self.ddb = self.client("dynamodb")  # made before the first task, so no call's time includes it
        self.writes = self._writes()
        self.abandoned: set[str] = set()  # orders stopped at a failed write

    def _writes(self) -> Iterator[tuple[Write, dict[str, Any]]]:
        while True:
            plan = generate_orders(PLAN_ORDERS, self.rng.getrandbits(63))
            for write in plan.writes:
                yield write, plan.update_item_kwargs(write, self.table)

    @task
    def check(self) -> None:
        write, update = next(self.writes)
        while write.order_id in self.abandoned:
            write, update = next(self.writes)
        if self.ddb.update_item(**sent_now(update)) is None:
            # failed: the order stops there, so what was applied of it is a prefix of its plan (which keeps
            # the plan's contract; skipping one write could break it)
            self.abandoned.add(write.order_id)


def sent_now(update: dict[str, Any]) -> dict[str, Any]:
    """The source's UpdateItem, also setting ``sent_at`` to now."""
    values = {**update["ExpressionAttributeValues"], ":sent": {"N": repr(time.time())}}
    return {**update, "UpdateExpression": update["UpdateExpression"] + ", sent_at = :sent",
            "ExpressionAttributeValues": values}
