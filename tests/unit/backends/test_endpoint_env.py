"""The endpoint variables' names come from a table, not from loading botocore's models at every start."""
from __future__ import annotations

import botocore.session
import pytest

from harness.backends import base
from harness.backends.base import SERVICE_IDS, SERVICES, endpoint_env_name


@pytest.mark.parametrize("service", SERVICES)
def test_the_table_holds_botocores_service_id(service: str) -> None:
    assert SERVICE_IDS[service] == botocore.session.get_session().get_service_model(service).service_id


def test_known_services_load_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_session() -> None:
        raise AssertionError("a botocore session was made")

    monkeypatch.setattr(base.botocore.session, "get_session", no_session)
    assert [endpoint_env_name(s) for s in ("dynamodbstreams", "events")] == [
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "AWS_ENDPOINT_URL_EVENTBRIDGE"]


def test_other_services_are_named_from_their_model() -> None:
    assert endpoint_env_name("s3") == "AWS_ENDPOINT_URL_S3"
