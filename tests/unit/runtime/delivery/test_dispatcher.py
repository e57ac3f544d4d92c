"""Target delivery with fakes for the backend and the invoker: retries, backoff, DLQ shape, trace."""
from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness import Function
from harness.emulators.eventbridge.models import EventsModel
from harness.runtime.delivery.dispatcher import DELIVERERS, DeliveryError, DeliveryOptions, Dispatcher
from harness.runtime.invoker import InvocationResult
from harness.trace import Trace

ACCOUNT, REGION = "123456789012", "us-east-1"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"
DLQ = f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:t"
FLAKY = f"arn:aws:sqs:{REGION}:{ACCOUNT}:flaky"  # a target whose SendMessage is throttled (FakeSQS)
FAST = DeliveryOptions(retry_backoff_base_s=0.001, retry_backoff_max_s=0.004)


class FakeSQS:
    """Queues by name; SendMessage to ``flaky`` is throttled ``flaky_failures`` times (-1: always)."""

    def __init__(self, queues: set[str]) -> None:
        self.queues = queues
        self.sent: list[dict[str, Any]] = []
        self.flaky_failures = -1
        self.tries: list[float] = []
        self.on_try: Callable[[], None] = lambda: None

    def get_queue_url(self, QueueName: str, QueueOwnerAWSAccountId: str) -> dict[str, str]:  # noqa: N803
        if QueueName not in self.queues:
            raise ClientError({"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue",
                                         "Message": "The specified queue does not exist."}}, "GetQueueUrl")
        return {"QueueUrl": f"http://sqs/{QueueOwnerAWSAccountId}/{QueueName}"}

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        if kwargs["QueueUrl"].endswith("/flaky"):
            self.tries.append(time.monotonic())
            self.on_try()
            if self.flaky_failures:
                self.flaky_failures -= 1
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "SendMessage")
        self.sent.append(kwargs)
        return {"MessageId": "m"}


class FakeSNS:
    def __init__(self, topics: set[str]) -> None:
        self.topics = topics
        self.published: list[dict[str, Any]] = []

    def publish(self, TopicArn: str, Message: str) -> dict[str, str]:  # noqa: N803
        if TopicArn not in self.topics:
            raise ClientError({"Error": {"Code": "NotFound", "Message": "Topic does not exist"}}, "Publish")
        self.published.append({"TopicArn": TopicArn, "Message": Message})
        return {"MessageId": "m"}


class FakeBackend:
    def __init__(self, queues: set[str] = frozenset({"dlq", "q", "flaky"}), topics: set[str] = frozenset({TOPIC})) -> None:
        self.sqs, self.sns = FakeSQS(set(queues)), FakeSNS(set(topics))

    def client(self, service: str) -> Any:
        return {"sqs": self.sqs, "sns": self.sns}[service]


class FakeInvoker:
    """Fails the first ``failures`` invocations (``failures=-1``: always)."""

    def __init__(self, failures: int = 0, on_invoke: Callable[[Any], None] | None = None) -> None:
        self.function = Function("fn", "x:y")
        self.failures = failures
        self.events: list[Any] = []
        self.times: list[float] = []
        self.on_invoke = on_invoke

    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        self.events.append(event)
        self.times.append(time.monotonic())
        if self.on_invoke:
            self.on_invoke(event)
        if self.failures:
            self.failures -= 1
            return InvocationResult(request_id, ok=False, error_type="ValueError", error_message="poison")
        return InvocationResult(request_id, ok=True, response={"ok": True}, logs=[("stdout", "hi")])

    def hold_environment(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def stop(self) -> None:
        pass


class Setup:
    def __init__(self, targets: list[dict[str, Any]], invoker: FakeInvoker | None = None,
                 backend: FakeBackend | None = None, options: DeliveryOptions = FAST,
                 now: Callable[[], float] = time.time) -> None:
        self.model = EventsModel(REGION, ACCOUNT)
        self.rule = self.model.put_rule("r", event_pattern='{"source": ["shop"]}')
        self.model.put_targets("r", None, targets)
        self.invoker = invoker or FakeInvoker()
        self.backend = backend or FakeBackend()
        self.trace = Trace()
        self.cond = threading.Condition()
        self.dispatcher = Dispatcher(self.backend, self.trace, {"fn": self.invoker}, options=options,
                                     on_activity=self._activity, rules={self.rule.arn: "logical-r"}, now=now)

    def _activity(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def put(self, *details: dict[str, Any]) -> list[str]:
        results, accepted = self.model.put_events(
            [{"Source": "shop", "DetailType": "t", "Detail": json.dumps(d)} for d in details])
        self.dispatcher.accept([(e, e.matches) for e in accepted])
        return [r["EventId"] for r in results]

    def wait(self, timeout: float = 5.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: not self.dispatcher.pending(), timeout), self.dispatcher.pending()

    def close(self) -> None:
        self.dispatcher.stop()


@pytest.fixture
def setups() -> Any:
    made: list[Setup] = []

    def make(*args: Any, **kwargs: Any) -> Setup:
        s = Setup(*args, **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def attributes(message: dict[str, Any]) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}


def test_a_lambda_target_gets_the_event_and_everything_is_traced(setups: Any) -> None:
    s = setups([{"Id": "f", "Arn": FN}])
    [event_id] = s.put({"n": 1})
    s.wait()
    [event] = s.invoker.events
    assert event["id"] == event_id and event["detail"] == {"n": 1} and event["source"] == "shop"
    kinds = [e["kind"] for e in s.trace.events]
    # the delivery ends when Lambda accepts the event; the invocation runs on Lambda's side, meanwhile
    assert [k for k in kinds if k in ("bus_event", "async_invoke", "delivery")] == \
        ["bus_event", "async_invoke", "delivery"]
    assert [k for k in kinds if k in ("invoke", "log", "result")] == ["invoke", "log", "result"]
    [bus_event], [invoke], [log], [delivery] = (s.trace.of(k) for k in ("bus_event", "invoke", "log", "delivery"))
    assert bus_event["matched_rules"] == ["logical-r"] and bus_event["detail"] == {"n": 1}
    assert invoke["function"] == "fn" and invoke["rule"] == "logical-r" and invoke["event"] == event
    assert invoke["source"] == "eventbridge" and invoke["request_id"] == s.trace.of("async_invoke")[0]["request_id"]
    assert log["message"] == "hi"
    assert delivery["ok"] is True and delivery["attempt"] == 1 and delivery["target"] == "f"
    assert s.dispatcher.stats["succeeded"] == 1


def test_each_target_gets_its_own_copy_of_the_event(setups: Any) -> None:
    s = setups([{"Id": "f", "Arn": FN}, {"Id": "g", "Arn": FN}],
               invoker=FakeInvoker(on_invoke=lambda e: e["detail"].update(mutated=True)))
    s.put({"n": 1})
    s.wait()
    assert len(s.invoker.events) == 2 and s.invoker.events[0] is not s.invoker.events[1]
    assert s.trace.of("bus_event")[0]["detail"] == {"n": 1}


def test_a_failing_lambda_is_lambdas_to_retry_and_the_target_is_delivered(setups: Any) -> None:
    s = setups([{"Id": "f", "Arn": FN, "RetryPolicy": {"MaximumRetryAttempts": 5},
                 "DeadLetterConfig": {"Arn": DLQ}}], invoker=FakeInvoker(failures=-1))
    s.put({"n": 1})
    s.wait()
    assert len(s.invoker.events) == 3  # Lambda's first attempt and its 2 retries (not the target's RetryPolicy)
    assert s.backend.sqs.sent == []  # a function error never reaches the rule target's DLQ
    assert [(d["attempt"], d["ok"]) for d in s.trace.of("delivery")] == [(1, True)]
    assert s.dispatcher.stats["succeeded"] == 1 and s.dispatcher.stats["dead_lettered"] == 0


def test_a_failing_target_is_retried_then_dead_lettered_in_aws_shape(setups: Any) -> None:
    s = setups([{"Id": "f", "Arn": FLAKY, "RetryPolicy": {"MaximumRetryAttempts": 2},
                 "DeadLetterConfig": {"Arn": DLQ}}])
    [event_id] = s.put({"n": 1})
    s.wait()
    assert len(s.backend.sqs.tries) == 3  # the first attempt and 2 retries
    [message] = s.backend.sqs.sent
    assert message["QueueUrl"] == f"http://sqs/{ACCOUNT}/dlq"
    assert json.loads(message["MessageBody"])["id"] == event_id  # the original event is the body
    assert attributes(message) == {"RULE_ARN": s.rule.arn, "TARGET_ARN": FLAKY, "ERROR_CODE": "THROTTLING",
                                   "ERROR_MESSAGE": "slow down", "RETRY_ATTEMPTS": "2",
                                   "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts"}
    deliveries = s.trace.of("delivery")
    assert [(d["attempt"], d["ok"], d["will_retry"]) for d in deliveries] == \
        [(1, False, True), (2, False, True), (3, False, False)]
    [dead] = s.trace.of("dead_letter")
    assert dead["ok"] is True and dead["retry_attempts"] == 2 and dead["dlq"] == DLQ
    assert s.dispatcher.stats["dead_lettered"] == 1


def test_retries_back_off_exponentially(setups: Any) -> None:
    opts = DeliveryOptions(retry_backoff_base_s=0.02, retry_backoff_max_s=1.0, jitter=False)
    backend = FakeBackend()
    backend.sqs.flaky_failures = 3
    s = setups([{"Id": "f", "Arn": FLAKY, "RetryPolicy": {"MaximumRetryAttempts": 3}}], backend=backend, options=opts)
    s.put({})
    s.wait()
    tries = s.backend.sqs.tries
    gaps = [b - a for a, b in zip(tries, tries[1:], strict=False)]
    assert len(gaps) == 3 and gaps[0] >= 0.02 and gaps[1] >= 0.04 and gaps[2] >= 0.08
    assert [d["backoff_s"] for d in s.trace.of("delivery") if not d["ok"]] == [0.02, 0.04, 0.08]
    assert s.trace.of("delivery")[-1]["ok"] is True and [m["QueueUrl"] for m in s.backend.sqs.sent] == \
        [f"http://sqs/{ACCOUNT}/flaky"]


def test_backoff_is_capped_and_jittered() -> None:
    opts = DeliveryOptions(retry_backoff_base_s=1, retry_backoff_max_s=300)
    assert DeliveryOptions(retry_backoff_base_s=1, retry_backoff_max_s=300, jitter=False).backoff(20) == 300
    for attempt in range(1, 12):
        delay = opts.backoff(attempt)
        nominal = min(300, 2 ** (attempt - 1))
        assert nominal / 2 <= delay <= nominal


def test_no_retries_with_maximum_retry_attempts_zero(setups: Any) -> None:
    s = setups([{"Id": "f", "Arn": FLAKY, "RetryPolicy": {"MaximumRetryAttempts": 0},
                 "DeadLetterConfig": {"Arn": DLQ}}])
    s.put({})
    s.wait()
    assert len(s.backend.sqs.tries) == 1
    assert attributes(s.backend.sqs.sent[0])["RETRY_ATTEMPTS"] == "0"


def test_maximum_event_age_ends_the_retries(setups: Any) -> None:
    clock = [1000.0]
    backend = FakeBackend()
    backend.sqs.on_try = lambda: clock.__setitem__(0, clock[0] + 40)  # each attempt takes 40 s
    s = setups([{"Id": "f", "Arn": FLAKY, "RetryPolicy": {"MaximumEventAgeInSeconds": 60},
                 "DeadLetterConfig": {"Arn": DLQ}}], backend=backend, now=lambda: clock[0])
    results, accepted = s.model.put_events([{"Source": "shop", "DetailType": "t", "Detail": "{}"}], now=1000.0)
    s.dispatcher.accept([(e, e.matches) for e in accepted])
    s.wait()
    assert len(backend.sqs.tries) == 2  # at 40 s the age allows one more try; at 80 s it does not
    assert attributes(s.backend.sqs.sent[0])["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert attributes(s.backend.sqs.sent[0])["RETRY_ATTEMPTS"] == "1"


def test_a_missing_function_goes_to_the_dlq_at_once(setups: Any) -> None:
    ghost = FN.replace(":fn", ":ghost")
    s = setups([{"Id": "g", "Arn": ghost, "DeadLetterConfig": {"Arn": DLQ}}])
    s.put({})
    s.wait()
    [message] = s.backend.sqs.sent
    attrs = attributes(message)
    assert attrs["ERROR_CODE"] == "NO_RESOURCE" and attrs["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attrs and ghost in attrs["ERROR_MESSAGE"]
    assert len(s.trace.of("delivery")) == 1


def test_without_a_dlq_the_event_is_dropped_and_traced(setups: Any) -> None:
    s = setups([{"Id": "f", "Arn": FLAKY, "RetryPolicy": {"MaximumRetryAttempts": 1}}])
    s.put({})
    s.wait()
    [dead] = s.trace.of("dead_letter")
    assert dead["dropped"] is True and dead["dlq"] is None and s.dispatcher.stats["dropped"] == 1


def test_an_unreachable_dlq_is_reported(setups: Any) -> None:
    s = setups([{"Id": "g", "Arn": FN.replace(":fn", ":ghost"),
                 "DeadLetterConfig": {"Arn": DLQ.replace("dlq", "gone")}}])
    s.put({})
    s.wait()
    [dead] = s.trace.of("dead_letter")
    assert dead["ok"] is False and dead["dropped"] is True and "could not be sent" in dead["reason"]


def test_sqs_targets_get_the_target_input_as_body(setups: Any) -> None:
    s = setups([{"Id": "q", "Arn": QUEUE, "InputPath": "$.detail"},
                {"Id": "missing", "Arn": QUEUE.replace(":q", ":none"), "DeadLetterConfig": {"Arn": DLQ}}])
    s.put({"n": 7})
    s.wait()
    bodies = {m["QueueUrl"]: m for m in s.backend.sqs.sent}
    assert bodies[f"http://sqs/{ACCOUNT}/q"]["MessageBody"] == '{"n":7}'
    assert attributes(bodies[f"http://sqs/{ACCOUNT}/dlq"])["ERROR_CODE"] == "NO_RESOURCE"


def test_fifo_queue_targets_need_a_group_and_dedup_on_the_event_id(setups: Any) -> None:
    fifo = QUEUE + ".fifo"
    s = setups([{"Id": "q", "Arn": fifo, "SqsParameters": {"MessageGroupId": "g1"}}],
               backend=FakeBackend(queues={"q.fifo"}))
    [event_id] = s.put({})
    s.wait()
    [sent] = s.backend.sqs.sent
    assert sent["MessageGroupId"] == "g1" and sent["MessageDeduplicationId"] == event_id


def test_sns_targets_publish_and_a_missing_topic_is_no_resource(setups: Any) -> None:
    template = {"InputPathsMap": {"n": "$.detail.n"}, "InputTemplate": '{"count": <n>, "rule": <aws.events.rule-name>}'}
    s = setups([{"Id": "t", "Arn": TOPIC, "InputTransformer": template},
                {"Id": "gone", "Arn": TOPIC + "x", "DeadLetterConfig": {"Arn": DLQ}}])
    s.put({"n": 3})
    s.wait()
    assert s.backend.sns.published == [{"TopicArn": TOPIC, "Message": '{"count":3,"rule":"r"}'}]
    assert attributes(s.backend.sqs.sent[0])["ERROR_CODE"] == "NO_RESOURCE"


def test_pending_describes_what_drain_waits_for(setups: Any) -> None:
    slow = DeliveryOptions(retry_backoff_base_s=30, retry_backoff_max_s=30, jitter=False)
    s = setups([{"Id": "f", "Arn": FLAKY}], options=slow)
    s.put({})
    with s.cond:
        assert s.cond.wait_for(lambda: s.trace.of("delivery"), 5)
    [line] = s.dispatcher.pending()
    assert "rule logical-r -> target f" in line and "retrying after attempt 1: THROTTLING: slow down" in line
    s.dispatcher.stop()  # abandons the retry
    assert len(s.backend.sqs.tries) == 1


def test_a_new_target_service_is_one_registry_entry(setups: Any) -> None:
    got: list[str] = []

    def kinesis(dispatcher: Dispatcher, d: Any) -> None:
        got.append(d.input.text)

    DELIVERERS["kinesis"] = kinesis
    try:
        s = setups([{"Id": "k", "Arn": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s", "Input": '{"x": 1}'}])
        s.put({})
        s.wait()
        assert got == ['{"x": 1}']
    finally:
        del DELIVERERS["kinesis"]


def test_an_unknown_target_service_is_reported_not_retried(setups: Any) -> None:
    s = setups([{"Id": "k", "Arn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m"}])
    s.put({})
    s.wait()
    [delivery] = s.trace.of("delivery")
    assert delivery["error_code"] == "INVALID_PARAMETER" and delivery["will_retry"] is False


def test_a_crashing_deliverer_is_an_internal_error_and_the_worker_survives(setups: Any) -> None:
    def broken(dispatcher: Dispatcher, d: Any) -> None:
        raise RuntimeError("bug")

    DELIVERERS["broken"] = broken
    try:
        s = setups([{"Id": "b", "Arn": f"arn:aws:broken:{REGION}:{ACCOUNT}:x",
                     "RetryPolicy": {"MaximumRetryAttempts": 0}}, {"Id": "f", "Arn": FN}])
        s.put({})
        s.wait()
        codes = sorted((d["target"], d.get("error_code")) for d in s.trace.of("delivery"))
        assert codes == [("b", "INTERNAL_ERROR"), ("f", None)]
    finally:
        del DELIVERERS["broken"]


def test_delivery_error_carries_code_and_retryability() -> None:
    e = DeliveryError("THROTTLING", "slow down")
    assert (e.code, e.message, e.retryable, str(e)) == ("THROTTLING", "slow down", True, "THROTTLING: slow down")


class ExitingInvoker(FakeInvoker):
    """An invoker that lets a handler's SystemExit escape (as a broken invoker would)."""

    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        raise SystemExit(5)


def test_an_exit_escaping_the_invoker_is_a_function_error_and_the_worker_lives(setups: Any) -> None:
    s = setups([{"Id": "f", "Arn": FN}], invoker=ExitingInvoker())
    s.put({}, {})
    s.wait()
    assert [e["error_type"] for e in s.trace.of("error")] == ["Runtime.ExitError"] * 6  # 2 events, 3 attempts each
    assert [d["ok"] for d in s.trace.of("delivery")] == [True, True]  # Lambda accepted both
    assert s.dispatcher.async_invoker.function_stats()["fn"]["dropped"] == 2 and not s.dispatcher.problems()


def test_every_target_is_accounted_for_and_a_dead_worker_is_a_problem(setups: Any) -> None:
    s = setups([{"Id": "f", "Arn": FN}, {"Id": "q", "Arn": QUEUE},
                {"Id": "g", "Arn": FN.replace(":fn", ":ghost"), "DeadLetterConfig": {"Arn": DLQ}}])
    s.put({}, {})
    s.wait()
    counts = {target: c for (_, target), c in s.dispatcher.target_stats().items()}
    assert counts == {"f": {"accepted": 2, "succeeded": 2, "dead_lettered": 0, "dropped": 0},
                      "q": {"accepted": 2, "succeeded": 2, "dead_lettered": 0, "dropped": 0},
                      "g": {"accepted": 2, "succeeded": 0, "dead_lettered": 2, "dropped": 0}}
    assert s.dispatcher.problems() == []
    s.dispatcher.stop()
    s.dispatcher._workers = [threading.Thread(target=lambda: None, name="eventbridge-delivery-x")]
    s.dispatcher._workers[0].start()
    s.dispatcher._workers[0].join()
    assert s.dispatcher.problems() == ["eventbridge: delivery thread eventbridge-delivery-x has died"]


class LocalMessagingBackend:
    """A backend that serves SQS and SNS in this process: the dispatcher calls the models, not boto3."""

    def __init__(self) -> None:
        from harness.emulators.sns.models import SnsModel
        from harness.emulators.sqs.models import SqsModel

        sqs = SqsModel(REGION, ACCOUNT)
        self.messaging = type("Messaging", (), {"sqs": sqs, "sns": SnsModel(sqs, REGION, ACCOUNT)})()

    def client(self, service: str) -> Any:
        raise AssertionError(f"no boto3 {service} client: the queues and topics are in this process")


def test_a_process_local_backend_gets_targets_and_dead_letters_through_its_models(setups: Any) -> None:
    backend = LocalMessagingBackend()
    sqs, sns = backend.messaging.sqs, backend.messaging.sns
    q, dlq = sqs.create_queue("q"), sqs.create_queue("dlq")
    fifo = sqs.create_queue("q.fifo", {"FifoQueue": "true"})
    topic = sns.create_topic("t")
    sns.subscribe(topic, "sqs", QUEUE, {"RawMessageDelivery": "true"})
    s = setups([{"Id": "q", "Arn": QUEUE, "InputPath": "$.detail"},
                {"Id": "f", "Arn": QUEUE + ".fifo", "SqsParameters": {"MessageGroupId": "g"}},
                {"Id": "t", "Arn": TOPIC, "Input": '"via topic"'},
                {"Id": "missing", "Arn": QUEUE.replace(":q", ":none"), "DeadLetterConfig": {"Arn": DLQ}}],
               backend=backend)
    [event_id] = s.put({"n": 7})
    s.wait()
    assert sorted(m["Body"] for m in sqs.receive_message(q, 10)) == ['"via topic"', '{"n":7}']
    [f] = sqs.receive_message(fifo, 10, attribute_names=["All"])
    assert f["Attributes"]["MessageGroupId"] == "g" and f["Attributes"]["MessageDeduplicationId"] == event_id
    [dead] = sqs.receive_message(dlq, 10, message_attribute_names=["All"])
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NO_RESOURCE"
