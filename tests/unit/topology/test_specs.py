"""Spec validation with AWS's ranges and texts: every boundary accepted, every just-outside value rejected."""
from __future__ import annotations

import dataclasses
import json

import pytest

from harness.topology import (
    EventSourceMapping,
    FilterCriteria,
    Function,
    GlobalSecondaryIndex,
    KeyAttribute,
    Queue,
    RedrivePolicy,
    StartingPosition,
    StreamViewType,
    Table,
    ValidationException,
)


def esm(**kwargs: object) -> EventSourceMapping:
    return EventSourceMapping("fn", "items", **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- EventSourceMapping ranges

# (attribute, the name AWS's error text uses, low, high)
RANGES = [
    ("batch_size", "batchSize", 1, 10_000),
    ("maximum_batching_window_in_seconds", "maximumBatchingWindowInSeconds", 0, 300),
    ("parallelization_factor", "parallelizationFactor", 1, 10),
    ("maximum_retry_attempts", "maximumRetryAttempts", -1, 10_000),
    ("tumbling_window_in_seconds", "tumblingWindowInSeconds", 0, 900),
]


@pytest.mark.parametrize(("attr", "camel", "low", "high"), RANGES, ids=[r[0] for r in RANGES])
def test_esm_range_boundaries_are_accepted(attr: str, camel: str, low: int, high: int) -> None:
    assert getattr(esm(**{attr: low}), attr) == low
    assert getattr(esm(**{attr: high}), attr) == high


@pytest.mark.parametrize(("attr", "camel", "low", "high"), RANGES, ids=[r[0] for r in RANGES])
@pytest.mark.parametrize("side", ["below", "above"])
def test_esm_range_just_outside_is_rejected_naming_parameter_and_range(
        attr: str, camel: str, low: int, high: int, side: str) -> None:
    value = low - 1 if side == "below" else high + 1
    with pytest.raises(ValidationException) as info:
        esm(**{attr: value})
    text = str(info.value)
    assert f"Value '{value}' at '{camel}'" in text
    assert f"greater than or equal to {low} and less than or equal to {high}" in text


@pytest.mark.parametrize("value", [-1, 60, 604_800])
def test_maximum_record_age_accepts_minus_one_and_60_to_604800(value: int) -> None:
    assert esm(maximum_record_age_in_seconds=value).maximum_record_age_in_seconds == value


@pytest.mark.parametrize("value", [-2, 0, 1, 59, 604_801])
def test_maximum_record_age_rejects_everything_else(value: int) -> None:
    with pytest.raises(ValidationException) as info:
        esm(maximum_record_age_in_seconds=value)
    text = str(info.value)
    assert "'maximumRecordAgeInSeconds'" in text
    assert "greater than or equal to 60 and less than or equal to 604800 or equal to -1" in text
    assert info.value.parameter == "MaximumRecordAgeInSeconds"


def test_esm_defaults_are_aws_defaults() -> None:
    m = esm()
    assert m.starting_position is StartingPosition.TRIM_HORIZON
    assert (m.batch_size, m.maximum_batching_window_in_seconds, m.parallelization_factor) == (100, 0, 1)
    assert (m.maximum_retry_attempts, m.maximum_record_age_in_seconds) == (-1, -1)
    assert m.tumbling_window_in_seconds is None and m.bisect_batch_on_function_error is False
    assert m.function_response_types == () and not m.report_batch_item_failures
    assert m.filter_criteria is None and m.on_failure is None and m.enabled is True
    assert m.name == "items-to-fn"  # derived from source and function


NUMERIC_ATTRS = [r[0] for r in RANGES] + ["maximum_record_age_in_seconds"]


@pytest.mark.parametrize("attr", NUMERIC_ATTRS)
@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_not_numbers(attr: str, value: bool) -> None:
    # bool is an int subclass in Python: True would silently be BatchSize 1 without an explicit check.
    with pytest.raises(ValidationException, match="Member must be an integer"):
        esm(**{attr: value})


@pytest.mark.parametrize("attr", NUMERIC_ATTRS)
def test_numeric_strings_are_not_numbers(attr: str) -> None:
    with pytest.raises(ValidationException, match="Member must be an integer"):
        esm(**{attr: "10"})


def test_fractional_batch_size_is_rejected() -> None:
    with pytest.raises(ValidationException):
        esm(batch_size=1.5)


@pytest.mark.parametrize("value", ["TRIM_HORIZON", "LATEST", StartingPosition.LATEST])
def test_starting_position_accepts_trim_horizon_and_latest(value: str) -> None:
    m = esm(starting_position=value)
    assert isinstance(m.starting_position, StartingPosition)
    assert m.starting_position == value


@pytest.mark.parametrize("value", ["AT_TIMESTAMP", "trim_horizon", "", None])
def test_starting_position_rejects_others_listing_allowed(value: object) -> None:
    with pytest.raises(ValidationException) as info:
        esm(starting_position=value)
    assert "Member must satisfy enum value set: [TRIM_HORIZON, LATEST]" in str(info.value)


def test_starting_position_error_names_parameter_in_lower_camel_case() -> None:
    with pytest.raises(ValidationException) as info:
        esm(starting_position="AT_TIMESTAMP")
    assert "at 'startingPosition'" in str(info.value)


def test_function_response_types_only_report_batch_item_failures() -> None:
    m = esm(function_response_types=["ReportBatchItemFailures"])
    assert m.function_response_types == ("ReportBatchItemFailures",)  # list normalised to tuple
    assert m.report_batch_item_failures
    with pytest.raises(ValidationException) as info:
        esm(function_response_types=["ReportBatchItemFailures", "ReportItemFailures"])
    assert "'functionResponseTypes'" in str(info.value)
    assert "[ReportBatchItemFailures]" in str(info.value)


@pytest.mark.parametrize("value", ["true", 1, None])
def test_bisect_batch_must_be_boolean(value: object) -> None:
    with pytest.raises(ValidationException, match="BisectBatchOnFunctionError"):
        esm(bisect_batch_on_function_error=value)


def test_esm_name_is_checked() -> None:
    with pytest.raises(ValidationException, match="EventSourceMapping name"):
        esm(name="has space")


# --------------------------------------------------------------------------- Function

@pytest.mark.parametrize("timeout", [1, 900])
def test_function_timeout_bounds_accepted(timeout: int) -> None:
    assert Function("f", "m:h", timeout=timeout).timeout == timeout


@pytest.mark.parametrize("timeout", [0, 901, -3])
def test_function_timeout_outside_rejected(timeout: int) -> None:
    with pytest.raises(ValidationException) as info:
        Function("f", "m:h", timeout=timeout)
    assert "'timeout'" in str(info.value)
    assert "greater than or equal to 1 and less than or equal to 900" in str(info.value)


@pytest.mark.parametrize("memory", [128, 10_240])
def test_function_memory_bounds_accepted(memory: int) -> None:
    assert Function("f", "m:h", memory_size=memory).memory_size == memory


@pytest.mark.parametrize("memory", [127, 10_241])
def test_function_memory_outside_rejected(memory: int) -> None:
    with pytest.raises(ValidationException) as info:
        Function("f", "m:h", memory_size=memory)
    assert "'memorySize'" in str(info.value)
    assert "greater than or equal to 128 and less than or equal to 10240" in str(info.value)


def test_function_timeout_rejects_boolean() -> None:
    with pytest.raises(ValidationException, match="Member must be an integer"):
        Function("f", "m:h", timeout=True)


@pytest.mark.parametrize("handler", ["mod:fn", "pkg.sub.mod:handler_2", "_m:_f"])
def test_handler_format_module_colon_function(handler: str) -> None:
    assert Function("f", handler).handler == handler


@pytest.mark.parametrize("handler", ["mod.fn", "mod:", ":fn", "mod:fn.attr", "mod:fn:x", "my mod:fn", "", None])
def test_bad_handler_rejected(handler: object) -> None:
    with pytest.raises(ValidationException) as info:
        Function("f", handler)  # type: ignore[arg-type]
    assert info.value.parameter == "handler"
    assert "'package.module:function'" in str(info.value)


def test_env_up_to_4kb_accepted_and_over_rejected() -> None:
    ok = {"K": "v" * 4095}  # 1 + 4095 = 4096
    assert Function("f", "m:h", env=ok).env["K"] == "v" * 4095
    with pytest.raises(ValidationException) as info:
        Function("f", "m:h", env={"K": "v" * 4096})
    assert "exceeded the 4KB limit" in str(info.value)
    assert info.value.parameter == "Environment"


def test_env_size_counts_keys_across_variables() -> None:
    env = {f"K{i}": "x" * 1022 for i in range(4)}  # 4 * (2 + 1022) = 4096
    Function("f", "m:h", env=env)
    env["K0"] += "x"
    with pytest.raises(ValidationException, match="4KB"):
        Function("f", "m:h", env=env)


def test_env_size_is_measured_in_bytes() -> None:
    with pytest.raises(ValidationException, match="4KB"):
        Function("f", "m:h", env={"K": "é" * 2048})  # 1 + 4096 bytes


def test_reserved_environment_keys_are_rejected() -> None:
    with pytest.raises(ValidationException):
        Function("f", "m:h", env={"AWS_REGION": "mars-1"})


def test_env_values_are_stringified_and_frozen_copy() -> None:
    source = {"N": 5, "S": "x"}
    f = Function("f", "m:h", env=source)  # type: ignore[arg-type]
    assert dict(f.env) == {"N": "5", "S": "x"}
    source["S"] = "changed"
    assert f.env["S"] == "x"  # a copy, not a view of the caller's dict
    with pytest.raises(TypeError):
        f.env["S"] = "y"  # type: ignore[index]


def test_only_in_process_invoker() -> None:
    with pytest.raises(ValidationException, match="invoker 'docker'"):
        Function("f", "m:h", invoker="docker")


@pytest.mark.parametrize("name", ["has space", "", "a/b", "x" * 256])
def test_function_name_rules(name: str) -> None:
    with pytest.raises(ValidationException, match="Function name"):
        Function(name, "m:h")


@pytest.mark.parametrize("name", ["f" * 65, "my.fn"])
def test_function_name_follows_lambda_rules(name: str) -> None:
    with pytest.raises(ValidationException):
        Function(name, "m:h")


# --------------------------------------------------------------------------- Table and keys

@pytest.mark.parametrize("name", ["abc", "a" * 255, "My_Table.v2-x"])
def test_table_name_accepted(name: str) -> None:
    assert Table(name, "k").name == name


@pytest.mark.parametrize("name", ["ab", "", "a" * 256, "bad name", "bad/name", "tbl:x"])
def test_table_name_rejected(name: str) -> None:
    with pytest.raises(ValidationException, match="Table name"):
        Table(name, "k")


@pytest.mark.parametrize(("raw", "name", "type_"), [
    ("ip", "ip", "S"), ("ip:N", "ip", "N"), ("blob:B", "blob", "B"),
    ({"name": "n", "type": "N"}, "n", "N"), ({"name": "n"}, "n", "S"),
    (KeyAttribute("k", "N"), "k", "N"),  # type: ignore[arg-type]
])
def test_key_attribute_forms(raw: object, name: str, type_: str) -> None:
    key = KeyAttribute.parse(raw)  # type: ignore[arg-type]
    assert (key.name, key.type) == (name, type_)


@pytest.mark.parametrize("raw", ["ip:BOOL", "ip:s", "ip:SS"])
def test_key_attribute_type_must_be_s_n_or_b(raw: str) -> None:
    with pytest.raises(ValidationException) as info:
        Table("items", raw)
    assert "Member must satisfy enum value set: [S, N, B]" in str(info.value)


def test_key_attribute_parse_rejects_other_shapes() -> None:
    with pytest.raises(ValidationException, match="key attribute"):
        KeyAttribute.parse(42)  # type: ignore[arg-type]


def test_empty_key_attribute_name_rejected() -> None:
    with pytest.raises(ValidationException):
        Table("items", ":S")


def test_table_defaults_and_stream() -> None:
    t = Table("items", "pk", range_key="sk:N")
    assert t.stream_view_type is StreamViewType.NEW_AND_OLD_IMAGES and t.has_stream
    assert t.range_key == KeyAttribute("sk", "N")  # type: ignore[arg-type]
    no_stream = Table("items", "pk", stream_view_type=None)
    assert not no_stream.has_stream
    assert Table("items", "pk", stream_view_type="KEYS_ONLY").stream_view_type is StreamViewType.KEYS_ONLY
    with pytest.raises(ValidationException, match="NEW_AND_OLD_IMAGES"):
        Table("items", "pk", stream_view_type="ALL")


def test_same_attribute_declared_with_two_types_rejected() -> None:
    with pytest.raises(ValidationException) as info:
        Table("items", "ip:S", global_secondary_indexes=[GlobalSecondaryIndex("by-ip", "ip:N")])
    assert "'ip' is declared with two types" in str(info.value)
    assert info.value.parameter == "AttributeDefinitions"
    # The same attribute with the same type in a GSI is fine, and listed once per use.
    t = Table("items", "ip:S", global_secondary_indexes=[{"name": "by-ip", "hash_key": "ip"}])
    assert [k.name for k in t.key_attributes()] == ["ip", "ip"]


def test_key_attributes_include_index_keys() -> None:
    t = Table("items", "pk", "sk", global_secondary_indexes=[
        GlobalSecondaryIndex("gsi1", "status", "created:N"), GlobalSecondaryIndex("gsi2", "owner")])
    assert [(k.name, k.type) for k in t.key_attributes()] == [
        ("pk", "S"), ("sk", "S"), ("status", "S"), ("created", "N"), ("owner", "S")]
    assert all(isinstance(g, GlobalSecondaryIndex) for g in t.global_secondary_indexes)


def test_at_most_20_gsis() -> None:
    gsis = [GlobalSecondaryIndex(f"gsi{i}", "h") for i in range(20)]
    assert len(Table("items", "pk", global_secondary_indexes=gsis).global_secondary_indexes) == 20
    with pytest.raises(ValidationException, match="at most 20 global secondary indexes"):
        Table("items", "pk", global_secondary_indexes=gsis + [GlobalSecondaryIndex("gsi20", "h")])


def test_gsi_projection_and_name() -> None:
    g = GlobalSecondaryIndex("by-x", "x", projection="INCLUDE", non_key_attributes=["a", "b"])  # type: ignore[arg-type]
    assert g.non_key_attributes == ("a", "b")
    with pytest.raises(ValidationException, match="ProjectionType"):
        GlobalSecondaryIndex("by-x", "x", projection="SOME")
    with pytest.raises(ValidationException, match="Index name"):
        GlobalSecondaryIndex("bad name", "x")


def test_gsi_name_needs_three_characters() -> None:
    with pytest.raises(ValidationException):
        GlobalSecondaryIndex("ab", "x")


# --------------------------------------------------------------------------- Queue

@pytest.mark.parametrize(("name", "fifo"), [
    ("q", False), ("my-queue_1", False), ("a" * 75, False), ("orders.fifo", True), ("a" * 75 + ".fifo", True)])
def test_queue_names_accepted(name: str, fifo: bool) -> None:
    assert Queue(name, fifo=fifo).name == name


@pytest.mark.parametrize("name", ["", "has space", "dot.in.name", "a" * 81, "a" * 76 + ".fifo", "q.FIFO"])
def test_queue_names_rejected(name: str) -> None:
    with pytest.raises(ValidationException) as info:
        Queue(name, fifo=name.endswith(".fifo"))
    assert info.value.parameter == "QueueName"


def test_standard_queue_name_of_80_characters_accepted() -> None:
    assert Queue("a" * 80).name == "a" * 80


def test_fifo_flag_and_suffix_must_agree() -> None:
    with pytest.raises(ValidationException, match="must end in '.fifo'"):
        Queue("orders.fifo")  # suffix without fifo=True
    with pytest.raises(ValidationException, match="must end in '.fifo'"):
        Queue("orders", fifo=True)


@pytest.mark.parametrize(("kwargs", "camel"), [
    ({"visibility_timeout": -1}, "visibilityTimeout"), ({"visibility_timeout": 43_201}, "visibilityTimeout"),
    ({"message_retention_period": 59}, "messageRetentionPeriod"),
    ({"message_retention_period": 1_209_601}, "messageRetentionPeriod")])
def test_queue_attribute_ranges(kwargs: dict[str, int], camel: str) -> None:
    with pytest.raises(ValidationException, match=f"at '{camel}'"):
        Queue("q", **kwargs)  # type: ignore[arg-type]


def test_queue_attribute_bounds_accepted() -> None:
    Queue("q", visibility_timeout=0, message_retention_period=60)
    Queue("q", visibility_timeout=43_200, message_retention_period=1_209_600)


def test_redrive_policy_from_mapping_and_range() -> None:
    q = Queue("q", redrive_policy={"dead_letter_queue": "dlq", "max_receive_count": 5})  # type: ignore[arg-type]
    assert q.redrive_policy == RedrivePolicy("dlq", 5)
    assert RedrivePolicy("dlq").max_receive_count == 3
    RedrivePolicy("dlq", 1)
    RedrivePolicy("dlq", 1000)
    for bad in (0, 1001):
        with pytest.raises(ValidationException, match="at 'maxReceiveCount'"):
            RedrivePolicy("dlq", bad)


# --------------------------------------------------------------------------- FilterCriteria

INSERT = {"eventName": ["INSERT"]}
OPEN = {"dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}


def test_filter_criteria_both_record_forms_accepted_and_stored_as_json() -> None:
    fc = FilterCriteria((INSERT, OPEN))  # type: ignore[arg-type]
    assert [json.loads(p) for p in fc.patterns] == [INSERT, OPEN]
    assert all(isinstance(p, str) for p in fc.patterns)


def test_filter_criteria_at_most_five() -> None:
    assert len(FilterCriteria((json.dumps(INSERT),) * 5).patterns) == 5
    with pytest.raises(ValidationException) as info:
        FilterCriteria((json.dumps(INSERT),) * 6)
    assert "filterCriteria.filters" in str(info.value)
    assert "less than or equal to 5" in str(info.value)


def test_filter_criteria_needs_at_least_one() -> None:
    with pytest.raises(ValidationException, match="at least one filter"):
        FilterCriteria(())


def _pattern_of_length(n: int) -> str:
    head, tail = '{"dynamodb":{"Keys":{"k":{"S":["', '"]}}}}'
    return head + "a" * (n - len(head) - len(tail)) + tail


def test_filter_pattern_length_4096_accepted_4097_rejected_with_index() -> None:
    ok = _pattern_of_length(4096)
    assert len(ok) == 4096
    FilterCriteria((ok,))
    with pytest.raises(ValidationException) as info:
        FilterCriteria((ok, _pattern_of_length(4097)))
    assert "Filters[1]" in str(info.value) and "4096" in str(info.value)


@pytest.mark.parametrize("bad", [
    "not json",
    '{"eventName": "INSERT"}',                      # leaf values must be arrays
    '{"dynamodb": {"Keys": {"k": {"S": [{"wildcard": "a*"}]}}}}',  # not a Lambda filter operator
    '{"x": [{"numeric": ["<", 1, ">", 0]}]}',       # upper bound first
])
def test_invalid_pattern_rejected_at_construction_naming_its_index(bad: str) -> None:
    with pytest.raises(ValidationException) as info:
        FilterCriteria((json.dumps(INSERT), json.dumps(INSERT), bad))
    assert "FilterCriteria.Filters[2]" in str(info.value)
    assert info.value.parameter == "FilterCriteria"


def test_filter_criteria_parse_aws_form_and_plain_list_agree() -> None:
    aws = FilterCriteria.parse({"Filters": [{"Pattern": json.dumps(INSERT)}, {"Pattern": json.dumps(OPEN)}]})
    plain = FilterCriteria.parse([json.dumps(INSERT), json.dumps(OPEN)])
    dicts = FilterCriteria.parse([INSERT, OPEN])
    assert aws == plain == dicts
    assert FilterCriteria.parse(aws) is aws
    assert aws.to_aws() == {"Filters": [{"Pattern": json.dumps(INSERT)}, {"Pattern": json.dumps(OPEN)}]}
    assert FilterCriteria.parse(aws.to_aws()) == aws


def test_filter_criteria_parse_mapping_without_filters_rejected() -> None:
    with pytest.raises(ValidationException, match="'Filters'"):
        FilterCriteria.parse({"Patterns": []})


def test_esm_parses_filter_criteria() -> None:
    m = esm(filter_criteria=[INSERT])
    assert isinstance(m.filter_criteria, FilterCriteria)
    assert json.loads(m.filter_criteria.patterns[0]) == INSERT
    with pytest.raises(ValidationException, match=r"Filters\[0\]"):
        esm(filter_criteria={"Filters": [{"Pattern": "{"}]})


# --------------------------------------------------------------------------- immutability

@pytest.mark.parametrize(("spec", "attr", "value"), [
    (Table("items", "pk"), "name", "other"),
    (Function("f", "m:h"), "timeout", 10),
    (EventSourceMapping("f", "items"), "batch_size", 5),
    (Queue("q"), "fifo", True),
    (FilterCriteria((json.dumps(INSERT),)), "patterns", ()),
    (KeyAttribute("k"), "type", "N"),
    (RedrivePolicy("d"), "max_receive_count", 9),
])
def test_specs_are_frozen(spec: object, attr: str, value: object) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(spec, attr, value)


def test_function_env_is_read_only() -> None:
    f = Function("f", "m:h", env={"A": "1"})
    with pytest.raises(TypeError):
        f.env["B"] = "2"  # type: ignore[index]
    with pytest.raises(TypeError):
        del f.env["A"]  # type: ignore[attr-defined]
    assert dict(f.env) == {"A": "1"}
