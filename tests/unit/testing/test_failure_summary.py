"""The failure summary: counts per mapping and each distinct handler error, with the handler's frames only."""
from __future__ import annotations

from sketch import SketchTrace

from harness.testing import handler_traceback, summarize
from harness.testing.summary import HARNESS_DIR

INVOKER = f"{HARNESS_DIR}/runtime/invoker/inprocess.py"
TRACEBACK = f'''Traceback (most recent call last):
  File "{INVOKER}", line 168, in invoke
    response = self.handler(event, context)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/home/me/app/handlers.py", line 7, in on_order
    charge(record)
  File "/home/me/app/handlers.py", line 3, in charge
    raise ValueError("card declined")
ValueError: card declined'''


def test_handler_traceback_drops_the_harness_frames_only() -> None:
    assert handler_traceback(TRACEBACK).splitlines() == [
        "Traceback (most recent call last):",
        '  File "/home/me/app/handlers.py", line 7, in on_order',
        "    charge(record)",
        '  File "/home/me/app/handlers.py", line 3, in charge',
        '    raise ValueError("card declined")',
        "ValueError: card declined",
    ]


def test_handler_traceback_keeps_chained_exceptions_and_a_sibling_folder() -> None:
    text = (f'Traceback (most recent call last):\n  File "{HARNESS_DIR}-extras/x.py", line 1, in f\n    g()\n'
            f'KeyError: 1\n\nDuring handling of the above exception, another exception occurred:\n\n'
            f'Traceback (most recent call last):\n  File "{INVOKER}", line 9, in invoke\n    h()\nValueError: 2')
    assert handler_traceback(text).splitlines() == [
        "Traceback (most recent call last):", f'  File "{HARNESS_DIR}-extras/x.py", line 1, in f', "    g()",
        "KeyError: 1", "", "During handling of the above exception, another exception occurred:", "",
        "Traceback (most recent call last):", "ValueError: 2"]


def _failing_run() -> SketchTrace:
    t = SketchTrace()
    for seq, name in (("100", "INSERT"), ("200", "INSERT"), ("300", "REMOVE")):
        t.emit("record", mapping="m", function="on_order", sequence_number=seq, event_name=name, keys={"id": {"S": seq}})
    t.emit("filtered", mapping="m", sequence_number="300")
    t.emit("invoke", mapping="m", function="on_order", request_id="r1", attempt=1, sequence_numbers=["100"])
    t.emit("result", mapping="m", function="on_order", request_id="r1")
    for attempt, rid in ((1, "r2"), (2, "r3")):
        t.emit("invoke", mapping="m", function="on_order", request_id=rid, attempt=attempt, sequence_numbers=["200"])
        t.emit("log", function="on_order", request_id=rid, stream="stdout", message=f"charging 200, try {attempt}")
        t.emit("error", mapping="m", function="on_order", request_id=rid, error_type="ValueError",
               error_message="card declined", traceback=TRACEBACK)
    t.emit("give_up", mapping="m", condition="RetryAttemptsExhausted", sequence_numbers=["200"])
    return t


def test_summary_counts_per_mapping_and_shows_each_distinct_error_once() -> None:
    lines = summarize(_failing_run().events).splitlines()
    assert lines[0] == ("mapping m -> on_order: 3 records read, 1 filtered, 1 handled, 1 given up; "
                        "3 invocations, 2 failed")
    assert lines[1] == "handler errors: 2 (1 distinct)"
    assert lines[2] == "-- on_order: ValueError: card declined (request r2, and once more)"
    assert lines[3:9] == ["   " + line for line in handler_traceback(TRACEBACK).splitlines()]
    assert lines[9:] == ["   output of that invocation (1 line):", "     stdout: charging 200, try 1"]
    assert "inprocess.py" not in "\n".join(lines)


def test_summary_of_a_quiet_run_and_of_bus_traffic() -> None:
    t = SketchTrace()
    t.emit("bus_event", source="shop", matched_rules=["r"])
    t.emit("invoke", function="target", source="eventbridge", request_id="e1")
    t.emit("error", function="target", request_id="e1", error_type="KeyError", error_message="'x'", traceback=None)
    t.emit("delivery", rule="r", target="t", ok=False)
    assert summarize(t.events).splitlines() == [
        "other invocations (event bus targets): 1, 1 failed",
        "event buses: 1 events, 1 deliveries, 0 dead-lettered",
        "handler errors: 1 (1 distinct)",
        "-- target: KeyError: 'x' (request e1)",
        "   KeyError: 'x' (no traceback)",
    ]
    assert summarize([]) == "no stream records were read\nno handler errors"


def test_summary_caps_distinct_errors_and_log_lines() -> None:
    t = SketchTrace()
    for i in range(4):
        t.emit("error", function="f", request_id=f"r{i}", error_type="E", error_message=str(i), traceback=None)
    for i in range(30):
        t.emit("log", function="f", request_id="r0", stream="stderr", message=f"line {i}")
    lines = summarize(t.events, max_errors=2, max_log_lines=3).splitlines()
    assert "   output of that invocation (30 lines, the last 3):" in lines
    assert [line for line in lines if line.startswith("     ")] == [f"     stderr: line {i}" for i in (27, 28, 29)]
    assert lines[-1] == "-- and 2 more distinct errors (see the trace)"
