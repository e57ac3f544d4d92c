"""The pytest plugin as a user meets it: pytest runs a user's test files (in a subprocess, as a user
would) that use only the plugin's fixtures, alone and under pytest-xdist."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).parents[3] / "examples"
EXAMPLE_FILES = ("test_pipeline.py", "pipeline.yaml", "pipeline_handlers.py")
#: pytester points HOME at a temporary folder: keep finding the DynamoDB Local cached under the real one
CACHE_HOME = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")

FAILING = '''
import pytest
from harness import EventSourceMapping, Function, Table, Topology
from harness.testing import assert_delivered

TOPOLOGY = Topology(name="fails", tables=[Table("orders", hash_key="id")],
                    functions=[Function("charge", "charge_handlers:charge")],
                    event_source_mappings=[EventSourceMapping("charge", "orders", maximum_retry_attempts=1)])

@pytest.mark.harness_topology(TOPOLOGY)
def test_orders_are_charged(harness):
    h = harness()
    h.client("dynamodb").put_item(TableName=h.table_name("orders"), Item={"id": {"S": "o-1"}})
    h.drain(timeout=30)
    assert_delivered(h, ["o-1"])
'''
HANDLER = '''
def charge(event, context):
    for record in event["Records"]:
        print("charging", record["dynamodb"]["Keys"]["id"]["S"])
        decline(record)

def decline(record):
    raise ValueError("card declined")
'''


@pytest.fixture
def user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A folder outside this repository holding the example project (tests, topology, handlers)."""
    monkeypatch.setenv("XDG_CACHE_HOME", CACHE_HOME)
    for name in EXAMPLE_FILES:
        shutil.copy(EXAMPLES / name, pytester.path / name)
    return pytester


def test_the_example_passes_with_the_plugin_s_fixtures_alone(user_project: pytest.Pytester) -> None:
    result = user_project.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_example_passes_under_xdist_with_a_backend_per_worker(user_project: pytest.Pytester) -> None:
    result = user_project.runpytest_subprocess("-n", "2", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.re_match_lines_random([r"\[gw0\].* PASSED ", r"\[gw1\].* PASSED "])


def test_a_failed_test_reports_the_handler_s_traceback_and_its_trace_file(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(test_failing=FAILING, charge_handlers=HANDLER)
    result = user_project.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider", "test_failing.py",
                                               "--harness-trace-dir", "traces")
    result.assert_outcomes(failed=1)
    trace = user_project.path / "traces" / "test_failing.py_test_orders_are_charged.jsonl"
    result.stdout.fnmatch_lines([
        "*- streamharness trace summary -*",
        "harness: topology 'fails', prefix 'main-*-', backend 'embedded'",
        f"trace: {trace}",
        "mapping orders-to-charge -> charge: 1 records read, 0 filtered, 0 handled, 1 given up; 2 invocations, 2 failed",
        "handler errors: 2 (1 distinct)",
        "-- charge: ValueError: card declined (request *, and once more)",
        "   Traceback (most recent call last):",
        '     File "*charge_handlers.py", line 4, in charge',
        "       decline(record)",
        '     File "*charge_handlers.py", line 7, in decline',
        '       raise ValueError("card declined")',
        "   ValueError: card declined",
        "   output of that invocation (1 line):",
        "     stdout: charging o-1",
    ])
    assert "harness/runtime" not in result.stdout.str()
    assert trace.is_file() and '"kind":"error"' in trace.read_text()
