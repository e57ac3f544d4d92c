"""Producers of the event lake under load: each task is one ingestion attempt, through the ingestion function.

Against a running ``harness up`` of the eventlake topology::

    export EVENTS_TABLE=sh-events   # the table `harness up` lists under 'resources:'
    locust -f loadtests/eventlake.py --headless -u 10 -r 10 -t 30s

Environment: EVENTS_TABLE (required), LOAD_SEED (default 7). At import, the scenario's generator makes a
few ingestion plans from that seed (new events, retries byte for byte, conflicting reuses of a key,
malformed requests); each user then sends one plan after another, picked at random, in order, every
event_id given a fresh random suffix per pass. Each attempt calls ``ingestion.ingest`` as the API would
(its ConditionalCheckFailedException is its 409, not an error) and fires Locust's ``request`` event named
``ingest <kind> <status>`` (``ingest retry 409``): the oracles read the answers per kind from those names.
A first attempt's payload carries ``sent_at``, when it was sent (the report's write -> consumer latency);
a retry resends that very request. An event whose first attempt failed is dropped for the rest of the
pass. TTLs lie two days or more ahead, so no event expires during a run.
"""
from __future__ import annotations

import dataclasses
import os
import random
import time
from collections.abc import Iterator
from typing import Any

from locust import constant, task

from streamharness.loadtests.common import Boto3User, fire_request, passes, refresh_loop_clock, require_env
from streamharness.scenarios.eventlake.generator import Attempt, generate_plan
from streamharness.scenarios.eventlake.ingestion import ingest

SEED = int(os.environ.get("LOAD_SEED", "7"))
PLANS = [generate_plan(40, 10, SEED + i, duplicate_rate=0.3, invalid=3).attempts for i in range(3)]
EXPIRY_AHEAD_S = 2 * 86_400  # as in `harness run`: every TTL is still in the future when the run ends

refresh_loop_clock()  # generating the plans takes a while under load


class Producers(Boto3User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.table = require_env("EVENTS_TABLE", dict(os.environ))
        self.rng = random.Random()
        self.ddb = self.raw_client("dynamodb")  # made before the first task, so no call's time includes it
        self.firsts: dict[str, dict[str, Any]] = {}  # event key -> the request its first attempt stored, this pass
        self.attempts = self._attempts()

    def _attempts(self) -> Iterator[Attempt]:
        """The attempts of one plan after another, each pass's event_ids suffixed."""
        for suffix, plan in passes(self.rng, PLANS):
            self.firsts.clear()
            for a in plan:
                yield dataclasses.replace(a, event=dataclasses.replace(a.event, event_id=a.event.event_id + suffix))

    @task
    def attempt(self) -> None:
        attempt = next(self.attempts)
        while attempt.kind in ("retry", "conflict") and attempt.event.key not in self.firsts:  # its first failed
            attempt = next(self.attempts)
        if attempt.kind == "retry":
            request = self.firsts[attempt.event.key]
        else:
            request = attempt.request(int(time.time()) + EXPIRY_AHEAD_S)
            if attempt.kind != "invalid":
                request = {**request, "event_payload": {**request["event_payload"], "sent_at": time.time()}}
        start, t0 = time.time(), time.perf_counter()
        response: Any = None
        error: BaseException | None = None
        try:
            response = ingest(request, self.ddb, self.table)
        except Exception as e:  # noqa: BLE001 - a failed call is counted, the user goes on
            error = e
        if attempt.kind == "first" and error is None:
            self.firsts[attempt.event.key] = request
        status = "error" if response is None else response["statusCode"]
        fire_request(self.environment.events.request.fire, "ingest", f"{attempt.kind} {status}", start, t0, None,
                     error)
