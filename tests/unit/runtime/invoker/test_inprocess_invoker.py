"""LambdaContext and the InProcessInvoker, driven with the handlers of core_invoker_handlers.py."""
from __future__ import annotations

import os
import sys
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.runtime.invoker import (
    HandlerImportError,
    InProcessInvoker,
    InvocationResult,
    LambdaContext,
    lambda_environment,
    logcapture,
    resolve_handler,
)
from harness.runtime.invoker import context as context_module
from harness.topology import Function

HERE = Path(__file__).parent
MODULE = "core_invoker_handlers"
ARN = "arn:aws:lambda:eu-west-1:000000000000:function:fn"


@pytest.fixture(autouse=True)
def handlers_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(HERE))
    for key in ("CORE_T_AT_IMPORT", "CORE_T_PRESET", "CORE_T_NEW"):
        monkeypatch.delenv(key, raising=False)
    yield
    sys.modules.pop(MODULE, None)


def invoker(handler: str, env: dict[str, str] | None = None, **fn: Any) -> InProcessInvoker:
    function = Function("fn", f"{MODULE}:{handler}", **fn)
    return InProcessInvoker(function, ARN, env or {})


@contextmanager
def captured_output() -> Iterator[None]:
    """What Runtime.start does: route prints and log records through logcapture's proxies.

    Installed inside the test body, because pytest swaps sys.stdout between a test's phases."""
    logcapture.install()
    try:
        yield
    finally:
        logcapture.uninstall()


# --------------------------------------------------------------------------- LambdaContext

def test_context_attributes() -> None:
    c = LambdaContext(function_name="fn", memory_limit_in_mb=512, invoked_function_arn=ARN, timeout_s=7,
                      aws_request_id="req-1")
    assert (c.function_name, c.memory_limit_in_mb, c.invoked_function_arn) == ("fn", 512, ARN)
    assert c.aws_request_id == "req-1" and c.function_version == "$LATEST"
    assert c.log_group_name == "/aws/lambda/fn"
    assert c.log_stream_name.startswith(time.strftime("%Y/%m/%d/[$LATEST]"))
    assert len(c.log_stream_name) == len("YYYY/MM/DD/[$LATEST]") + 32
    assert 0 < c.get_remaining_time_in_millis() <= 7000


def test_context_request_ids_are_unique_by_default() -> None:
    a = LambdaContext("fn", 128, ARN, 3)
    b = LambdaContext("fn", 128, ARN, 3)
    assert a.aws_request_id != b.aws_request_id and len(a.aws_request_id) == 36


def test_remaining_time_decreases_and_stops_at_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(context_module, "time",
                        types.SimpleNamespace(monotonic=lambda: clock[0], strftime=time.strftime))
    c = LambdaContext("fn", 128, ARN, timeout_s=3)
    assert c.get_remaining_time_in_millis() == 3000
    clock[0] += 1.25
    assert c.get_remaining_time_in_millis() == 1750
    clock[0] += 1.7499
    assert c.get_remaining_time_in_millis() == 0  # 0.1 ms left rounds down to 0
    clock[0] += 10
    assert c.get_remaining_time_in_millis() == 0  # never negative


# --------------------------------------------------------------------------- lambda_environment

def test_lambda_environment_reserved_variables() -> None:
    fn = Function("orders", "pkg.mod:handle", memory_size=1024, env={"TABLE": "t1"})
    env = lambda_environment(fn, "eu-west-1")
    assert env == {
        "AWS_LAMBDA_FUNCTION_NAME": "orders",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/orders",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
        "_HANDLER": "pkg.mod:handle",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "TABLE": "t1",
    }
    assert all(isinstance(v, str) for v in env.values())


# --------------------------------------------------------------------------- InProcessInvoker

def test_success_response() -> None:
    result = invoker("echo").invoke({"Records": [1, 2]}, "req-1")
    assert isinstance(result, InvocationResult)
    assert result.ok and result.request_id == "req-1"
    assert result.response == {"event": {"Records": [1, 2]}, "calls": 1}
    assert result.error_type is None and result.error_message is None and result.traceback is None
    assert result.function_error is None and result.duration_ms >= 0


def test_context_passed_to_the_handler() -> None:
    out = invoker("context_probe", timeout=7, memory_size=512).invoke({}, "req-ctx").response
    assert out["function_name"] == "fn" and out["memory_limit_in_mb"] == 512
    assert out["invoked_function_arn"] == ARN and out["aws_request_id"] == "req-ctx"
    assert out["function_version"] == "$LATEST" and out["log_group_name"] == "/aws/lambda/fn"
    assert 6000 < out["remaining_ms"] <= 7000


def test_exception_is_a_function_error_with_traceback() -> None:
    result = invoker("fails").invoke({"id": 7}, "req-2")
    assert not result.ok and result.response is None
    assert (result.error_type, result.error_message) == ("ValueError", "poison 7")
    assert f"{MODULE}.py" in result.traceback and "raise ValueError" in result.traceback  # type: ignore[operator]
    assert result.function_error == "Unhandled"
    assert result.request_id == "req-2" and result.duration_ms >= 0


def test_missing_module_or_function_raises_handler_import_error() -> None:
    with pytest.raises(HandlerImportError) as info:
        InProcessInvoker(Function("fn", "core_no_such_module_xyz:handler"), ARN, {})
    assert "function fn" in str(info.value) and "'core_no_such_module_xyz'" in str(info.value)
    with pytest.raises(HandlerImportError, match="has no callable 'nope'"):
        invoker("nope")
    with pytest.raises(HandlerImportError, match="has no callable 'CALLS'"):
        invoker("CALLS")  # exists, but is not callable


def test_env_applied_during_the_call_and_restored_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORE_T_PRESET", "outer")
    inv = invoker("env_probe", {"CORE_T_PRESET": "inner", "CORE_T_NEW": "new"})
    assert os.environ["CORE_T_PRESET"] == "outer" and "CORE_T_NEW" not in os.environ  # restored after import
    seen = inv.invoke({"keys": ["CORE_T_PRESET", "CORE_T_NEW"]}, "r").response
    assert seen == {"CORE_T_PRESET": "inner", "CORE_T_NEW": "new"}
    assert os.environ["CORE_T_PRESET"] == "outer" and "CORE_T_NEW" not in os.environ  # restored after the call


def test_env_restored_after_a_failing_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORE_T_PRESET", "outer")
    result = invoker("fails", {"CORE_T_PRESET": "inner", "CORE_T_NEW": "new"}).invoke({"id": 1}, "r")
    assert not result.ok
    assert os.environ["CORE_T_PRESET"] == "outer" and "CORE_T_NEW" not in os.environ


def test_env_applied_at_import_time() -> None:
    inv = invoker("echo", {"CORE_T_AT_IMPORT": "seen-at-import"})
    assert inv.handler.__globals__["AT_IMPORT"] == "seen-at-import"  # type: ignore[attr-defined]
    assert "CORE_T_AT_IMPORT" not in os.environ


def test_each_invoker_imports_the_module_fresh() -> None:
    first = invoker("echo", {"CORE_T_AT_IMPORT": "one"})
    second = invoker("echo", {"CORE_T_AT_IMPORT": "two"})
    g1, g2 = first.handler.__globals__, second.handler.__globals__  # type: ignore[attr-defined]
    assert g1 is not g2 and (g1["AT_IMPORT"], g2["AT_IMPORT"]) == ("one", "two")
    assert first.invoke("a", "r1").response["calls"] == 1
    assert first.invoke("b", "r2").response["calls"] == 2
    assert second.invoke("c", "r3").response["calls"] == 1  # module state is not shared
    assert g1["CALLS"] == ["a", "b"] and g2["CALLS"] == ["c"]


def test_resolve_handler_without_fresh_reuses_the_loaded_module() -> None:
    fn = Function("fn", f"{MODULE}:echo")
    a = resolve_handler(fn)
    assert resolve_handler(fn, fresh=False) is a
    assert resolve_handler(fn) is not a


def test_logs_captured_per_invocation_from_print_and_logging() -> None:
    inv = invoker("chatty")
    with captured_output():
        first = inv.invoke({"n": 1}, "r1")
        second = inv.invoke({"n": 2}, "r2")
    assert first.ok and first.response == "done"
    assert first.logs == [
        ("stdout", "hello 1"), ("stdout", "two"), ("stdout", "lines"), ("stderr", "to stderr"),
        ("logging", "[WARNING] core.handler: warned 1"), ("stdout", "no newline at the end")]
    assert second.logs[0] == ("stdout", "hello 2") and ("logging", "[WARNING] core.handler: warned 2") in second.logs
    assert not any("1" in line for _, line in second.logs)  # nothing carried over from the first invocation


def test_logs_of_a_failing_invocation_are_kept() -> None:
    with captured_output():
        result = invoker("fails").invoke({"id": 3}, "r")
    assert not result.ok and result.logs == [("stdout", "about to fail on 3")]


def test_other_threads_output_does_not_leak_into_an_invocation(capsys: pytest.CaptureFixture[str]) -> None:
    inv = invoker("gated")
    g = inv.handler.__globals__  # type: ignore[attr-defined]
    results: list[InvocationResult] = []
    with captured_output():
        worker = threading.Thread(target=lambda: results.append(inv.invoke({}, "r-gated")))
        worker.start()
        try:
            assert g["ENTERED"].wait(10)
            print("main thread: during the invocation")
            g["log"].warning("main thread log during the invocation")
        finally:
            g["RELEASE"].set()
            worker.join(10)
    assert not worker.is_alive()
    (result,) = results
    assert result.logs == [("stdout", "inside: before"), ("stdout", "inside: after")]
    assert "main thread: during the invocation" in capsys.readouterr().out  # went to the real stdout


def test_overrunning_the_timeout_is_reported_as_task_timed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # The invoker skips the check when a tracer (debugger, coverage) is attached; pretend none is.
    monkeypatch.setattr(sys, "gettrace", lambda: None)
    result = invoker("slow", timeout=1).invoke({"seconds": 1.1}, "r-slow")
    assert not result.ok and result.response is None
    assert result.error_type == "Sandbox.Timedout"
    assert result.error_message == "Task timed out after 1.00 seconds"
    assert result.function_error == "Unhandled"
    assert result.duration_ms >= 1100
