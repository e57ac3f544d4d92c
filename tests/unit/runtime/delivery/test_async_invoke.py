"""Lambda's asynchronous invocation with fakes: retries under the event invoke config, event age,
destinations in AWS's record shape, the function's DLQ, accounting."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from test_dispatcher import ACCOUNT, REGION, FakeBackend, FakeInvoker, attributes

from harness import Function
from harness.runtime.delivery.async_invoke import AsyncInvokeOptions, AsyncInvoker
from harness.runtime.delivery.messaging import Messaging
from harness.runtime.functions import FunctionService, UnknownFunction
from harness.topology.specs import EventInvokeConfig
from harness.trace import Trace

FAST = AsyncInvokeOptions(retry_backoff_base_s=0.001, retry_backoff_max_s=0.004)


class Setup:
    def __init__(self, *, config: EventInvokeConfig | None = None, dlq: str | None = None,
                 invokers: dict[str, FakeInvoker] | None = None, now: Callable[[], float] | None = None,
                 options: AsyncInvokeOptions = FAST) -> None:
        self.invokers = invokers or {"fn": FakeInvoker(failures=-1)}
        self.trace = Trace()
        self.backend = FakeBackend()
        self.cond = threading.Condition()
        self.events_put: list[dict[str, Any]] = []
        specs = {"fn": Function("fn", "x:y", event_invoke_config=config, dead_letter_queue=dlq)}
        kwargs: dict[str, Any] = {"now": now} if now else {}
        self.lam = AsyncInvoker(
            FunctionService(self.invokers, self.trace), self.trace, specs=specs, messaging=Messaging(self.backend),
            resolve=lambda ref: f"arn:aws:sqs:{REGION}:{ACCOUNT}:{ref.partition(':')[2]}" if ref.startswith("queue:")
            else f"bus-{ref.partition(':')[2]}",
            function_arn=lambda name: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}", options=options,
            on_activity=self._activity, put_events=self.events_put.extend, **kwargs)

    def _activity(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def wait(self, timeout: float = 5.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: not self.lam.pending(), timeout), self.lam.pending()

    def sent(self, queue: str) -> list[dict[str, Any]]:
        return [m for m in self.backend.sqs.sent if m["QueueUrl"].endswith(f"/{queue}")]


@pytest.fixture
def setups() -> Any:
    made: list[Setup] = []

    def make(**kwargs: Any) -> Setup:
        s = Setup(**kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.lam.stop()


def test_a_failing_function_is_tried_three_times_then_its_on_failure_gets_awss_record(setups: Any) -> None:
    s = setups(config=EventInvokeConfig(on_failure="queue:q"))
    rid = s.lam.invoke_async("fn", {"n": 1}, source="eventbridge")
    s.wait()
    assert s.invokers["fn"].events == [{"n": 1}] * 3
    assert {e["request_id"] for e in s.trace.of("invoke")} == {rid}  # Lambda's retries keep the request id
    assert [e["attempt"] for e in s.trace.of("async_retry")] == [1, 2]
    [message] = s.sent("q")
    record = json.loads(message["MessageBody"])
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"] == {"requestId": rid, "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:"
                                        f"function:fn:$LATEST", "condition": "RetriesExhausted",
                                        "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert s.lam.function_stats() == {"fn": {"accepted": 1, "succeeded": 0, "failed": 1, "dropped": 0}}
    assert s.lam.problems() == []


def test_maximum_retry_attempts_zero_tries_once(setups: Any) -> None:
    s = setups(config=EventInvokeConfig(maximum_retry_attempts=0))
    s.lam.invoke_async("fn", {}, source="sns")
    s.wait()
    assert len(s.invokers["fn"].events) == 1 and not s.trace.of("async_retry")
    [dropped] = s.trace.of("async_destination")
    assert dropped["dropped"] is True and dropped["condition"] == "RetriesExhausted"


def test_a_success_after_a_retry_goes_to_on_success_with_the_response(setups: Any) -> None:
    s = setups(invokers={"fn": FakeInvoker(failures=1)}, config=EventInvokeConfig(on_success="queue:q",
                                                                                 on_failure="queue:dlq"))
    s.lam.invoke_async("fn", {"n": 2}, source="eventbridge")
    s.wait()
    [message] = s.sent("q")
    record = json.loads(message["MessageBody"])
    assert record["requestContext"]["condition"] == "Success" and record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": True} and not s.sent("dlq")


def test_the_event_age_ends_the_retries(setups: Any) -> None:
    clock = [1000.0]
    invoker = FakeInvoker(failures=-1, on_invoke=lambda e: clock.__setitem__(0, clock[0] + 40))
    s = setups(invokers={"fn": invoker}, now=lambda: clock[0],
               config=EventInvokeConfig(maximum_event_age_in_seconds=60, on_failure="queue:q"))
    s.lam.invoke_async("fn", {}, source="eventbridge")
    s.wait()
    assert len(invoker.events) == 2  # at 40 s the age allows one more attempt; at 80 s it does not
    record = json.loads(s.sent("q")[0]["MessageBody"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 2


def test_the_dlq_gets_the_event_with_awss_attributes_and_on_failure_too(setups: Any) -> None:
    s = setups(dlq="queue:dlq", config=EventInvokeConfig(on_failure="queue:q"))
    rid = s.lam.invoke_async("fn", {"n": 3}, source="eventbridge")
    s.wait()
    [dead] = s.sent("dlq")
    assert json.loads(dead["MessageBody"]) == {"n": 3}
    assert attributes(dead) == {"RequestID": rid, "ErrorCode": "200", "ErrorMessage": "ValueError: poison"}
    assert len(s.sent("q")) == 1  # destinations in addition to the DLQ, as AWS allows
    assert s.lam.function_stats()["fn"]["failed"] == 1


def test_a_function_destination_is_invoked_asynchronously_with_the_record(setups: Any) -> None:
    s = setups(invokers={"fn": FakeInvoker(failures=-1), "audit": FakeInvoker()},
               config=EventInvokeConfig(maximum_retry_attempts=0, on_failure="function:audit"))
    s.lam.invoke_async("fn", {"n": 4}, source="eventbridge")
    s.wait()
    [record] = s.invokers["audit"].events
    assert record["requestPayload"] == {"n": 4} and record["requestContext"]["condition"] == "RetriesExhausted"
    assert [e["source"] for e in s.trace.of("async_invoke")] == ["eventbridge", "lambda-destination"]


def test_a_bus_destination_gets_a_lambda_invocation_result_event(setups: Any) -> None:
    s = setups(invokers={"fn": FakeInvoker()}, config=EventInvokeConfig(on_success="bus:audit"))
    s.lam.invoke_async("fn", {}, source="eventbridge")
    s.wait()
    [entry] = s.events_put
    assert entry["Source"] == "lambda" and entry["DetailType"] == "Lambda Function Invocation Result - Success"
    assert entry["EventBusName"] == "bus-audit" and json.loads(entry["Detail"])["responsePayload"] == {"ok": True}


def test_an_unreachable_destination_drops_the_event_and_says_why(setups: Any) -> None:
    s = setups(config=EventInvokeConfig(maximum_retry_attempts=0, on_failure="queue:gone"))
    s.lam.invoke_async("fn", {}, source="eventbridge")
    s.wait()
    [failed] = s.trace.of("async_destination")
    assert failed["ok"] is False and "NO_RESOURCE" in failed["reason"]
    assert s.lam.function_stats()["fn"] == {"accepted": 1, "succeeded": 0, "failed": 0, "dropped": 1}


def test_an_unknown_function_is_not_accepted(setups: Any) -> None:
    s = setups()
    with pytest.raises(UnknownFunction, match="ghost"):
        s.lam.invoke_async("ghost", {}, source="eventbridge")
    assert s.lam.function_stats() == {} and not s.trace.of("async_invoke")


def test_pending_describes_a_retry_and_stop_abandons_it(setups: Any) -> None:
    s = setups(options=AsyncInvokeOptions(retry_backoff_base_s=30, retry_backoff_max_s=30, jitter=False))
    s.lam.invoke_async("fn", {}, source="eventbridge")
    with s.cond:
        assert s.cond.wait_for(lambda: s.trace.of("async_retry"), 5)
    [line] = s.lam.pending()
    assert "function fn" in line and "retrying after attempt 1: ValueError: poison" in line
    s.lam.stop()
    assert len(s.invokers["fn"].events) == 1


def test_a_dead_worker_and_a_broken_ledger_are_problems(setups: Any) -> None:
    s = setups(invokers={"fn": FakeInvoker()})
    s.lam.invoke_async("fn", {}, source="eventbridge")
    s.wait()
    assert s.lam.problems() == []
    s.lam._ledgers["fn"]["accepted"] += 1
    assert s.lam.problems() == ["lambda async: function fn: accepted 2 != succeeded 1 + sent to OnFailure/DLQ 0 "
                                "+ dropped 0"]
    s.lam.stop()
    s.lam._workers = [threading.Thread(target=lambda: None, name="lambda-async-x")]
    s.lam._workers[0].start()
    s.lam._workers[0].join()
    assert "lambda async: worker thread lambda-async-x has died" in s.lam.problems()
