"""The two check sources of the order-aggregator pipeline under load: each task writes one order's checks.

Against a running ``harness up`` of the order-aggregator topology::

    export EVENTS_TABLE=sh-events   # the table `harness up` lists under 'resources:'
    locust -f loadtests/order_aggregator.py --headless -u 10 -r 10 -t 30s

Environment: EVENTS_TABLE (required). Each task draws a one-order plan from the scenario's generator
(its own seed, so orders never repeat across users or tasks) and makes its writes in the plan's
order: both checks, with the duplicates, rechecks and late writes the generator puts in.
"""
from __future__ import annotations

import os
import random

from locust import constant, task

from streamharness.loadtests.common import Boto3User, require_env
from streamharness.scenarios.order_aggregator.generator import generate_orders


class CheckSources(Boto3User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.table = require_env("EVENTS_TABLE", dict(os.environ))
        self.rng = random.Random()

    @task
    def order(self) -> None:
        plan = generate_orders(1, self.rng.getrandbits(63))
        ddb = self.client("dynamodb")
        for write in plan.writes:
            ddb.update_item(**plan.update_item_kwargs(write, self.table))
