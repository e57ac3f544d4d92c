"""Run by test_boto3_user.py in a process of its own: importing Locust monkey-patches (gevent), which the
test process must never be. Prints one JSON object: case -> the request events it fired."""
from __future__ import annotations

from locust.env import Environment  # first: Locust patches the standard library before boto3 is imported

import json
import os
from typing import Any

import boto3
from botocore.stub import Stubber

from streamharness.loadtests.common import Boto3User, InstrumentedClient

KEY = {"TableName": "t", "Key": {"ip": {"S": "1.2.3.4"}}}


def _ddb() -> Any:
    return boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x",
                                 region_name="us-east-1").client("dynamodb", endpoint_url="http://127.0.0.1:1")


def _case(run: Any) -> dict[str, Any]:
    env = Environment()
    fired: list[dict[str, Any]] = []
    env.events.request.add_listener(lambda **kw: fired.append(kw))
    result = run(env)
    return {"result": result, "events": [
        {"request_type": e["request_type"], "name": e["name"], "response_time": e["response_time"],
         "response_length": e["response_length"],
         "exception": None if e["exception"] is None else f"{type(e['exception']).__name__}: {e['exception']}"}
        for e in fired]}


def ok(env: Environment) -> Any:
    raw = _ddb()
    with Stubber(raw) as stub:
        stub.add_response("update_item", {"Attributes": {}, "ResponseMetadata": {"HTTPHeaders": {"content-length": "17"}}},
                          KEY)
        return InstrumentedClient(raw, env.events.request).update_item(**KEY) is not None


def client_error(env: Environment) -> Any:
    raw = _ddb()
    with Stubber(raw) as stub:
        stub.add_client_error("update_item", "ProvisionedThroughputExceededException", expected_params=KEY)
        return InstrumentedClient(raw, env.events.request).update_item(**KEY)


def interrupted(env: Environment) -> Any:
    class Stop(BaseException):
        pass

    raw = _ddb()
    raw.update_item = lambda **kw: (_ for _ in ()).throw(Stop())  # Locust stopping the user mid-call
    try:
        InstrumentedClient(raw, env.events.request).update_item(**KEY)
    except Stop:
        return "propagated"
    return "swallowed"


def passthrough(env: Environment) -> Any:
    client = InstrumentedClient(_ddb(), env.events.request)
    return [client.meta.service_model.service_name, client.can_paginate("scan")]


def user(env: Environment) -> Any:
    os.environ.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1"})

    class U(Boto3User):
        pass

    u = U(env)
    client = u.client("dynamodb")
    with Stubber(client._client) as stub:
        stub.add_response("update_item", {}, KEY)
        client.update_item(**KEY)
    return u.client("dynamodb") is client


from locust import runners  # noqa: E402

print(json.dumps({**{f.__name__: _case(f) for f in (ok, client_error, interrupted, passthrough, user)},
                  "heartbeat_liveness": runners.HEARTBEAT_LIVENESS}))
