"""Packet flood against the ip-dedup pipeline: each task upserts one packet's source IP, as the scenario does.

Run it against ``harness run``'s topology brought up by ``harness load ip-dedup`` (which sets everything),
or by hand against a running ``harness up``::

    export IPS_TABLE=sh-ips   # the table `harness up` lists under 'resources:'
    locust -f loadtests/ip_dedup.py --headless -u 10 -r 10 -t 30s

Environment: IPS_TABLE (required), LOAD_SEED (default 7) and LOAD_IPS (default 400): the IP
population is the scenario's own (``generate_flood`` with that seed and size, drawn by the Faker
provider ``NetworkPacketProvider``), so the harness's blocklist for the same seed marks some of them
dangerous; IPs are picked with the scenario's Zipf popularity, packets by the provider.
"""
from __future__ import annotations

import os
import random
import time
from itertools import accumulate

from faker import Faker
from locust import constant, task

from streamharness.loadtests.common import Boto3User, refresh_loop_clock, require_env
from streamharness.fixtures.providers import NetworkPacketProvider
from streamharness.scenarios.ip_dedup.generator import generate_flood
from streamharness.scenarios.ip_dedup.writers import UPSERT

SEED = int(os.environ.get("LOAD_SEED", "7"))
IPS = int(os.environ.get("LOAD_IPS", "400"))
ZIPF_S = 1.1
POPULATION = generate_flood(IPS, IPS, 1, SEED).population
CUM_WEIGHTS = list(accumulate(rank ** -ZIPF_S for rank in range(1, len(POPULATION) + 1)))

refresh_loop_clock()  # building the population takes a while under load



class PacketFlood(Boto3User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.table = require_env("IPS_TABLE", dict(os.environ))
        self.rng = random.Random()
        self.fake = Faker()
        self.fake.add_provider(NetworkPacketProvider)
        self.fake.seed_instance(self.rng.getrandbits(64))
        self.ddb = self.client("dynamodb")  # made before the first task, so no call's time includes it

    @task
    def packet(self) -> None:
        ip = self.rng.choices(POPULATION, cum_weights=CUM_WEIGHTS)[0]
        now = time.time()
        self.ddb.update_item(
            TableName=self.table, Key={"ip": {"S": ip}}, UpdateExpression=UPSERT,
            ExpressionAttributeValues={":ts": {"N": repr(now)}, ":proto": {"S": self.fake.packet(ip)["protocol"]},
                                       ":now": {"N": repr(now)}, ":one": {"N": "1"}})
