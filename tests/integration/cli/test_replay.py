"""Replay of recorded invocations: the same error, the same response, a whole batch, and pdb at the
handler's first line."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from harness import Topology
from harness.scenario.replay import replay
from harness.trace import Trace

HANDLERS = Path(__file__).parents[1] / "runtime"  # fault_handlers.py
sys.path.insert(0, str(HANDLERS))
TOPOLOGY = """
name: replay
tables: [{name: items, hash_key: k}]
queues: [{name: dlq}]
functions:
  - {name: fn, handler: "fault_handlers:check", env: {TABLE: "${table:items}"}, timeout: 5}
event_source_mappings:
  - {name: m, FunctionName: fn, EventSource: items, BatchSize: 1, MaximumRetryAttempts: 1,
     DestinationConfig: {OnFailure: {Destination: "queue:dlq"}}}
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> tuple[Path, Path, Trace]:
    """A run where item r (red in the table) fails twice and is given up, and item a passes."""
    from conftest import harness_factory

    tmp = tmp_path_factory.mktemp("replay")
    (tmp / "topology.yaml").write_text(TOPOLOGY)
    factory = harness_factory(backend)
    try:
        h = next(factory)(Topology.from_file(tmp / "topology.yaml"))
        ddb, table = h.client("dynamodb"), h.table_name("items")
        for k, colour in (("a", "blue"), ("r", "red")):
            ddb.put_item(TableName=table, Item={"k": {"S": k}, "colour": {"S": colour}})
        h.drain(20)
        # the table changes after the run: a replay must use what the invocation read, not today's table
        ddb.put_item(TableName=table, Item={"k": {"S": "r"}, "colour": {"S": "green"}})
        h.trace.write_jsonl(tmp / "trace.jsonl")
    finally:
        factory.close()
    return tmp / "trace.jsonl", tmp / "topology.yaml", Trace.read_jsonl(tmp / "trace.jsonl")


def replay_here(backend: Any, trace: Trace, topology: Path, **which: str) -> Any:
    return replay(trace, topology=topology, backend=backend, prefix=f"rp{uuid.uuid4().hex[:6]}-", **which)


def test_a_failing_invocation_fails_again_with_the_same_error(recorded: Any, backend: Any) -> None:
    _, topology, trace = recorded
    failed = trace.of("error", function="fn")[0]
    [outcome] = replay_here(backend, trace, topology, request_id=failed["request_id"])
    assert outcome.same, outcome
    assert outcome.replayed["error_type"] == "ValueError"
    assert outcome.replayed["error_message"] == f"item r is red (request {failed['request_id']})"


def test_a_passing_invocation_gives_the_same_response(recorded: Any, backend: Any) -> None:
    _, topology, trace = recorded
    passed = trace.of("result", function="fn")[0]
    [outcome] = replay_here(backend, trace, topology, request_id=passed["request_id"])
    assert outcome.same and outcome.replayed["response"] == {"checked": ["a:blue"]}


def test_a_batch_is_replayed_with_its_retry(recorded: Any, backend: Any) -> None:
    _, topology, trace = recorded
    batch = trace.of("error", function="fn")[0]["batch_id"]
    outcomes = replay_here(backend, trace, topology, batch_id=batch)
    assert [(o.attempt, o.replayed["outcome"], o.same) for o in outcomes] == [(1, "error", True), (2, "error", True)]


def test_pdb_stops_at_the_handlers_first_line(recorded: Any) -> None:
    path, topology, trace = recorded
    rid = trace.of("error", function="fn")[0]["request_id"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HANDLERS), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "replay", str(path), "--invocation", rid, "--pdb",
                           "--topology", str(topology)], input="where\np key\nc\n", capture_output=True, text=True,
                          env=env, timeout=300)
    out = proc.stdout
    assert "(Pdb)" in out, proc.stderr[-2000:]
    first_stop = out[:out.index("(Pdb)")]
    assert "fault_handlers.py(" in first_stop and "check()\n-> seen = []" in first_stop  # its first statement
    assert "NameError" in out  # `p key` before the first statement ran: nothing is bound yet
    assert proc.returncode == 0 and " same" in out
