"""What every backend offers: endpoints, boto3 clients bound to them, and a clean stop."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "sns", "events", "iam", "sts")


#: the service ids of :data:`SERVICES` (botocore's models, checked by tests/unit/backends/test_endpoint_env.py):
#: loading a model to read one takes a fresh botocore session and tens of milliseconds, on every start
SERVICE_IDS = {"dynamodb": "DynamoDB", "dynamodbstreams": "DynamoDB Streams", "sqs": "SQS", "sns": "SNS",
               "events": "EventBridge", "iam": "IAM", "sts": "STS"}


def endpoint_env_name(service: str) -> str:
    """botocore's own rule: AWS_ENDPOINT_URL_ + the service id, spaces to underscores, upper case."""
    service_id = SERVICE_IDS.get(service) or botocore.session.get_session().get_service_model(service).service_id
    return "AWS_ENDPOINT_URL_" + str(service_id).replace(" ", "_").upper()


class BackendUnavailable(RuntimeError):
    """A backend cannot be had (not installed, not reachable, not opted into); the message says why."""


class EventBridgeRouting(StrEnum):
    """Who routes events to rule targets."""

    #: the backend's ``events`` endpoint is the harness's own: our matcher decides, the runtime's dispatcher delivers
    HARNESS = "harness"
    #: the backend's EventBridge routes (moto's, LocalStack's, AWS's): each Lambda target is backed by a delivery
    #: queue the runtime polls, and a capture-all rule per bus audits the routing against our matcher
    #: (harness/deploy/external.py, harness/runtime/delivery/external.py)
    EXTERNAL = "external"


AWS_STREAM_FIDELITY = "aws"


@dataclass(frozen=True)
class Capabilities:
    """What a backend is, as the layers above need to know it (never decided by its name)."""

    #: everything on it was made by this harness and dies with it (servers it started, in memory): no teardown
    owns_resources: bool
    #: the services whose resources keep tags (deploy tells its own resources from others' by them; for the
    #: other services the backend's ledger records what the harness created through it)
    tagged_services: frozenset[str]
    #: "aws" when stream records follow AWS's rules (no record for a no-op write), else a sentence naming the loss
    stream_fidelity: str = AWS_STREAM_FIDELITY
    eventbridge_routing: EventBridgeRouting = EventBridgeRouting.EXTERNAL

    @property
    def external_eventbridge(self) -> bool:
        return self.eventbridge_routing is EventBridgeRouting.EXTERNAL

    def keeps_tags(self, service: str) -> bool:
        return service in self.tagged_services


#: every service the harness deploys to (AWS and LocalStack keep tags for all of them)
ALL_TAGGED = frozenset({"dynamodb", "sqs", "sns", "events"})


class Backend(ABC):
    """Where the AWS APIs come from. Subclasses start (or reach) servers and fill ``endpoints``."""

    name: str = "abstract"
    #: The EventBridge endpoint the harness serves itself (the embedded backend's EventBridgeServer), which
    #: feeds matched events to the runtime's dispatcher; None where the backend's own EventBridge is used.
    eventbridge: Any = None
    #: a deploy prefix the backend insists on (the aws backend: the run's unique prefix); the harness uses it
    run_prefix: str | None = None

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """What this backend is (may change at start, e.g. a fallback to moto's DynamoDB)."""
    #: The SQS and SNS endpoint the harness serves itself (:class:`~harness.emulators.server.MessagingServer`), or
    #: None: deliveries to its queues and topics may call its models directly, behind the same calls the wire uses.
    messaging: Any = None

    def __init__(self, region: str = "us-east-1", account_id: str = "123456789012") -> None:
        self.region = region
        self.account_id = account_id
        self.endpoints: dict[str, str] = {}
        self.warnings: list[str] = []
        self.startup_s: float = 0.0
        #: where the start's time went, by phase (seconds), as far as the backend knows it
        self.timings: dict[str, float] = {}
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"], region_name=region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        #: tags of resources created through this backend on services that keep none (e.g. DynamoDB Local's
        #: tables): ARN -> tags, written by deploy, so ownership is known there too
        self.ledger: dict[str, dict[str, str]] = {}

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def failure(self) -> Exception | None:
        """Why the backend can no longer serve (e.g. :class:`~harness.backends.processes.BackendDied`: a server
        of ours died), else None. Cheap: whoever waits on the backend polls it and stops waiting."""
        return None

    def on_failure(self, callback: Callable[[Exception], None]) -> None:
        """Have ``callback(error)`` called once the backend fails (never, for a backend without servers of ours)."""

    def announce(self, plan: list[str]) -> None:
        """Told what the deploy is about to create (one line each); backends where that costs money print it."""

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for ``service`` on this backend; shared (boto3 clients are thread-safe)."""
        if config:
            return self._new_client(service, **config)
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._new_client(service)
            return self._clients[service]

    def _new_client(self, service: str, **config: Any) -> Any:
        if service not in self.endpoints:
            raise KeyError(f"backend {self.name!r} serves no {service!r} (it serves: {', '.join(self.endpoints)})")
        settings: dict[str, Any] = {"retries": {"mode": "standard", "max_attempts": 3}, "max_pool_connections": 32,
                                    "connect_timeout": 5, "read_timeout": 30}
        settings.update(config)  # the caller's choices win over the defaults
        cfg = Config(**settings)
        return self._session.client(service, endpoint_url=self.endpoints[service], config=cfg)

    def environment(self) -> dict[str, str]:
        """What a process needs so that plain ``boto3.client(...)`` reaches this backend."""
        env = {endpoint_env_name(s): url for s, url in self.endpoints.items()}
        env.update(DUMMY_CREDENTIALS)
        env.update({"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
                    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"})
        return env

    def __enter__(self) -> Backend:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
