"""The worker-process invoker, driven with the handlers of worker_handlers.py (no backend needed)."""
from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from harness.runtime.invoker import INVOKERS, lambda_environment
from harness.runtime.invoker.worker import WorkerInvocationResult, WorkerInvoker, exit_message
from harness.topology import Function

HERE = Path(__file__).parent
MODULE = "worker_handlers"
REGION = "eu-west-1"
ARN = f"arn:aws:lambda:{REGION}:000000000000:function:fn"
WAIT_S = 20.0  # upper bound for conditions that normally hold within milliseconds

Make = Callable[..., WorkerInvoker]


@pytest.fixture
def make(monkeypatch: pytest.MonkeyPatch) -> Iterator[Make]:
    """Build invokers for handlers of worker_handlers.py; every one is stopped after the test."""
    monkeypatch.syspath_prepend(str(HERE))  # the workers get this sys.path
    made: list[WorkerInvoker] = []

    def build(handler: str, timeout: int = 5, env: dict[str, str] | None = None, **kwargs: Any) -> WorkerInvoker:
        target = handler if ":" in handler else f"{MODULE}:{handler}"
        fn = Function("fn", target, timeout=timeout, memory_size=256, env=env or {})
        invoker = WorkerInvoker(fn, ARN, lambda_environment(fn, REGION), **kwargs)
        made.append(invoker)
        return invoker

    yield build
    for invoker in made:
        invoker.stop()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.001)


def test_registered_as_the_worker_invoker() -> None:
    assert INVOKERS["worker"] is WorkerInvoker


def test_success_runs_in_another_process_with_a_lambda_context(make: Make) -> None:
    invoker = make("introspect", timeout=7)
    r = invoker.invoke({"k": "v"}, "req-1")
    assert isinstance(r, WorkerInvocationResult)
    assert r.ok and r.error_type is None and r.worker_pid not in (None, os.getpid())
    out = r.response
    assert out["function_name"] == "fn" and out["memory_limit_in_mb"] == 256
    assert out["invoked_function_arn"] == ARN and out["aws_request_id"] == "req-1"
    assert 0 < out["remaining_ms"] <= 7000 and out["remaining_ms"] > 6000
    assert out["log_stream_name"] == out["env"]["AWS_LAMBDA_LOG_STREAM_NAME"] and "[$LATEST]" in out["log_stream_name"]
    assert out["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "fn"
    assert out["env"]["PATH"] == os.environ["PATH"]  # the harness's environment, then the function's
    assert out["sys_path_has_tests"]                 # the harness's sys.path
    assert r.duration_ms > 0


def test_response_round_trips_the_event(make: Make) -> None:
    event = {"Records": [{"eventName": "INSERT", "n": 1.5, "u": "é\u2603", "none": None, "list": [True, False]}]}
    r = make("echo").invoke(event, "r")
    assert r.ok and r.response["event"] == event


def test_invoke_json_takes_the_event_already_serialised(make: Make) -> None:
    r = make("echo").invoke_json('{"Records":[{"eventName":"INSERT"}]}', "r")
    assert r.ok and r.response["event"] == {"Records": [{"eventName": "INSERT"}]}


def test_module_level_code_sees_the_function_env(make: Make) -> None:
    r = make("introspect", env={"WORKER_T_AT_IMPORT": "set-before-import"}).invoke({}, "r")
    assert r.response["at_import"] == "set-before-import"
    assert r.response["env"]["WORKER_T_AT_IMPORT"] == "set-before-import"


def test_module_state_is_kept_across_warm_invocations(make: Make) -> None:
    invoker = make("count")
    results = [invoker.invoke({}, f"r{i}") for i in range(3)]
    assert [r.response["count"] for r in results] == [1, 2, 3]
    assert len({r.response["pid"] for r in results}) == 1
    assert [r.cold_start for r in results] == [True, False, False]
    assert results[0].init_duration_ms is not None and results[0].init_duration_ms > 0
    assert [r.init_duration_ms for r in results[1:]] == [None, None]


def run_together(invoker: WorkerInvoker, tmp_path: Path, n: int = 2) -> list[WorkerInvocationResult]:
    """n invocations of ``rendezvous`` that each complete only once all n are running: the test accepts
    n connections (one per running handler) before it lets any of them return."""
    path = str(tmp_path / "rendezvous.sock")
    with socket.socket(socket.AF_UNIX) as server, ThreadPoolExecutor(n) as pool:
        server.bind(path)
        server.listen(n)
        server.settimeout(WAIT_S)
        pending = [pool.submit(invoker.invoke, {"socket": path}, f"r{i}") for i in range(n)]
        connections = []
        try:
            for _ in range(n):
                connections.append(server.accept()[0])
        finally:
            for c in connections:
                c.sendall(b"g")
                c.close()
        return [p.result(WAIT_S) for p in pending]


def test_concurrent_invocations_get_separate_processes(make: Make, tmp_path: Path) -> None:
    invoker = make("rendezvous", timeout=10)
    ra, rb = run_together(invoker, tmp_path)
    assert ra.ok and rb.ok, (ra, rb)
    assert ra.response != rb.response and os.getpid() not in (ra.response, rb.response)
    assert ra.cold_start and rb.cold_start
    assert invoker.worker_pids == sorted([ra.response, rb.response]) and invoker.idle_count == 2
    again = invoker.invoke({}, "again")  # no socket: fails fast, in a warm worker
    assert not again.ok and not again.cold_start and again.worker_pid in (ra.response, rb.response)


def test_the_pool_is_capped_and_callers_wait(make: Make, tmp_path: Path) -> None:
    gate = str(tmp_path / "gate")
    os.mkfifo(gate)
    invoker = make("wait_for_fifo", max_workers=1)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(invoker.invoke, {"fifo": gate}, "first")  # holds the only worker until the gate opens
        wait_until(lambda: len(invoker.worker_pids) == 1 and invoker.idle_count == 0, "the first call has the worker")
        second = pool.submit(invoker.invoke, {"fifo": "/dev/null"}, "second")
        wait_until(lambda: invoker.waiting == 1, "the second call waits for it")
        with open(gate, "wb"):
            pass
        r1, r2 = first.result(WAIT_S), second.result(WAIT_S)
    assert r1.ok and r2.ok and r1.response == r2.response  # one process served both, one after the other
    assert r1.cold_start and not r2.cold_start
    assert invoker.worker_pids == [r1.response] and invoker.waiting == 0


def test_timeout_kills_the_worker_and_the_next_call_is_cold(make: Make) -> None:
    invoker = make("maybe_hang", timeout=1)
    warm = invoker.invoke({}, "first")
    t0 = time.monotonic()
    r = invoker.invoke({"hang": True}, "slow")
    assert time.monotonic() - t0 < 5
    assert not r.ok and r.error_type == "Sandbox.Timedout" and r.function_error == "Unhandled"
    assert r.error_message == "Task timed out after 1.00 seconds"
    assert r.duration_ms >= 1000 and ("stdout", "about to hang") in r.logs
    assert r.worker_pid == warm.response and gone(r.worker_pid) and invoker.worker_pids == []
    after = invoker.invoke({}, "next")  # Lambda replaced the execution environment
    assert after.ok and after.cold_start and after.response != warm.response


@pytest.mark.parametrize(("event", "message"), [
    ({"how": "os._exit", "code": 3}, "Runtime exited with error: exit status 3"),
    ({"how": "sys.exit", "code": 2}, "Runtime exited with error: exit status 2"),
    ({"how": "sys.exit"}, "Runtime exited without providing a reason"),
    ({"how": "segfault"}, "Runtime exited with error: signal: segmentation fault"),
])
def test_a_handler_that_ends_its_process_is_a_function_error(make: Make, event: dict[str, Any],
                                                             message: str) -> None:
    invoker = make("exits")
    r = invoker.invoke(event, "req-x")
    assert not r.ok and r.error_type == "Runtime.ExitError"
    assert r.error_message == f"RequestId: req-x Error: {message}"
    assert ("stdout", "last words") in r.logs  # streamed before the process died
    assert gone(r.worker_pid) and invoker.worker_pids == []  # type: ignore[arg-type]
    after = invoker.invoke({"how": "nothing"}, "after")
    assert after.ok and after.cold_start and after.worker_pid != r.worker_pid


def test_exit_messages_name_signals_as_lambda_does() -> None:
    assert exit_message("r", -9) == "RequestId: r Error: Runtime exited with error: signal: killed"
    assert exit_message("r", -6) == "RequestId: r Error: Runtime exited with error: signal: aborted"


def test_an_exception_is_reported_with_its_traceback(make: Make) -> None:
    invoker = make("fails")
    r = invoker.invoke({"x": 1}, "r1")
    assert not r.ok and r.error_type == "ValueError" and r.error_message == "bad event {'x': 1}"
    assert r.traceback is not None
    assert r.traceback.startswith("Traceback (most recent call last):")
    assert 'worker_handlers.py", line' in r.traceback and "in _deeper" in r.traceback
    assert "raise ValueError" in r.traceback and "_worker_main.py" not in r.traceback
    assert r.traceback.rstrip().endswith("ValueError: bad event {'x': 1}")
    again = invoker.invoke({"x": 2}, "r2")  # an exception does not cost the execution environment
    assert not again.cold_start and again.worker_pid == r.worker_pid


def test_prints_and_logs_come_back_per_invocation(make: Make) -> None:
    invoker = make("chatty")
    first = invoker.invoke({}, "r1")
    second = invoker.invoke({}, "r2")
    expected = [("stdout", "to stdout"), ("stderr", "to stderr"), ("logging", "[WARNING] worker.test: a warning for {}"),
                ("stdout", "two"), ("stdout", "lines"), ("stdout", "partial")]
    assert first.ok and first.response == "done"
    # the cold start's init output (module-level prints) goes with the first invocation, as Lambda logs INIT first
    assert first.logs == [("stdout", "printed at import")] + [(s, m.format("r1")) for s, m in expected]
    assert second.logs == [(s, m.format("r2")) for s, m in expected]


def test_the_aws_api_calls_a_handler_makes_come_back(make: Make) -> None:
    invoker = make("calls_aws")
    first = invoker.invoke({}, "r1")  # boto3 is imported during this invocation: recorded all the same
    second = invoker.invoke({}, "r2")
    for r in (first, second):
        assert r.ok and len(r.calls) == 1, r
        call = r.calls[0]
        assert (call["service"], call["operation"], call["resource"]) == ("dynamodb", "PutItem", "t")
        assert call["items_written"] == 1 and call["duration_ms"] >= 0
    assert make("trivial").invoke({}, "r").calls == []


@pytest.mark.parametrize(("handler", "error_type", "message"), [
    ("no_such_module_xyz:fn", "Runtime.ImportModuleError",
     "Unable to import module 'no_such_module_xyz': No module named 'no_such_module_xyz'"),
    ("worker_handlers:missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'worker_handlers'"),
    ("worker_t_imports_missing:fn", "Runtime.ImportModuleError",
     "Unable to import module 'worker_t_imports_missing': No module named 'not_installed_anywhere'"),
    ("worker_t_raises_at_import:fn", "KeyError", "'WORKER_T_REQUIRED'"),
])
def test_a_handler_that_cannot_be_imported_fails_the_invocation(make: Make, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch, handler: str,
                                                                error_type: str, message: str) -> None:
    (tmp_path / "worker_t_imports_missing.py").write_text("import not_installed_anywhere\n")
    (tmp_path / "worker_t_raises_at_import.py").write_text("import os\nos.environ['WORKER_T_REQUIRED']\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    invoker = make(handler)
    for request_id in ("r1", "r2"):  # every invocation tries the init again, in a fresh process
        r = invoker.invoke({}, request_id)
        assert not r.ok and r.cold_start and r.error_type == error_type and r.error_message == message
        assert invoker.worker_pids == []


def test_a_module_that_exits_while_imported_is_an_exit_error(make: Make, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "worker_t_exits_at_import.py").write_text("import os\nprint('bye')\nos._exit(4)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    r = make("worker_t_exits_at_import:fn").invoke({}, "r")
    assert r.error_type == "Runtime.ExitError" and r.cold_start
    assert r.error_message == "RequestId: r Error: Runtime exited with error: exit status 4"
    assert r.logs == [("stdout", "bye")]


def test_a_syntax_error_is_reported_as_lambda_does(make: Make, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "worker_t_bad_syntax.py").write_text("def fn(event, context)\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    r = make("worker_t_bad_syntax:fn").invoke({}, "r")
    assert r.error_type == "Runtime.UserCodeSyntaxError"
    assert r.error_message is not None and r.error_message.startswith("Syntax error in module 'worker_t_bad_syntax': ")


def test_a_response_json_cannot_encode_is_a_marshal_error(make: Make) -> None:
    invoker = make("not_json")
    r = invoker.invoke({}, "r")
    assert not r.ok and r.error_type == "Runtime.MarshalError"
    assert r.error_message == "Unable to marshal response: Object of type set is not JSON serializable"
    assert not invoker.invoke({}, "r2").cold_start  # the environment survives, as in Lambda


def test_decimals_and_bytes_are_marshalled_as_lambda_does(make: Make) -> None:
    assert make("decimals").invoke({}, "r").response == {"int": 3, "float": 2.5}
    assert make("raw_bytes").invoke({}, "r").response == b"\x00raw"


def test_stop_ends_every_worker_and_waits(make: Make, tmp_path: Path) -> None:
    invoker = make("rendezvous", timeout=10)
    results = run_together(invoker, tmp_path, n=3)
    pids = invoker.worker_pids
    assert len(pids) == 3 and all(r.ok for r in results)
    invoker.stop()
    assert all(gone(pid) for pid in pids) and invoker.worker_pids == []
    after = invoker.invoke({}, "after-stop")
    assert not after.ok and "stopped" in (after.error_message or "")


def test_stop_ends_a_worker_in_the_middle_of_an_invocation(make: Make, tmp_path: Path) -> None:
    fifo = str(tmp_path / "running")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        invoker = make("announce_then_hang", timeout=60)
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(invoker.invoke, {"fifo": fifo}, "busy")
            assert select.select([reader], [], [], WAIT_S)[0], "the handler did not start"
            (pid,) = invoker.worker_pids
            invoker.stop()
            assert gone(pid)
            r = pending.result(WAIT_S)
    finally:
        os.close(reader)
    assert not r.ok and r.error_type == "Runtime.ExitError"


def test_a_worker_outlives_the_thread_that_needed_it(make: Make) -> None:
    """PR_SET_PDEATHSIG fires when the forking *thread* ends; workers are forked by a long-lived thread."""
    invoker = make("count")
    native: list[int] = []

    def first_call() -> None:
        native.append(threading.get_native_id())
        assert invoker.invoke({}, "from-a-thread").cold_start

    t = threading.Thread(target=first_call)
    t.start()
    t.join()
    wait_until(lambda: not os.path.exists(f"/proc/self/task/{native[0]}"), "the thread has ended in the kernel")
    r = invoker.invoke({}, "from-main")
    assert r.ok and not r.cold_start and r.response["count"] == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_no_worker_survives_a_sigkilled_harness(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(HERE)!r})
        from harness.runtime.invoker.worker import WorkerInvoker
        from harness.topology import Function
        invoker = WorkerInvoker(Function("fn", "worker_handlers:pid"), "arn", {{}})
        print(invoker.invoke({{}}, "r").response, flush=True)
        sys.stdin.read()
    """))
    parent = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        worker_pid = int(parent.stdout.readline())
        assert not gone(worker_pid)
        pidfd = os.pidfd_open(worker_pid)
    finally:
        parent.kill()
        parent.wait()
    try:
        assert select.select([pidfd], [], [], WAIT_S)[0], f"worker {worker_pid} outlived its SIGKILLed parent"
    finally:
        os.close(pidfd)
