"""A function's asynchronous invocation settings: EventInvokeConfig and DeadLetterConfig, validated with
AWS's ranges and texts, from our YAML (PascalCase or snake_case) and from SAM / CloudFormation templates."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from harness.topology import EventInvokeConfig, Function, Topology, ValidationException
from harness.topology.template import load_template


def test_defaults_are_lambdas() -> None:
    config = Function("fn", "m:h").async_config
    assert (config.maximum_retry_attempts, config.maximum_event_age_in_seconds) == (2, 21_600)
    assert (config.on_success, config.on_failure) == (None, None)


@pytest.mark.parametrize(("kwargs", "camel", "low", "high"), [
    ({"maximum_retry_attempts": 3}, "maximumRetryAttempts", 0, 2),
    ({"maximum_retry_attempts": -1}, "maximumRetryAttempts", 0, 2),
    ({"maximum_event_age_in_seconds": 59}, "maximumEventAgeInSeconds", 60, 21600),
    ({"maximum_event_age_in_seconds": 21_601}, "maximumEventAgeInSeconds", 60, 21600),
])
def test_ranges_with_awss_text(kwargs: dict[str, int], camel: str, low: int, high: int) -> None:
    with pytest.raises(ValidationException, match=f"at '{camel}' failed to satisfy constraint: Member must have value "
                                                  f"greater than or equal to {low} and less than or equal to {high}"):
        EventInvokeConfig(**kwargs)  # type: ignore[arg-type]


def test_bounds_accepted() -> None:
    EventInvokeConfig(maximum_retry_attempts=0, maximum_event_age_in_seconds=60)
    EventInvokeConfig(maximum_retry_attempts=2, maximum_event_age_in_seconds=21_600)


def test_destination_kinds() -> None:
    for ref in ("queue:q", "topic:t", "function:f", "bus:b"):
        EventInvokeConfig(on_success=ref, on_failure=ref)
    with pytest.raises(ValidationException, match="OnFailure 's3:bucket' must name .* queue:NAME, topic:NAME"):
        EventInvokeConfig(on_failure="s3:bucket")
    with pytest.raises(ValidationException, match="DeadLetterConfig.TargetArn 'function:f' must name"):
        Function("fn", "m:h", dead_letter_queue="function:f")


def _topology(**function: Any) -> Topology:
    return Topology.from_dict({"name": "t", "queues": [{"name": "q"}, {"name": "f.fifo", "fifo": True}],
                               "topics": [{"name": "alerts"}], "event_buses": ["audit"],
                               "functions": [{"name": "fn", "handler": "m:h", **function}]})


def test_yaml_in_awss_shape_and_in_snake_case() -> None:
    pascal = _topology(EventInvokeConfig={"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 600,
                                          "DestinationConfig": {"OnSuccess": {"Destination": "bus:audit"},
                                                                "OnFailure": {"Destination": "queue:q"}}},
                       DeadLetterConfig={"TargetArn": "topic:alerts"}).function("fn")
    snake = _topology(event_invoke_config={"maximum_retry_attempts": 1, "maximum_event_age_in_seconds": 600,
                                           "on_success": "bus:audit", "on_failure": "queue:q"},
                      dead_letter_queue="topic:alerts").function("fn")
    assert pascal == snake
    assert pascal.event_invoke_config == EventInvokeConfig(1, 600, on_success="bus:audit", on_failure="queue:q")
    assert pascal.dead_letter_queue == "topic:alerts"


@pytest.mark.parametrize(("function", "message"), [
    ({"EventInvokeConfig": {"MaximumRetryAttempts": 5}}, r"functions\[0\] \(fn\).*maximumRetryAttempts"),
    ({"EventInvokeConfig": {"MaxRetries": 1}}, "unknown key 'MaxRetries'"),
    ({"EventInvokeConfig": {"DestinationConfig": {"OnFailure": {"Destination": "queue:nope"}}}},
     "Function fn: DestinationConfig.OnFailure refers to queue 'nope', which is not in the topology"),
    ({"EventInvokeConfig": {"DestinationConfig": {"OnSuccess": {"Destination": "function:ghost"}}}},
     "refers to function 'ghost'"),
    ({"EventInvokeConfig": {"DestinationConfig": {"OnFailure": {"Destination": "queue:f.fifo"}}}},
     "FIFO queue 'f.fifo'; Lambda sends asynchronous invocation records only to standard queues"),
    ({"DeadLetterConfig": {"TargetArn": "queue:nope"}}, "DeadLetterConfig refers to queue 'nope'"),
])
def test_bad_settings_are_refused_naming_where(function: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationException, match=message):
        _topology(**function)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    (tmp_path / "fn").mkdir(exist_ok=True)
    return path


def _sam_worker(tmp_path: Path, worker: str, others: str = "") -> tuple[Topology, list[str]]:
    """A SAM template with a function Worker (more of its properties in ``worker``) and ``others``."""
    def block(text: str, indent: str) -> str:
        return textwrap.indent(textwrap.dedent(text).strip(), indent) + "\n" if text.strip() else ""

    text = ("Transform: AWS::Serverless-2016-10-31\nResources:\n" + block(others, "  ")
            + "  Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            + block("Runtime: python3.12\nCodeUri: fn\nHandler: worker.handle\n" + textwrap.dedent(worker), "      "))
    return load_template(_write(tmp_path, text))


def test_sam_event_invoke_config_and_dead_letter_queue(tmp_path: Path) -> None:
    t, lines = _sam_worker(tmp_path, """
        DeadLetterQueue: {Type: SNS, TargetArn: !Ref Alerts}
        EventInvokeConfig:
          MaximumRetryAttempts: 1
          MaximumEventAgeInSeconds: 120
          DestinationConfig:
            OnSuccess: {Type: Lambda, Destination: !GetAtt Audit.Arn}
            OnFailure: {Type: SQS, Destination: !GetAtt Failures.Arn}
        """, others="""
        Failures: {Type: AWS::SQS::Queue}
        Alerts: {Type: AWS::SNS::Topic}
        Audit: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.12, CodeUri: fn, Handler: a.h}}
        """)
    assert lines == []
    fn = t.function("Worker")
    assert fn.event_invoke_config == EventInvokeConfig(1, 120, on_success="function:Audit",
                                                       on_failure="queue:Failures")
    assert fn.dead_letter_queue == "topic:Alerts"


def test_cloudformation_event_invoke_config_resource_and_dead_letter_config(tmp_path: Path) -> None:
    t, lines = load_template(_write(tmp_path, """
        Resources:
          Config:
            Type: AWS::Lambda::EventInvokeConfig
            Properties:
              FunctionName: !Ref Worker
              Qualifier: $LATEST
              MaximumRetryAttempts: 0
              DestinationConfig: {OnFailure: {Destination: !GetAtt Bus.Arn}}
          Bus: {Type: AWS::Events::EventBus, Properties: {Name: audit}}
          Dlq: {Type: AWS::SQS::Queue}
          Worker:
            Type: AWS::Lambda::Function
            Metadata: {aws:asset:path: fn}
            Properties:
              Runtime: python3.12
              Handler: worker.handle
              Code: {S3Bucket: b, S3Key: k}
              DeadLetterConfig: {TargetArn: !GetAtt Dlq.Arn}
        """))
    assert lines == []  # neither property is reported as unsupported any more
    fn = t.function("Worker")
    assert fn.event_invoke_config == EventInvokeConfig(maximum_retry_attempts=0, on_failure="bus:audit")
    assert fn.dead_letter_queue == "queue:Dlq"


def test_sam_destination_without_an_arn_is_noted(tmp_path: Path) -> None:
    t, lines = _sam_worker(tmp_path, "EventInvokeConfig: {DestinationConfig: {OnFailure: {Type: SQS}}}")
    assert t.function("Worker").event_invoke_config == EventInvokeConfig()
    assert lines == ["Worker (AWS::Serverless::Function): EventInvokeConfig.DestinationConfig.OnFailure: no "
                     "Destination (a resource SAM would create); left out"]
