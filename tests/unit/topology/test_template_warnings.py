"""What a template declares and the harness does not run is listed, once, resource by resource."""
from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from harness.topology import TemplateWarning, Topology
from harness.topology.template import load_template

TEMPLATES = Path(__file__).parent / "templates"

EXPECTED = [
    "Globals: Api: only Globals.Function is applied",
    "Api (AWS::Serverless::Api): resource type not supported",
    "Workflow (AWS::StepFunctions::StateMachine): resource type not supported",
    "Jobs (AWS::SQS::Queue): properties not supported: DelaySeconds",
    "Items (AWS::DynamoDB::Table): properties not supported: LocalSecondaryIndexes",
    "Worker (AWS::Serverless::Function): properties not supported: Layers, ReservedConcurrentExecutions, "
    "Events.ItemChanges.StartingPositionTimestamp; "
    "Environment.Variables.WORKFLOW_ARN: a reference to Workflow (AWS::StepFunctions::StateMachine) has no "
    "equivalent; variable left out; "
    "Events.FromJobs (SQS): the runtime has no SQS event source; event left out; "
    "Events.Nightly (Schedule): event type not supported; event left out; "
    "Events.Http (Api): event type not supported; event left out; "
    "Environment.Variables.SHARED_TABLE: intrinsic Fn::ImportValue is not supported; the property is left out",
    "NodeWorker (AWS::Serverless::Function): Runtime nodejs20.x: only Python functions are run; function left out",
    "Legacy (AWS::Lambda::Function): Code: no local directory (no "
    "aws:asset:path metadata); the handler is imported from --handlers or the current directory",
    "Nightly (AWS::Events::Rule): properties not supported: ScheduleExpression; no EventPattern (only "
    "event-pattern rules run): rule left out",
    "Route (AWS::Events::Rule): Targets[0].Arn: Workflow "
    "(AWS::StepFunctions::StateMachine) is not a function or queue or topic of this template; left out; "
    "Targets[1].Arn: function NodeWorker is left out (see above); Targets[2].SqsParameters: only a queue target "
    "takes it; left out",
    "Alerts (AWS::SNS::Topic): properties not supported: FifoTopic; Subscription[0] (protocol email): only sqs "
    "subscriptions are run",
    "JobsMapping (AWS::Lambda::EventSourceMapping): EventSource: an SQS queue; the runtime has no SQS event source; "
    "mapping left out",
]


def test_unsupported_resources_properties_and_events_are_listed() -> None:
    t, lines = load_template(TEMPLATES / "unsupported.yaml")
    assert lines == EXPECTED
    # what is supported still loads: the Python functions, the stream mapping, the pattern rule's one target
    assert [f.name for f in t.functions] == ["Worker", "Legacy"]
    assert dict(t.function("Worker").env) == {"ITEMS": "${table:Items}"}
    assert [m.name for m in t.event_source_mappings] == ["WorkerItemChanges"]
    assert [(r.name, [x.arn for x in r.targets]) for r in t.rules] == [("Route", ["function:Legacy"])]
    assert [q.name for q in t.queues] == ["Jobs.fifo", "FailedInvocations"]  # a FIFO queue's logical id gets .fifo


def test_from_template_emits_one_warning() -> None:
    with pytest.warns(TemplateWarning) as record:
        Topology.from_template(TEMPLATES / "unsupported.yaml")
    assert len(record) == 1
    text = str(record[0].message)
    assert text == (f"{TEMPLATES / 'unsupported.yaml'}: left out, the harness does not run it:\n"
                    + "\n".join(f"  - {line}" for line in EXPECTED))


def test_no_warning_when_everything_is_run() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = Topology.from_template(TEMPLATES / "eventbridge_to_sqs.yaml")
    assert t.rule("order-placed")


def test_two_functions_with_the_same_module_in_different_directories(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent("""
        Transform: AWS::Serverless-2016-10-31
        Globals: {Function: {Runtime: python3.12, Handler: app.handler}}
        Resources:
          First: {Type: AWS::Serverless::Function, Properties: {CodeUri: first/}}
          Second: {Type: AWS::Serverless::Function, Properties: {CodeUri: second/}}
          Third: {Type: AWS::Serverless::Function, Properties: {CodeUri: first/}}
        """))
    t, lines = load_template(path)
    assert t.handlers_path == (str(tmp_path / "first"), str(tmp_path / "second"))
    assert lines == ["Second (AWS::Serverless::Function): Handler: module 'app' is also the handler module of First "
                     "in another code directory; one module per name is imported, so both run First's"]
