"""Intrinsic functions, conditions, the short YAML tags, and the errors a broken template raises."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.topology import StreamViewType, ValidationException
from harness.topology.template import load_template
from harness.topology.template.yaml_tags import parse_yaml

TEMPLATES = Path(__file__).parent / "templates"


def test_short_tags_read_as_long_forms() -> None:
    data = parse_yaml(textwrap.dedent("""
        a: !Ref Table
        b: !GetAtt Table.StreamArn
        c: !Sub ["${X}-1", {X: !Ref Y}]
        d: !If [Cond, !Join ["", [a, b]], !Select [0, !Split [",", "p,q"]]]
        e: !Equals [!Ref P, x]
        f: !Condition Other
        """))
    assert data == {
        "a": {"Ref": "Table"}, "b": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "c": {"Fn::Sub": ["${X}-1", {"X": {"Ref": "Y"}}]},
        "d": {"Fn::If": ["Cond", {"Fn::Join": ["", ["a", "b"]]},
                         {"Fn::Select": [0, {"Fn::Split": [",", "p,q"]}]}]},
        "e": {"Fn::Equals": [{"Ref": "P"}, "x"]}, "f": {"Condition": "Other"}}


@pytest.mark.parametrize(("parameters", "view", "queues", "timeout", "batch"), [
    ({}, StreamViewType.NEW_IMAGE, [], 5, 10),
    ({"Stage": "prod"}, StreamViewType.NEW_AND_OLD_IMAGES, ["AuditQueue"], 60, 500),
    ({"EnableAudit": "true"}, StreamViewType.NEW_IMAGE, ["AuditQueue"], 5, 10),
])
def test_conditions_choose_values_and_resources(parameters: dict[str, str], view: StreamViewType,
                                                queues: list[str], timeout: int, batch: int) -> None:
    t, lines = load_template(TEMPLATES / "conditions.yaml", parameters)
    assert lines == []
    assert t.tables[0].name == "Events"  # TableName is a !Sub, not a literal: the logical id
    assert t.tables[0].stream_view_type == view
    assert [q.name for q in t.queues] == queues  # AuditQueue has Condition: ProdOrAudit
    fn = t.function("Handler")
    assert fn.timeout == timeout
    assert fn.handler == "handlers.events:handle"  # a handler in a subdirectory
    assert t.mapping("HandlerChanges").batch_size == batch  # Fn::FindInMap
    stage = parameters.get("Stage", "dev")
    expected = {"TABLE": "${table:Events}", "ZONE": "b", "FIRST_PART": stage,
                "DEV_ONLY": "yes" if not queues else "no",
                "LABEL": f"events/us-east-1:{stage}:${{Literal}}"}  # ${!Literal} is a literal ${Literal}
    if queues:
        expected["AUDIT_QUEUE"] = "${queue:AuditQueue}"  # else AWS::NoValue: the variable is absent
    assert dict(fn.env) == expected


def _write(tmp_path: Path, resources: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text("Resources:\n" + textwrap.indent(textwrap.dedent(resources), "  "))
    return path


_QUEUE = "Q:\n  Type: AWS::SQS::Queue\n"


@pytest.mark.parametrize(("resources", "message"), [
    (_QUEUE + "R:\n  Type: AWS::SNS::Topic\n  Properties:\n    TopicName: !Ref Missing\n",
     r"broken.yaml: Resources.R.Properties.TopicName: Ref refers to 'Missing', which is not a resource, "
     r"parameter or pseudo parameter of the template"),
    (_QUEUE + "R:\n  Type: AWS::SNS::Topic\n  Properties:\n    TopicName: !GetAtt Q.StreamArn\n",
     r"broken.yaml: Resources.R.Properties.TopicName: Fn::GetAtt Q.StreamArn: AWS::SQS::Queue has no attribute "
     r"'StreamArn' \(known: Arn, QueueName, QueueUrl\)"),
    (_QUEUE + "R:\n  Type: AWS::SNS::Topic\n  Properties:\n    TopicName: !GetAtt Nothing.Arn\n",
     r"broken.yaml: Resources.R.Properties.TopicName: Fn::GetAtt Nothing.Arn refers to 'Nothing', which is not a "
     r"resource of the template"),
    (_QUEUE + "R:\n  Type: AWS::SNS::Topic\n  Properties:\n    TopicName: !Sub '${Q.Arn}-${Gone}'\n",
     r"broken.yaml: Resources.R.Properties.TopicName: Ref refers to 'Gone'"),
    ("T:\n  Type: AWS::DynamoDB::Table\n  Properties:\n    KeySchema: [{AttributeName: id, KeyType: HASH}]\n",
     r"broken.yaml: Resources.T.Properties.KeySchema: key attribute 'id' is not in AttributeDefinitions"),
    ("F:\n  Type: AWS::Lambda::Function\n  Properties:\n    Runtime: python3.12\n    Handler: nodots\n",
     r"broken.yaml: Resources.F.Properties.Handler: handler 'nodots' must be 'module.function'"),
    ("F:\n  Type: AWS::Lambda::Function\n  Properties:\n    Runtime: python3.12\n    Handler: a.b\n"
     "    Timeout: 901\n",
     r"broken.yaml: Resources.F \(AWS::Lambda::Function\): 1 validation error detected: Value '901' at 'timeout'"),
])
def test_errors_name_the_file_and_the_path(tmp_path: Path, resources: str, message: str) -> None:
    with pytest.raises(ValidationException, match=message):
        load_template(_write(tmp_path, resources))


def test_a_reference_to_a_resource_whose_condition_is_false(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent("""
        Conditions:
          Never: !Equals [a, b]
        Resources:
          Q:
            Type: AWS::SQS::Queue
            Condition: Never
          F:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: a.b
              Environment: {Variables: {URL: !Ref Q}}
        """))
    with pytest.raises(ValidationException, match=r"t.yaml: Resources.F.Properties.Environment.Variables.URL: refers "
                                                  r"to 'Q', which is not created: its Condition 'Never' is false"):
        load_template(path)


def test_a_parameter_without_default_must_be_given(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Parameters:\n  Env: {Type: String}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n")
    with pytest.raises(ValidationException, match=r"Parameters.Env has no Default"):
        load_template(path)
    assert load_template(path, {"Env": "x"})[0].queues[0].name == "Q"


def test_not_a_template(tmp_path: Path) -> None:
    path = tmp_path / "topology.yaml"
    path.write_text("name: x\ntables: []\n")
    with pytest.raises(ValidationException, match=r"topology.yaml: not a CloudFormation template"):
        load_template(path)


def test_no_value_removes_a_whole_property_and_a_bus_may_be_named_by_its_arn(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent("""
        Parameters:
          Streams: {Type: String, Default: "no"}
        Conditions:
          WithStream: !Equals [!Ref Streams, "yes"]
        Resources:
          Items:
            Type: AWS::DynamoDB::Table
            Properties:
              AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
              KeySchema: [{AttributeName: id, KeyType: HASH}]
              StreamSpecification: !If [WithStream, {StreamViewType: KEYS_ONLY}, !Ref AWS::NoValue]
          Bus: {Type: AWS::Events::EventBus, Properties: {Name: orders}}
          Copy:
            Type: AWS::Events::Rule
            Properties:
              EventBusName: !Sub "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
              EventPattern: {source: [app]}
        """))
    t, lines = load_template(path)
    assert lines == []
    assert t.table("Items").stream_view_type is None
    assert t.rule("Copy").bus == "default"
    assert load_template(path, {"Streams": "yes"})[0].table("Items").stream_view_type == StreamViewType.KEYS_ONLY


def test_a_missing_required_property_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, """
        T:
          Type: AWS::DynamoDB::Table
          Properties:
            AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
            KeySchema: [{AttributeName: id, KeyType: HASH}]
            GlobalSecondaryIndexes: [{KeySchema: [{AttributeName: id, KeyType: HASH}]}]
        """)
    with pytest.raises(ValidationException, match=r"broken.yaml: Resources.T \(AWS::DynamoDB::Table\): required "
                                                  r"property 'IndexName' is missing"):
        load_template(path)
