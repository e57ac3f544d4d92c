"""The locustfiles' boto3 edge: every API call is one Locust ``request`` event with the service, the
operation, a time, the response's length and the exception. No server: botocore's Stubber answers.
Locust monkey-patches the standard library on import, so the cases run in a process of their own
(request_events.py) and this test reads what they fired."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def cases() -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("request_events.py"))], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_call_fires_one_request_event_named_by_service_and_operation(cases: dict[str, Any]) -> None:
    ok = cases["ok"]
    assert ok["result"] is True
    [e] = ok["events"]
    assert (e["request_type"], e["name"], e["exception"], e["response_length"]) == ("dynamodb", "UpdateItem", None, 17)
    assert e["response_time"] >= 0


def test_a_failed_call_is_a_failure_event_and_returns_none(cases: dict[str, Any]) -> None:
    c = cases["client_error"]
    assert c["result"] is None
    [e] = c["events"]
    assert e["name"] == "UpdateItem" and "ProvisionedThroughputExceededException" in e["exception"]


def test_a_call_cut_short_is_counted_as_a_failure_and_the_stop_goes_on(cases: dict[str, Any]) -> None:
    """Locust stops a user by raising in its greenlet: the write may have been applied, so it is counted."""
    c = cases["interrupted"]
    assert c["result"] == "propagated"
    [e] = c["events"]
    assert e["exception"].startswith("Interrupted: UpdateItem interrupted")


def test_attributes_that_are_not_api_calls_pass_through_unrecorded(cases: dict[str, Any]) -> None:
    assert cases["passthrough"] == {"result": ["dynamodb", True], "events": []}


def test_a_boto3_user_wires_its_clients_to_locusts_request_event_once(cases: dict[str, Any]) -> None:
    c = cases["user"]
    assert c["result"] is True  # the same instrumented client on the second ask
    assert [(e["request_type"], e["name"]) for e in c["events"]] == [("dynamodb", "UpdateItem")]


def test_a_locust_master_waits_a_minute_of_missed_heartbeats_before_it_calls_a_worker_missing(
        cases: dict[str, Any]) -> None:
    """Locust's 3 s made a loaded machine's busy workers "missing", and the master stopped the test early."""
    assert cases["heartbeat_liveness"] >= 60
