"""InputPath, Input and InputTransformer: what a target receives, as AWS's documentation shows it."""
from __future__ import annotations

import json
from typing import Any

import pytest

from harness.patterns.transform import (
    InvalidPathError,
    TargetInput,
    parse_path,
    render_template,
    select,
    transform_input,
    validate_input_transformer,
)

# The EC2 event of AWS's "Input transform examples" (eb-transform-target-input).
EC2 = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "cpu": 42, "tags": ["a", "b"],
               "items": [{"sku": "x", "qty": 1}, {"sku": "y", "qty": 2}], "owner": None},
}
PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state",
         "resource": "$.resources[0]"}
RULE_ARN = "arn:aws:events:us-east-2:123456789012:rule/example"


def transformed(template: str, paths: dict[str, str] | None = None) -> str:
    return transform_input(EC2, input_paths_map=PATHS if paths is None else paths, input_template=template,
                           rule_arn=RULE_ARN, rule_name="example", ingestion_time=1_447_277_394.5).text


# -- paths ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "expected"), [
    ("$", EC2),
    ("$.detail", EC2["detail"]),
    ("$.detail.instance-id", "i-0123456789"),
    ("$.detail-type", "EC2 Instance State-change Notification"),
    ("$.resources[0]", EC2["resources"][0]),
    ("$.detail.items[1].sku", "y"),
    ("$.detail.items[*].sku", ["x", "y"]),
    ("$.detail.items.*.qty", [1, 2]),
    ("$.detail.owner", None),
])
def test_select_follows_dot_notation_indices_and_wildcards(path: str, expected: Any) -> None:
    assert select(EC2, path) == (True, expected)


@pytest.mark.parametrize("path", ["$.detail.missing", "$.resources[5]", "$.detail.state.deeper", "$.source[0]"])
def test_select_reports_a_path_that_matches_nothing(path: str) -> None:
    assert select(EC2, path) == (False, None)


@pytest.mark.parametrize("path", ["detail.state", "$['detail']", "$.detail..state", "$.detail[x]", "", "$.a b"])
def test_invalid_paths_are_refused(path: str) -> None:
    with pytest.raises(InvalidPathError):
        parse_path(path)


# -- InputTemplate: AWS's table of examples ----------------------------------------------------
def test_simple_string_template_keeps_its_quotes_and_inserts_bare_values() -> None:
    assert transformed('"instance <instance> is in <state>"') == '"instance i-0123456789 is in RUNNING"'


def test_string_with_escaped_quotes() -> None:
    assert transformed('"instance \\"<instance>\\" is in <state>"') == '"instance \\"i-0123456789\\" is in RUNNING"'


def test_simple_json_quotes_unquoted_string_values() -> None:
    out = transformed('{\n  "instance" : <instance>,\n  "state": <state>\n}')
    assert out == '{"instance":"i-0123456789","state":"RUNNING"}'  # minified, as AWS passes JSON on


def test_json_with_strings_and_variables() -> None:
    out = transformed('{"instance" : <instance>, "state": "<state>", '
                      '"instanceStatus": "instance \\"<instance>\\" is in <state>"}')
    assert json.loads(out) == {"instance": "i-0123456789", "state": "RUNNING",
                               "instanceStatus": 'instance "i-0123456789" is in RUNNING'}


def test_json_with_a_mix_of_variables_and_static_information() -> None:
    out = transformed('{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}')
    assert json.loads(out) == {"instance": "i-0123456789", "state": [9, "RUNNING", True], "Transformed": "Yes"}


def test_reserved_variables_in_json() -> None:
    out = json.loads(transformed('{"instance": <instance>, "ruleArn": <aws.events.rule-arn>, '
                                 '"ruleName": <aws.events.rule-name>, "originalEvent": <aws.events.event>, '
                                 '"full": <aws.events.event.json>, "at": <aws.events.event.ingestion-time>}'))
    assert out["ruleArn"] == RULE_ARN and out["ruleName"] == "example"
    assert out["originalEvent"] == {k: v for k, v in EC2.items() if k != "detail"}  # without detail (current docs)
    assert out["full"] == EC2
    assert out["at"] == "2015-11-11T21:29:54.500Z"


def test_reserved_variables_in_a_string() -> None:
    assert transformed('"<aws.events.rule-name> triggered"') == '"example triggered"'


def test_unquoted_non_string_values_keep_their_json_type() -> None:
    paths = {"cpu": "$.detail.cpu", "tags": "$.detail.tags", "owner": "$.detail.owner", "d": "$.detail.items[0]"}
    out = json.loads(transformed('{"cpu": <cpu>, "tags": <tags>, "owner": <owner>, "first": <d>}', paths))
    assert out == {"cpu": 42, "tags": ["a", "b"], "owner": None, "first": {"sku": "x", "qty": 1}}


def test_quoted_values_are_not_escaped() -> None:
    event = {"detail": {"msg": 'say "hi"'}}
    text = transform_input(event, input_paths_map={"m": "$.detail.msg"}, input_template='{"m": "<m>"}').text
    assert text == '{"m": "say "hi""}'  # AWS: values extracted by InputPath are not escaped -> not valid JSON
    assert TargetInput(text).as_lambda_payload() == text  # handed on as text


def test_a_variable_whose_path_matches_nothing_is_empty_in_a_string_and_null_unquoted() -> None:
    paths = {"gone": "$.detail.nope", "state": "$.detail.state"}
    assert json.loads(transformed('{"a": <gone>, "b": "x<gone>y", "s": <state>}', paths)) == \
        {"a": None, "b": "xy", "s": "RUNNING"}
    assert transformed('"[<gone>] <state>"', paths) == '"[] RUNNING"'


def test_a_placeholder_naming_no_variable_is_left_as_text() -> None:
    assert transformed('"<b>bold</b> <state>"') == '"<b>bold</b> RUNNING"'


def test_plain_text_template_inserts_bare_values() -> None:
    assert transformed("<instance> is in state <state>") == "i-0123456789 is in state RUNNING"
    assert TargetInput("i-0123456789 is in state RUNNING").as_lambda_payload() == "i-0123456789 is in state RUNNING"


def test_render_template_without_declared_names_uses_the_variables() -> None:
    assert render_template('{"a": <x>}', {"x": "y"}) == '{"a": "y"}'


# -- Input, InputPath, default -----------------------------------------------------------------
def test_without_settings_the_target_gets_the_whole_event_compact() -> None:
    out = transform_input(EC2)
    assert json.loads(out.text) == EC2 and ", " not in out.text
    assert transform_input(EC2, event_text="{}").text == "{}"  # the already-serialised event is reused


def test_input_is_passed_verbatim() -> None:
    assert transform_input(EC2, input='{"fixed": true}').text == '{"fixed": true}'


def test_input_path_selects_part_of_the_event() -> None:
    assert json.loads(transform_input(EC2, input_path="$.detail").text) == EC2["detail"]
    assert transform_input(EC2, input_path="$.detail.state").text == '"RUNNING"'
    assert transform_input(EC2, input_path="$.detail.nothing").text == "null"


def test_lambda_payload_is_the_parsed_text() -> None:
    assert TargetInput('{"a": 1}').as_lambda_payload() == {"a": 1}
    assert TargetInput('"s"').as_lambda_payload() == "s"


# -- validation (PutTargets) -------------------------------------------------------------------
@pytest.mark.parametrize(("paths", "template", "problem"), [
    ({}, "", "length greater than or equal to 1"),
    ({}, "x" * 8193, "less than or equal to 8192"),
    ({"aws.events.rule-arn": "$.x"}, "<x>", "regular expression pattern"),
    ({"bad key": "$.x"}, "<x>", "regular expression pattern"),
    ({"x": "detail.x"}, "<x>", "starts with '$'"),
    ({"x": "$['x']"}, "<x>", "dot notation"),
    ({f"v{i}": "$.x" for i in range(101)}, "<v1>", "less than or equal to 100"),
    ({"k": "$.detail.state"}, '{<k>: 1}', "object key"),
    ({"k": "$.detail.state"}, '{"<k>": 1}', "object key"),
    ({"k": "$.detail.state"}, '{"a": <k> <k>}', "not valid JSON"),
])
def test_invalid_input_transformers_are_refused(paths: dict[str, str], template: str, problem: str) -> None:
    message = validate_input_transformer(paths, template)
    assert message is not None and problem in message


@pytest.mark.parametrize("template", ['{"a": <k>, "b": "x <k> y", "c": [<k>]}', '"text <k>"', "<k> plain",
                                      '{"e": <aws.events.event>, "r": "<aws.events.rule-name>"}', "[<k>, 1]"])
def test_valid_input_transformers_pass(template: str) -> None:
    assert validate_input_transformer({"k": "$.detail.k"}, template) is None
