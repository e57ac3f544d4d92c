"""The function-invocation service: one trace for every caller, a typed result, an exit as a function
error, interceptors in one place."""
from __future__ import annotations

import contextlib
from typing import Any

from harness.runtime.functions import FunctionService, InvocationRequest, jsonable
from harness.runtime.ids import IdSource
from harness.runtime.invoker import InvocationResult
from harness.trace import Trace


class Scripted:
    """Returns the results it is given, or raises what it is given."""

    def __init__(self, *outcomes: InvocationResult | BaseException) -> None:
        self.outcomes = list(outcomes)
        self.events: list[Any] = []

    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        self.events.append(event)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        outcome.request_id = request_id
        return outcome

    def hold_environment(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def stop(self) -> None:
        pass


def _service(*outcomes: InvocationResult | BaseException) -> tuple[FunctionService, Trace, Scripted]:
    trace, invoker = Trace(), Scripted(*outcomes)
    return FunctionService({"fn": invoker}, trace, ids=IdSource(1)), trace, invoker


def test_a_cold_start_is_traced_whoever_invokes() -> None:
    service, trace, _ = _service(InvocationResult("", ok=True, response={"x": 1}, cold_start=True,
                                                  init_duration_ms=12.5, worker_pid=4242,
                                                  logs=[("stdout", "hello")], calls=[{"service": "sqs", "operation": "SendMessage",
                                                                      "resource": "q", "duration_ms": 1.0}]))
    result = service.invoke(InvocationRequest("fn", {"e": 1}, tags={"source": "eventbridge", "rule": "r"},
                                              invoke_fields={"target": "t"}))
    kinds = [e["kind"] for e in trace]
    assert kinds == ["invoke", "log", "api_call", "worker", "result"]
    (worker,) = trace.of("worker")
    assert worker == {**worker, "function": "fn", "state": "cold_start", "init_duration_ms": 12.5, "pid": 4242,
                      "request_id": result.request_id}
    (invoke,) = trace.of("invoke")
    assert invoke["rule"] == "r" and invoke["target"] == "t" and invoke["event"] == {"e": 1}
    (res,) = trace.of("result")
    assert res["rule"] == "r" and "target" not in res and res["cold_start"] is True


def test_an_invoker_that_does_not_model_cold_starts_adds_no_cold_start_fields() -> None:
    service, trace, _ = _service(InvocationResult("", ok=False, error_type="ValueError", error_message="bad"))
    service.invoke(InvocationRequest("fn", {}, attempt=3, tags={"mapping": "m", "batch_id": "b"}))
    (error,) = trace.of("error")
    assert error["attempt"] == 3 and error["mapping"] == "m" and "cold_start" not in error
    assert not trace.of("worker")


def test_system_exit_and_keyboard_interrupt_from_an_invoker_are_runtime_exit_errors() -> None:
    service, trace, _ = _service(SystemExit(4), KeyboardInterrupt())
    first = service.invoke(InvocationRequest("fn", {}))
    second = service.invoke(InvocationRequest("fn", {}))
    assert (first.error_type, second.error_type) == ("Runtime.ExitError", "Runtime.ExitError")
    assert first.error_message.endswith("Runtime exited with error: exit status 4")
    assert second.error_message.endswith("Runtime exited with error: signal: interrupt")
    assert len(trace.of("error")) == 2


def test_an_invoker_bug_fails_the_invocation_not_the_caller() -> None:
    service, _, _ = _service(AttributeError("oops"))
    result = service.invoke(InvocationRequest("fn", {}))
    assert not result.ok and result.error_type == "Runtime.Unknown" and "AttributeError: oops" in result.error_message


def test_an_unknown_function_is_a_failed_invocation() -> None:
    service, _, _ = _service()
    result = service.invoke(InvocationRequest("nope", {}))
    assert not result.ok and result.error_type == "ResourceNotFoundException"


def test_interceptors_see_every_invocation_in_order_and_may_answer_instead() -> None:
    service, trace, invoker = _service(InvocationResult("", ok=True))
    seen: list[str] = []

    def outer(request: InvocationRequest, proceed: Any) -> InvocationResult:
        seen.append(f"outer {request.function}")
        return proceed(request)

    def throttle_second(request: InvocationRequest, proceed: Any) -> InvocationResult:
        seen.append("inner")
        if request.attempt == 2:
            return InvocationResult(request.request_id, ok=False, error_type="TooManyRequestsException")
        return proceed(request)

    service.interceptors += [outer, throttle_second]
    assert service.invoke(InvocationRequest("fn", {"n": 1})).ok
    assert service.invoke(InvocationRequest("fn", {"n": 2}, attempt=2)).error_type == "TooManyRequestsException"
    assert seen == ["outer fn", "inner", "outer fn", "inner"]
    assert invoker.events == [{"n": 1}]  # the throttled one never reached the invoker
    assert [e["error_type"] for e in trace.of("error")] == ["TooManyRequestsException"]


def test_seeded_request_ids_repeat() -> None:
    ids = [FunctionService({}, Trace(), ids=IdSource(3)).ids.request_id() for _ in range(2)]
    assert ids[0] == ids[1] and len(ids[0]) == 36
    assert IdSource(3).batch_id() == IdSource(3).batch_id() != IdSource(4).batch_id()


def test_jsonable_keeps_json_and_reprs_the_rest() -> None:
    assert jsonable({"a": [1]}) == {"a": [1]}
    assert jsonable({1, 2}) == repr({1, 2})
