"""A SAM template run as the topology: the article's table -> stream -> processor -> bus -> rule -> function."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import module_state

from harness import Harness, Topology

HARNESS = [sys.executable, "-m", "harness.cli"]
ARTICLE = Path(__file__).parents[2] / "unit" / "topology" / "templates" / "article_dynamodb_eventbridge.yaml"


def test_article_pipeline_runs_from_its_template(harness_for: Callable[..., Harness]) -> None:
    h = harness_for(Topology.from_template(ARTICLE))  # handlers found through the template's CodeUri
    ddb = h.client("dynamodb")
    table = h.table_name("MyTable")
    for pk, sk in (("OID#1", "UID#7"), ("OID#2", "GROUP#1"), ("CUSTOMER#3", "UID#8")):
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}})
    h.drain(timeout=60)
    received = module_state(h, "MyFunction")["received"]
    # only OID#/UID# keys match, and only because the pattern's !GetAtt MyTable.Arn became the deployed ARN
    assert [r["dynamodb"]["Keys"] for r in received] == [{"pk": {"S": "OID#1"}, "sk": {"S": "UID#7"}}]
    assert received[0]["eventName"] == "INSERT"


def test_up_with_a_template_deploys_it_and_prints_what_is_left_out(tmp_path: Path) -> None:
    shutil.copytree(ARTICLE.parent / "src", tmp_path / "src")  # CodeUri is relative to the template
    template = tmp_path / "template.yaml"
    template.write_text(ARTICLE.read_text() + "\n  Api:\n    Type: AWS::Serverless::Api\n")
    proc = subprocess.Popen([*HARNESS, "up", "--template", str(template)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    text = ""
    for line in proc.stdout:  # the live console says "running" once everything is up
        text += line
        if "running; Ctrl-C to stop" in line:
            break
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "table MyTable -> sh-MyTable" in text
    assert "rule MyFunctionTableChanges on my-service -> function:MyFunction (ENABLED)" in text
    assert "mapping StreamProcessorFunctionTableStream: MyTable -> StreamProcessorFunction" in text
    assert (f"{template}: left out, the harness does not run it:\n"
            f"  - Api (AWS::Serverless::Api): resource type not supported\n") in err
