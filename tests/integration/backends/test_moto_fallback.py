"""Without Java, DynamoDB comes from moto, with a one-line warning naming the semantics lost."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from harness import Harness, Topology, Table, Function, EventSourceMapping
    topo = Topology(name="fallback", tables=[Table("items", "k")], functions=[Function("fn", "esm_handlers:record")],
                    event_source_mappings=[EventSourceMapping("fn", "items", name="m")])
    with Harness(topo) as h:
        ddb, t = h.client("dynamodb"), h.table_name("items")
        ddb.put_item(TableName=t, Item={"k": {"S": "a"}})
        ddb.put_item(TableName=t, Item={"k": {"S": "a"}})  # changes nothing
        h.drain(20)
        print(json.dumps({"names": [e["event_name"] for e in h.trace.of("record")], "warnings": h.backend.warnings}))
""")


def test_without_java_moto_serves_dynamodb_and_the_loss_is_named() -> None:
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(Path(sys.executable).parent)  # python, no java
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(Path(__file__).resolve().parents[1])], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    warning_lines = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warning_lines) == 1 and "MODIFY records" in warning_lines[0] and "no 'java'" in warning_lines[0]
    assert out["names"] == ["INSERT", "MODIFY"]  # moto records the write that changed nothing; AWS would not
