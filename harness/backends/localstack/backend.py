"""Every AWS service from LocalStack; functions and mappings still run in the harness runtime.

LocalStack's Lambda cannot run code without Docker, and the harness's runtime is the point anyway: it
reads LocalStack's DynamoDB streams like the embedded backend's. LocalStack's EventBridge routes
(external mode): Lambda targets are delivery queues, and a capture rule audits the routing.
"""
from __future__ import annotations

import os
import time

from harness.backends.base import ALL_TAGGED, Backend, Capabilities, EventBridgeRouting
from harness.backends.localstack.install import LocalStackUnavailable
from harness.backends.localstack.server import (
    ACCOUNT_ID,
    DEFAULT_ENDPOINT,
    SERVICES,
    LocalStackServer,
    health,
    missing_services,
)

START_CHOICES = ("auto", "always", "never")


class LocalStackBackend(Backend):
    name = "localstack"

    def __init__(self, region: str = "us-east-1", account_id: str = ACCOUNT_ID, endpoint: str | None = None,
                 start: str = "auto", ready_timeout: float = 180.0) -> None:
        """``endpoint``: a running LocalStack to use (default $LOCALSTACK_ENDPOINT); one named explicitly must
        answer. ``start``: "auto" (use $LOCALSTACK_ENDPOINT or http://127.0.0.1:4566 when LocalStack answers
        there, else start one on a free port), "always" (start our own), "never" (reach one only)."""
        super().__init__(region, account_id)
        if start not in START_CHOICES:
            raise ValueError(f"start must be one of {', '.join(START_CHOICES)}, not {start!r}")
        self._endpoint = endpoint or os.environ.get("LOCALSTACK_ENDPOINT") or None
        self._start = "never" if endpoint else start  # an endpoint named in the call is the one wanted
        self._ready_timeout = ready_timeout
        self.server: LocalStackServer | None = None
        self.url: str | None = None

    @property
    def capabilities(self) -> Capabilities:
        # one we started holds only this run's resources; one we reached may hold anyone's
        return Capabilities(owns_resources=self.server is not None, tagged_services=ALL_TAGGED,
                            eventbridge_routing=EventBridgeRouting.EXTERNAL)

    @property
    def processes(self) -> list:  # type: ignore[type-arg]
        """The server processes this backend started (the LocalStack runtime), like the embedded backend's."""
        return [self.server.process] if self.server and self.server.process else []

    def start(self) -> None:
        t0 = time.perf_counter()
        url = self._reach()
        if url is None:
            self.server = LocalStackServer().start(self._ready_timeout)
            url = self.server.url
        self.url = url
        self.endpoints = {service: url for service in SERVICES}
        self.startup_s = time.perf_counter() - t0

    def _reach(self) -> str | None:
        """The endpoint of a running LocalStack to use, or None when one must be started."""
        if self._start == "always":
            return None
        candidate = self._endpoint or DEFAULT_ENDPOINT
        doc = health(candidate)
        if doc is None:
            if self._start == "never" or self._endpoint:
                raise LocalStackUnavailable(f"no LocalStack answers at {candidate}{'/_localstack/health'} "
                                            f"(start one with `harness localstack start`, or drop --endpoint)")
            return None
        missing = missing_services(doc)
        if missing:
            raise LocalStackUnavailable(f"LocalStack at {candidate} lacks services the harness needs: "
                                        f"{', '.join(missing)}; start it with SERVICES={','.join(SERVICES)}")
        return candidate.rstrip("/")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
