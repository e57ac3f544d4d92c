"""Real AWS: tables, streams, queues, topics, buses and rules in your account; the handlers and mappings
still run in the harness runtime on this machine (a local debugger against real DynamoDB Streams).

Resources cost money and the account is shared, so nothing happens without an explicit opt-in:
``STREAMHARNESS_ALLOW_AWS=1`` and a resource prefix unique to the run (``STREAMHARNESS_AWS_PREFIX`` or
``prefix=``). Everything created carries the run's tag, and teardown deletes only what carries it
(harness/deploy/ownership.py).
Credentials and endpoints are boto3's own (the default credential chain, the real endpoints).
"""
from __future__ import annotations

import os
import re
import sys
import time

import boto3

from harness.backends.base import (
    ALL_TAGGED,
    SERVICES,
    Backend,
    BackendUnavailable,
    Capabilities,
    EventBridgeRouting,
)

OPT_IN = "STREAMHARNESS_ALLOW_AWS"
PREFIX_ENV = "STREAMHARNESS_AWS_PREFIX"
#: starts with a letter, ends with a dash, room for a run id: "sh-" (the default) is not unique to a run
PREFIX_RULE = re.compile(r"^[a-z][a-z0-9-]{4,30}-$")


class AwsOptInRequired(BackendUnavailable):
    """--backend aws without the opt-in; the CLI exits 2 with this message."""


def check_opt_in(prefix: str | None) -> str:
    """The run's prefix, once the opt-in is given; else AwsOptInRequired naming what is missing."""
    if os.environ.get(OPT_IN) != "1":
        raise AwsOptInRequired(
            f"the aws backend creates billable resources in your AWS account: set {OPT_IN}=1 and a resource prefix "
            f"unique to this run ({PREFIX_ENV}=<prefix>, e.g. {PREFIX_ENV}=sh-$(date +%s)-) to opt in")
    prefix = prefix or os.environ.get(PREFIX_ENV)
    if not prefix or not PREFIX_RULE.match(prefix):
        raise AwsOptInRequired(
            f"the aws backend needs a resource prefix unique to this run in {PREFIX_ENV} (got {prefix!r}): "
            f"lower-case letters, digits and dashes, 6-32 characters, ending with '-', e.g. sh-$(date +%s)-")
    return prefix


class AwsBackend(Backend):
    name = "aws"

    def __init__(self, region: str | None = None, account_id: str = "", prefix: str | None = None) -> None:
        self.run_prefix = check_opt_in(prefix)  # before anything else: no opt-in, nothing happens
        session = boto3.session.Session(region_name=region)
        super().__init__(session.region_name or "us-east-1", account_id)
        self._session = session  # the default credential chain, not the emulators' dummy keys

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(owns_resources=False, tagged_services=ALL_TAGGED,
                            eventbridge_routing=EventBridgeRouting.EXTERNAL)

    def start(self) -> None:
        t0 = time.perf_counter()
        identity = self._session.client("sts").get_caller_identity()
        self.account_id = identity["Account"]
        self.endpoints = {s: self._session.client(s).meta.endpoint_url for s in SERVICES}
        self.startup_s = time.perf_counter() - t0

    def announce(self, plan: list[str]) -> None:
        print(f"streamharness: aws backend: creating in account {self.account_id}, region {self.region}, tagged "
              f"streamharness:run={self.run_prefix} (teardown deletes only what carries the tag):", file=sys.stderr)
        for line in plan:
            print(f"  {line}", file=sys.stderr)
        sys.stderr.flush()

    def environment(self) -> dict[str, str]:
        """Only the region: handlers keep the caller's credentials and AWS's endpoints."""
        return {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}

    def stop(self) -> None:
        self.endpoints = {}
