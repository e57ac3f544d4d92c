"""Writers of the single table of the table-to-bus pipeline under load: each task makes one write.

Against a running ``harness up`` of the table-to-bus topology::

    export ITEMS_TABLE=sh-items   # the table `harness up` lists under 'resources:'
    locust -f loadtests/table_to_bus.py --headless -u 10 -r 10 -t 30s

Environment: ITEMS_TABLE (required), LOAD_SEED (default 7). At import, the scenario's generator makes
a few table histories from that seed (customers, members, orders, updates, deletes); each user then
writes one history after another, picked at random, in order, every customer key given a fresh random
suffix per pass so items never collide across users or passes. Only the writes that change their item
are made (the generator's no-op puts and deletes of absent items are skipped), so every accepted write
is one stream record; a customer whose write failed is dropped for the rest of the pass, so what was
applied of it stays a prefix of its history. Each put also sets ``sent_at``, when it was sent: the
report's write -> processor latency is measured from it.
"""
from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from typing import Any

from locust import constant, task

from streamharness.loadtests.common import Boto3User, passes, refresh_loop_clock, require_env
from streamharness.scenarios.table_to_bus.contract import CUSTOMER_PREFIX
from streamharness.scenarios.table_to_bus.generator import Write, generate_plan, to_item

SEED = int(os.environ.get("LOAD_SEED", "7"))
PLANS = [[w for w in generate_plan(5, 10, 25, 6, SEED + i).writes if w.event] for i in range(3)]

refresh_loop_clock()  # generating the plans takes a while under load


def suffixed(value: Any, suffix: str) -> Any:
    """A customer key (``OID#...``) made unique to one pass; other values unchanged."""
    return value + suffix if isinstance(value, str) and value.startswith(CUSTOMER_PREFIX) else value


class TableWriters(Boto3User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.table = require_env("ITEMS_TABLE", dict(os.environ))
        self.rng = random.Random()
        self.ddb = self.client("dynamodb")  # made before the first task, so no call's time includes it
        self.writes = self._writes()
        self.abandoned: set[str] = set()  # customers stopped at a failed write

    def _writes(self) -> Iterator[tuple[str, Write]]:
        for suffix, plan in passes(self.rng, PLANS):
            for w in plan:
                yield w.pk + suffix, w

    @task
    def write(self) -> None:
        pk, w = next(self.writes)
        while pk in self.abandoned:
            pk, w = next(self.writes)
        suffix = pk[len(w.pk):]
        if w.op == "put":
            item = {k: suffixed(v, suffix) for k, v in (w.item or {}).items()}
            done = self.ddb.put_item(TableName=self.table, Item={**to_item(item), "sent_at": {"N": repr(time.time())}})
        else:
            done = self.ddb.delete_item(TableName=self.table, Key=to_item({"pk": pk, "sk": w.sk}))
        if done is None:
            self.abandoned.add(pk)
