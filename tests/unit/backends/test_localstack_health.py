"""Which services a LocalStack lacks, from its health document; an endpoint that does not answer."""
from __future__ import annotations

import pytest

from harness.backends.localstack import LocalStackBackend, LocalStackUnavailable, missing_services
from harness.backends.processes import free_port


def test_available_and_running_services_are_up() -> None:
    doc = {"services": {"dynamodb": "running", "dynamodbstreams": "available", "events": "available",
                        "sqs": "running", "sns": "available", "sts": "available", "iam": "available"}}
    assert missing_services(doc) == []


def test_missing_services_are_named_with_their_state() -> None:
    doc = {"services": {"dynamodb": "running", "dynamodbstreams": "disabled", "events": "error", "sqs": "running",
                        "sns": "available", "sts": "available"}}
    assert missing_services(doc) == ["dynamodbstreams (disabled)", "events (error)", "iam (absent)"]


def test_an_endpoint_named_must_answer() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    backend = LocalStackBackend(endpoint=url)
    with pytest.raises(LocalStackUnavailable, match=f"no LocalStack answers at {url}"):
        backend.start()
    assert backend.server is None  # nothing was started in its place
