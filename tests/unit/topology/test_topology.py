"""Topology cross-references, the YAML/JSON loader and the documented example topology."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
    Topology,
    ValidationException,
)
from harness.topology.loader import load_dict, load_file

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "topology.yaml"


def build(**overrides: Any) -> Topology:
    """A valid topology; each keyword replaces one of its parts."""
    parts: dict[str, Any] = {
        "tables": [Table("items", "pk"), Table("plain", "pk", stream_view_type=None)],
        "functions": [Function("fn", "m:h")],
        "queues": [Queue("dlq"), Queue("work", redrive_policy=RedrivePolicy("dlq"))],
        "event_source_mappings": [EventSourceMapping("fn", "items", on_failure="queue:dlq")],
    }
    parts.update(overrides)
    return Topology(name="t", **parts)


# --------------------------------------------------------------------------- cross references

def test_valid_topology_and_lookups() -> None:
    t = build()
    assert isinstance(t.tables, tuple) and isinstance(t.event_source_mappings, tuple)
    assert t.table("items").has_stream
    assert t.function("fn").handler == "m:h"
    assert t.queue("work").redrive_policy == RedrivePolicy("dlq")
    assert t.mapping("items-to-fn").on_failure == "queue:dlq"
    for lookup in (t.table, t.function, t.queue, t.mapping):
        with pytest.raises(KeyError, match="nope"):
            lookup("nope")


def test_mapping_to_unknown_function() -> None:
    with pytest.raises(ValidationException) as info:
        build(event_source_mappings=[EventSourceMapping("ghost", "items")])
    assert "function 'ghost' is not in the topology" in str(info.value)
    assert "['fn']" in str(info.value)
    assert info.value.parameter == "FunctionName"


def test_mapping_from_unknown_table() -> None:
    with pytest.raises(ValidationException) as info:
        build(event_source_mappings=[EventSourceMapping("fn", "ghost")])
    assert "source table 'ghost' is not in the topology" in str(info.value)
    assert info.value.parameter == "EventSourceArn"


def test_mapping_from_table_without_stream() -> None:
    with pytest.raises(ValidationException) as info:
        build(event_source_mappings=[EventSourceMapping("fn", "plain")])
    assert "table 'plain' has no stream" in str(info.value)
    assert info.value.parameter == "EventSourceArn"


@pytest.mark.parametrize("ref", ["queue:ghost", "dlq", "sqs:dlq", "queue:", "table:items"])
def test_on_failure_must_name_a_queue_of_the_topology(ref: str) -> None:
    with pytest.raises(ValidationException) as info:
        build(event_source_mappings=[EventSourceMapping("fn", "items", on_failure=ref)])
    assert f"OnFailure destination {ref!r}" in str(info.value)
    assert info.value.parameter == "DestinationConfig"


def test_unknown_dead_letter_queue() -> None:
    with pytest.raises(ValidationException) as info:
        build(queues=[Queue("work", redrive_policy=RedrivePolicy("ghost"))], event_source_mappings=[])
    assert "dead-letter queue 'ghost' is not in the topology" in str(info.value)
    assert info.value.parameter == "RedrivePolicy"


def test_fifo_queue_needs_fifo_dead_letter_queue() -> None:
    with pytest.raises(ValidationException):
        build(queues=[Queue("dlq"), Queue("work.fifo", fifo=True, redrive_policy=RedrivePolicy("dlq"))],
              event_source_mappings=[])


@pytest.mark.parametrize("value", [
    "${table:ghost}", "${stream-arn:ghost}", "${queue:ghost}", "${queue-arn:ghost}",
    "${table:dlq}",          # a queue's name is not a table
    "${queue:items}",        # a table's name is not a queue
    "prefix-${table:items}-${queue-arn:ghost}",  # every placeholder of a value is checked
])
def test_env_placeholder_naming_unknown_resource(value: str) -> None:
    with pytest.raises(ValidationException) as info:
        build(functions=[Function("fn", "m:h", env={"REF": value})])
    assert "env REF refers to" in str(info.value)
    assert info.value.parameter == "Environment"


def test_env_placeholders_naming_known_resources_pass() -> None:
    env = {"T": "${table:items}", "S": "${stream-arn:items}", "Q": "${queue:work}", "A": "${queue-arn:dlq}",
           "BOTH": "${table:plain}/${queue:dlq}", "LITERAL": "no placeholder"}
    t = build(functions=[Function("fn", "m:h", env=env)])
    assert dict(t.function("fn").env) == env  # kept verbatim; resolved at deploy time


def test_stream_arn_placeholder_needs_a_table_with_a_stream() -> None:
    with pytest.raises(ValidationException):
        build(functions=[Function("fn", "m:h", env={"S": "${stream-arn:plain}"})])


@pytest.mark.parametrize(("part", "items"), [
    ("tables", [Table("items", "pk"), Table("items", "other")]),
    ("functions", [Function("fn", "m:h"), Function("fn", "m:g")]),
    ("queues", [Queue("dlq"), Queue("dlq")]),
    ("event_source_mappings", [EventSourceMapping("fn", "items"), EventSourceMapping("fn", "items")]),
])
def test_names_must_be_unique(part: str, items: list[Any]) -> None:
    with pytest.raises(ValidationException, match="names must be unique"):
        build(**{part: items})


# --------------------------------------------------------------------------- loader

def _mapping_topology(mapping: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "t",
        "tables": [{"name": "items", "hash_key": "pk"}],
        "functions": [{"name": "fn", "handler": "m:h"}],
        "queues": [{"name": "dlq"}],
        "event_source_mappings": [mapping],
    }


PATTERN = '{"eventName": ["INSERT"]}'

PASCAL = {
    "FunctionName": "fn", "EventSource": "items", "StartingPosition": "LATEST", "BatchSize": 25,
    "MaximumBatchingWindowInSeconds": 7, "ParallelizationFactor": 2, "MaximumRetryAttempts": 4,
    "MaximumRecordAgeInSeconds": 120, "BisectBatchOnFunctionError": True, "TumblingWindowInSeconds": 30,
    "FunctionResponseTypes": ["ReportBatchItemFailures"], "FilterCriteria": {"Filters": [{"Pattern": PATTERN}]},
    "DestinationConfig": {"OnFailure": {"Destination": "queue:dlq"}}, "Enabled": False,
}
SNAKE = {
    "function": "fn", "source": "items", "starting_position": "LATEST", "batch_size": 25,
    "maximum_batching_window_in_seconds": 7, "parallelization_factor": 2, "maximum_retry_attempts": 4,
    "maximum_record_age_in_seconds": 120, "bisect_batch_on_function_error": True, "tumbling_window_in_seconds": 30,
    "function_response_types": ["ReportBatchItemFailures"], "filter_criteria": [PATTERN],
    "on_failure": "queue:dlq", "enabled": False,
}


def test_pascal_and_snake_case_mapping_keys_load_the_same() -> None:
    pascal = load_dict(_mapping_topology(PASCAL)).event_source_mappings[0]
    snake = load_dict(_mapping_topology(SNAKE)).event_source_mappings[0]
    assert pascal == snake
    assert pascal.starting_position is StartingPosition.LATEST
    assert (pascal.batch_size, pascal.maximum_batching_window_in_seconds, pascal.parallelization_factor) == (25, 7, 2)
    assert (pascal.maximum_retry_attempts, pascal.maximum_record_age_in_seconds) == (4, 120)
    assert pascal.bisect_batch_on_function_error and pascal.tumbling_window_in_seconds == 30
    assert pascal.report_batch_item_failures and pascal.enabled is False
    assert pascal.filter_criteria == FilterCriteria((PATTERN,))
    assert pascal.on_failure == "queue:dlq"


def test_table_alias_for_source_and_function_name() -> None:
    m = load_dict(_mapping_topology({"function_name": "fn", "table": "items"})).event_source_mappings[0]
    assert (m.function, m.source) == ("fn", "items")


def test_snake_case_destination_config_keeps_its_destination() -> None:
    m = load_dict(_mapping_topology(
        {"function": "fn", "source": "items",
         "destination_config": {"on_failure": {"destination": "queue:dlq"}}})).event_source_mappings[0]
    assert m.on_failure == "queue:dlq"


def test_destination_config_to_unknown_queue_rejected() -> None:
    with pytest.raises(ValidationException, match="OnFailure destination 'queue:ghost'"):
        load_dict(_mapping_topology({"function": "fn", "source": "items",
                                     "DestinationConfig": {"OnFailure": {"Destination": "queue:ghost"}}}))


def test_filter_criteria_patterns_may_be_yaml_mappings() -> None:
    m = load_dict(_mapping_topology({"function": "fn", "source": "items",
                                     "FilterCriteria": {"Filters": [{"Pattern": {"eventName": ["INSERT"]}}]}}))
    assert json.loads(m.event_source_mappings[0].filter_criteria.patterns[0]) == {"eventName": ["INSERT"]}


def test_range_errors_come_through_the_loader() -> None:
    with pytest.raises(ValidationException, match="at 'batchSize'"):
        load_dict(_mapping_topology({"function": "fn", "source": "items", "BatchSize": 10_001}))


def test_unknown_key_rejected_listing_known_ones() -> None:
    with pytest.raises(ValidationException) as info:
        load_dict(_mapping_topology({"function": "fn", "source": "items", "BatchSise": 10}))
    text = str(info.value)
    assert text.startswith("event_source_mappings[0]: unknown key 'BatchSise'; did you mean 'BatchSize'?")
    for known in ("BatchSize", "FilterCriteria", "MaximumBatchingWindowInSeconds", "OnFailure"):  # as the user writes
        assert known in text
    with pytest.raises(ValidationException, match=r"unknown key 'batch_sise'; did you mean 'batch_size'\? \(known: "):
        load_dict(_mapping_topology({"function": "fn", "source": "items", "batch_sise": 10}))


def test_unknown_table_key_and_top_level_key() -> None:
    with pytest.raises(ValidationException, match=r"tables\[0\] \(items\): unknown key 'Colour' \(known: .*HashKey"):
        load_dict({"name": "t", "tables": [{"name": "items", "hash_key": "pk", "Colour": "red"}]})
    with pytest.raises(ValidationException, match=r"topology: unknown key 'lambdas' \(known: .*functions"):
        load_dict({"name": "t", "lambdas": []})


def test_missing_required_key_and_wrong_shapes() -> None:
    with pytest.raises(ValidationException, match=r"functions\[0\] \(fn\): missing required key 'handler'"):
        load_dict({"name": "t", "functions": [{"name": "fn"}]})
    with pytest.raises(ValidationException, match=r"queues\[0\]: expected a mapping, got str"):
        load_dict({"name": "t", "queues": ["dlq"]})
    with pytest.raises(ValidationException, match="at least a 'name'"):
        load_dict({"tables": []})
    with pytest.raises(ValidationException, match="at least a 'name'"):
        load_dict(["name"])  # type: ignore[arg-type]


def test_table_and_function_aliases() -> None:
    t = load_dict({
        "name": "t",
        "tables": [{"Name": "items", "HashKey": "pk:N", "RangeKey": "sk",
                    "Stream": None, "TtlAttribute": "ttl",
                    "gsis": [{"name": "by-x", "hash_key": "x"}]}],
        "functions": [{"Name": "fn", "Handler": "m:h", "Memory": 512, "Timeout": 9,
                       "environment": {"A": "1"}}],
        "queues": [{"Name": "q.fifo", "Fifo": True, "RedrivePolicy": {"dead_letter_queue": "d.fifo",
                                                                      "maxReceiveCount": 2}},
                   {"name": "d.fifo", "fifo": True}],
    })
    table, fn, q = t.table("items"), t.function("fn"), t.queue("q.fifo")
    assert table.hash_key == KeyAttribute("pk", "N")  # type: ignore[arg-type]
    assert not table.has_stream and table.ttl_attribute == "ttl"
    assert table.global_secondary_indexes == (GlobalSecondaryIndex("by-x", "x"),)  # type: ignore[arg-type]
    assert (fn.memory_size, fn.timeout, dict(fn.env)) == (512, 9, {"A": "1"})
    assert q.redrive_policy == RedrivePolicy("d.fifo", 2)


def test_aws_environment_variables_shape() -> None:
    t = load_dict({"name": "t", "functions": [{"Name": "fn", "Handler": "m:h",
                                                "Environment": {"Variables": {"A": "1"}}}]})
    assert dict(t.function("fn").env) == {"A": "1"}


def test_load_file_yaml_and_json(tmp_path: Path) -> None:
    data = _mapping_topology(dict(SNAKE))
    (tmp_path / "t.json").write_text(json.dumps(data))
    (tmp_path / "t.yaml").write_text(json.dumps(data))  # JSON is YAML
    assert load_file(tmp_path / "t.json") == load_file(tmp_path / "t.yaml") == load_dict(data)
    assert Topology.from_file(str(tmp_path / "t.json")) == Topology.from_dict(data)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ValidationException, match=f"cannot read topology file {missing}"):
        load_file(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ValidationException, match=f"{broken}: not valid YAML"):
        load_file(broken)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{'name': 1}")
    with pytest.raises(ValidationException, match=f"{bad_json}: not valid JSON"):
        load_file(bad_json)
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("name: t\nfunctions:\n  - {name: fn, handler: m:h, timeout: 0}\n")
    with pytest.raises(ValidationException) as info:
        load_file(invalid)
    assert str(info.value).startswith(f"{invalid}: ")
    assert "'timeout'" in str(info.value)
    assert info.value.parameter == "Timeout"  # the parameter survives the re-raise


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ValidationException, match=f"{empty}: a topology is a mapping"):
        load_file(empty)


# --------------------------------------------------------------------------- the documented example

def test_example_topology_loads_with_its_documented_content() -> None:
    t = load_file(EXAMPLE)
    assert t.name == "orders-pipeline" and "paid orders" in t.description

    (table,) = t.tables
    assert table.name == "orders"
    assert table.hash_key == KeyAttribute("customer_id", "S")  # type: ignore[arg-type]
    assert table.range_key == KeyAttribute("order_id", "S")  # type: ignore[arg-type]
    assert table.stream_view_type is StreamViewType.NEW_AND_OLD_IMAGES
    assert table.ttl_attribute == "expires_at"
    (gsi,) = table.global_secondary_indexes
    assert (gsi.name, gsi.hash_key, gsi.range_key) == (
        "by-status", KeyAttribute("status", "S"), KeyAttribute("created_at", "N"))  # type: ignore[arg-type]
    assert (gsi.projection, gsi.non_key_attributes) == ("INCLUDE", ("total",))

    failures, dlq = t.queue("order-failures"), t.queue("order-failures-dlq")
    assert failures.redrive_policy == RedrivePolicy("order-failures-dlq", 5)
    assert failures.visibility_timeout == 60 and dlq.message_retention_period == 1_209_600
    assert dlq.redrive_policy is None and not failures.fifo

    (fn,) = t.functions
    assert (fn.name, fn.handler, fn.timeout, fn.memory_size) == (
        "order-processor", "orders.handlers:on_order_change", 30, 256)
    assert dict(fn.env) == {
        "ORDERS_TABLE": "${table:orders}", "ORDERS_STREAM_ARN": "${stream-arn:orders}",
        "FAILURES_QUEUE_URL": "${queue:order-failures}", "FAILURES_QUEUE_ARN": "${queue-arn:order-failures}",
        "LOG_LEVEL": "INFO"}

    (m,) = t.event_source_mappings
    assert (m.name, m.function, m.source) == ("orders-to-processor", "order-processor", "orders")
    assert m.starting_position is StartingPosition.TRIM_HORIZON
    assert (m.batch_size, m.maximum_batching_window_in_seconds, m.parallelization_factor) == (50, 5, 1)
    assert (m.maximum_retry_attempts, m.maximum_record_age_in_seconds) == (3, 3600)
    assert m.bisect_batch_on_function_error and m.report_batch_item_failures
    assert m.on_failure == "queue:order-failures"
    assert m.filter_criteria is not None
    assert [json.loads(p) for p in m.filter_criteria.patterns] == [
        {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"status": {"S": [{"prefix": "PAID"}]}}}},
        {"eventName": ["REMOVE"]},
    ]


def test_example_filters_select_paid_orders_and_deletions() -> None:
    from harness.runtime.esm.filtering import RecordFilter

    f = RecordFilter(load_file(EXAMPLE).mapping("orders-to-processor").filter_criteria)

    def rec(event: str, status: str | None) -> dict[str, Any]:
        image = {"customer_id": {"S": "c1"}, "order_id": {"S": "o1"}}
        if status is not None:
            image["status"] = {"S": status}
        ddb: dict[str, Any] = {"Keys": {"customer_id": {"S": "c1"}, "order_id": {"S": "o1"}}}
        if event != "REMOVE":
            ddb["NewImage"] = image
        return {"eventName": event, "dynamodb": ddb}

    assert f.matches(rec("INSERT", "PAID"))
    assert f.matches(rec("MODIFY", "PAID_PARTIALLY"))
    assert f.matches(rec("REMOVE", None))
    assert not f.matches(rec("INSERT", "OPEN"))
    assert not f.matches(rec("MODIFY", None))
