"""What every backend offers: endpoints, boto3 clients bound to them, and a clean stop."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "sns", "events", "iam", "sts")


def endpoint_env_name(service: str) -> str:
    """botocore's own rule: AWS_ENDPOINT_URL_ + the service id, spaces to underscores, upper case."""
    service_id = botocore.session.get_session().get_service_model(service).service_id
    return "AWS_ENDPOINT_URL_" + str(service_id).replace(" ", "_").upper()


class Backend(ABC):
    """Where the AWS APIs come from. Subclasses start (or reach) servers and fill ``endpoints``."""

    name: str = "abstract"
    #: "aws" when stream records follow AWS's rules (no record for a no-op write), else a short reason.
    stream_fidelity: str = "aws"
    #: The EventBridge endpoint the harness serves itself (the embedded backend's EventBridgeServer), which
    #: feeds matched events to the runtime's dispatcher; None where the backend's own EventBridge is used.
    eventbridge: Any = None
    #: The SQS and SNS endpoint the harness serves itself (:class:`~harness.emulators.server.MessagingServer`), or
    #: None: deliveries to its queues and topics may call its models directly, behind the same calls the wire uses.
    messaging: Any = None
    #: Who routes events to rule targets: "harness" when the backend's ``events`` endpoint is the harness's own
    #: (its matcher decides, its dispatcher delivers), "external" when the backend's EventBridge routes them
    #: (moto's, LocalStack's, AWS's): then each Lambda target is backed by a delivery queue the runtime polls,
    #: and a capture-all rule per bus audits the backend's routing against our matcher (see
    #: harness/deploy/external.py and harness/runtime/eventbridge/external.py).
    eventbridge_routing: str = "external"

    def __init__(self, region: str = "us-east-1", account_id: str = "123456789012") -> None:
        self.region = region
        self.account_id = account_id
        self.endpoints: dict[str, str] = {}
        self.warnings: list[str] = []
        self.startup_s: float = 0.0
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"], region_name=region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

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
