"""SAM templates -> topology: a DynamoDB stream processor, the article's stream-to-bus pipeline, Globals."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.topology import FilterCriteria, StartingPosition, StreamViewType, Topology, ValidationException
from harness.topology.template import load_template

TEMPLATES = Path(__file__).parent / "templates"


def _load(name: str, **parameters: object) -> Topology:
    topology, lines = load_template(TEMPLATES / name, parameters)
    assert lines == []
    return topology


def test_sam_dynamodb_stream_processor() -> None:
    t = _load("sam_dynamodb_stream.yaml")
    assert t.name == "sam_dynamodb_stream"
    assert t.description.startswith("Orders are written to a DynamoDB table")
    table = t.table("orders")  # TableName given as a literal names the table
    assert (table.hash_key.name, table.range_key.name) == ("pk", "sk")  # type: ignore[union-attr]
    assert table.stream_view_type == StreamViewType.NEW_AND_OLD_IMAGES
    assert table.ttl_attribute == "expires_at"
    fn = t.function("ProcessOrderFunction")  # no FunctionName: the logical id
    assert fn.handler == "app:lambda_handler"
    assert (fn.timeout, fn.memory_size) == (30, 256)  # from Globals.Function
    assert dict(fn.env) == {"STAGE": "dev", "LOG_LEVEL": "INFO", "TABLE_NAME": "${table:orders}",
                            "STREAM_ARN": "${stream-arn:orders}", "FAILURES_URL": "${queue:OrderFailures}"}
    m = t.mapping("ProcessOrderFunctionOrderStream")
    assert (m.function, m.source) == ("ProcessOrderFunction", "orders")
    assert m.starting_position == StartingPosition.TRIM_HORIZON
    assert (m.batch_size, m.maximum_batching_window_in_seconds, m.maximum_retry_attempts) == (25, 1, 2)
    assert m.bisect_batch_on_function_error and m.report_batch_item_failures
    assert m.filter_criteria == FilterCriteria(
        ('{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["NEW"]}}}}',))
    assert m.on_failure == "queue:OrderFailures"
    assert t.queue("OrderFailures").message_retention_period == 1_209_600
    assert t.handlers_path == (str(TEMPLATES / "src"),)  # CodeUri, relative to the template


def test_parameters_override_defaults_and_are_checked() -> None:
    t = _load("sam_dynamodb_stream.yaml", Stage="prod", BatchSize=7)
    assert t.function("ProcessOrderFunction").env["STAGE"] == "prod"
    assert t.mapping("ProcessOrderFunctionOrderStream").batch_size == 7
    with pytest.raises(ValidationException, match=r"sam_dynamodb_stream.yaml: Parameters.Stage: 'qa' is not one of"):
        load_template(TEMPLATES / "sam_dynamodb_stream.yaml", {"Stage": "qa"})
    with pytest.raises(ValidationException, match=r"parameters \['Nope'\] are not declared"):
        load_template(TEMPLATES / "sam_dynamodb_stream.yaml", {"Nope": 1})


def test_article_template_loads() -> None:
    t = _load("article_dynamodb_eventbridge.yaml")
    table = t.table("MyTable")
    assert [g.name for g in table.global_secondary_indexes] == ["GSI1"]
    assert t.function("StreamProcessorFunction").env["EVENT_BUS"] == "${bus:my-service}"
    mapping = t.mapping("StreamProcessorFunctionTableStream")
    assert (mapping.batch_size, mapping.bisect_batch_on_function_error) == (10, True)
    rule = t.rule("MyFunctionTableChanges")  # SAM's name for an event's rule: function id + event id
    assert rule.bus == "my-service"
    # !GetAtt MyTable.Arn inside the pattern: the deployed table's ARN is put there at deploy time
    assert '"resources": ["${table-arn:MyTable}"]' in rule.event_pattern
    (target,) = rule.targets
    assert (target.id, target.arn, target.input_path) == ("MyFunctionTableChangesLambdaTarget", "function:MyFunction",
                                                          "$.detail")
    assert t.function("MyFunction").handler == "index:lambda_handler"
    assert t.handlers_path == (str(TEMPLATES / "src" / "stream_processor"), str(TEMPLATES / "src" / "my_function"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_eventbridge_event_with_a_sam_created_dead_letter_queue(tmp_path: Path) -> None:
    path = _write(tmp_path, """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Invoice:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              CodeUri: fn
              Handler: invoice.handle
              Events:
                Paid:
                  Type: EventBridgeRule
                  Properties:
                    RuleName: invoice-paid
                    Pattern: {detail-type: [OrderPaid]}
                    RetryPolicy: {MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120}
                    DeadLetterConfig: {Type: SQS}
                    Target: {Id: invoice}
                    InputTransformer:
                      InputPathsMap: {order: $.detail.id}
                      InputTemplate: '{"order": <order>}'
        """)
    t, lines = load_template(path)
    assert lines == []
    rule = t.rule("invoice-paid")
    assert rule.bus == "default"
    (target,) = rule.targets
    assert (target.id, target.arn) == ("invoice", "function:Invoice")
    assert target.dead_letter_queue == "queue:InvoicePaidQueue"
    assert target.retry_policy.maximum_retry_attempts == 2
    assert dict(target.input_transformer.input_paths_map) == {"order": "$.detail.id"}  # type: ignore[union-attr]
    assert [q.name for q in t.queues] == ["InvoicePaidQueue"]  # the queue SAM would create
    assert t.handlers_path == (str(tmp_path / "fn"),)


def test_globals_merge_maps_and_the_resource_wins(tmp_path: Path) -> None:
    path = _write(tmp_path, """
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Runtime: python3.12
            Timeout: 10
            Environment: {Variables: {A: global, B: global}}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: pkg.mod.handle
              Timeout: 20
              Environment: {Variables: {B: own}}
        """)
    t, _ = load_template(path)
    fn = t.function("Fn")
    assert (fn.handler, fn.timeout, dict(fn.env)) == ("pkg.mod:handle", 20, {"A": "global", "B": "own"})
    assert t.handlers_path == (str(tmp_path),)  # no CodeUri: the template's directory
