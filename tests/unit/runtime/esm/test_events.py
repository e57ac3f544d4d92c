"""The Lambda event for a DynamoDB stream batch, and the OnFailure record AWS sends for a batch given up on."""
from __future__ import annotations

import base64
import copy
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from harness.runtime.esm.destinations import on_failure_record
from harness.runtime.esm.events import build_event, lambda_record, record_size, seq_key, sequence_number, to_wire

STREAM_ARN = "arn:aws:dynamodb:eu-west-1:000000000000:table/items/stream/2024-01-01T00:00:00.000"


def boto3_record(**ddb: Any) -> dict[str, Any]:
    """A record as boto3's dynamodbstreams.get_records returns it (datetime, bytes)."""
    return {
        "eventID": "e1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "ddblocal",
        "dynamodb": {"ApproximateCreationDateTime": datetime(2024, 1, 1, tzinfo=UTC),
                     "Keys": {"pk": {"S": "a"}}, "SequenceNumber": "100", "SizeBytes": 10,
                     "StreamViewType": "NEW_AND_OLD_IMAGES", **ddb},
    }


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# --------------------------------------------------------------------------- to_wire

def test_whole_second_datetime_becomes_int_epoch_seconds() -> None:
    wire = to_wire(boto3_record())
    ts = wire["dynamodb"]["ApproximateCreationDateTime"]
    assert ts == 1704067200 and type(ts) is int


def test_fractional_datetime_becomes_float_epoch_seconds() -> None:
    rec = boto3_record(ApproximateCreationDateTime=datetime(2024, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC))
    ts = to_wire(rec)["dynamodb"]["ApproximateCreationDateTime"]
    assert ts == 1704067200.5 and type(ts) is float


def test_timezone_aware_datetimes_are_converted_to_utc_epoch() -> None:
    plus_two = timezone(timedelta(hours=2))
    rec = boto3_record(ApproximateCreationDateTime=datetime(2024, 1, 1, 2, 0, 0, tzinfo=plus_two))
    assert to_wire(rec)["dynamodb"]["ApproximateCreationDateTime"] == 1704067200


def test_numeric_timestamp_is_left_alone() -> None:
    assert to_wire(boto3_record(ApproximateCreationDateTime=1704067200))["dynamodb"][
        "ApproximateCreationDateTime"] == 1704067200


def test_bytes_become_base64_in_b_bs_and_nested_m_and_l() -> None:
    image = {
        "pk": {"S": "a"},
        "n": {"N": "1.5"},
        "blob": {"B": b"\x00\xffhi"},
        "blobs": {"BS": [b"one", b"two"]},
        "nested": {"M": {"inner": {"B": b"deep"}, "list": {"L": [{"B": b"x"}, {"S": "s"}, {"M": {"b": {"B": b"y"}}}]}}},
        "list": {"L": [{"B": b"z"}, {"NULL": True}, {"BOOL": False}, {"SS": ["a", "b"]}]},
    }
    wire = to_wire(boto3_record(NewImage=image, OldImage={"blob": {"B": b"old"}}, Keys={"bk": {"B": b"key"}}))
    new = wire["dynamodb"]["NewImage"]
    assert new["pk"] == {"S": "a"} and new["n"] == {"N": "1.5"}
    assert new["blob"] == {"B": b64(b"\x00\xffhi")}
    assert new["blobs"] == {"BS": [b64(b"one"), b64(b"two")]}
    assert new["nested"] == {"M": {"inner": {"B": b64(b"deep")},
                                   "list": {"L": [{"B": b64(b"x")}, {"S": "s"}, {"M": {"b": {"B": b64(b"y")}}}]}}}
    assert new["list"] == {"L": [{"B": b64(b"z")}, {"NULL": True}, {"BOOL": False}, {"SS": ["a", "b"]}]}
    assert wire["dynamodb"]["OldImage"] == {"blob": {"B": b64(b"old")}}
    assert wire["dynamodb"]["Keys"] == {"bk": {"B": b64(b"key")}}
    json.dumps(wire)  # the whole record is now plain JSON


def test_already_base64_strings_are_kept() -> None:
    wire = to_wire(boto3_record(NewImage={"blob": {"B": "aGk="}, "bs": {"BS": ["aGk=", b"hi"]}}))
    assert wire["dynamodb"]["NewImage"] == {"blob": {"B": "aGk="}, "bs": {"BS": ["aGk=", "aGk="]}}


def test_to_wire_does_not_mutate_its_input_and_keeps_other_fields() -> None:
    rec = boto3_record(NewImage={"blob": {"B": b"hi"}})
    before = copy.deepcopy(rec)
    wire = to_wire(rec)
    assert rec == before
    assert {k: v for k, v in wire.items() if k != "dynamodb"} == {k: v for k, v in rec.items() if k != "dynamodb"}
    assert wire["dynamodb"]["SequenceNumber"] == "100" and wire["dynamodb"]["SizeBytes"] == 10


def test_record_without_images_or_dynamodb() -> None:
    assert to_wire({"eventName": "REMOVE"}) == {"eventName": "REMOVE", "dynamodb": {}}


# --------------------------------------------------------------------------- lambda_record, build_event

def test_lambda_record_adds_event_source_arn_and_sets_region() -> None:
    wire = to_wire(boto3_record())
    rec = lambda_record(wire, STREAM_ARN, "eu-west-1")
    assert rec["eventSourceARN"] == STREAM_ARN
    assert rec["awsRegion"] == "eu-west-1"  # DynamoDB Local's "ddblocal" replaced
    assert wire["awsRegion"] == "ddblocal" and "eventSourceARN" not in wire  # input untouched
    assert {k: v for k, v in rec.items() if k not in ("eventSourceARN", "awsRegion")} == \
        {k: v for k, v in wire.items() if k != "awsRegion"}


def test_build_event_wraps_records_in_order() -> None:
    recs = [{"eventID": str(i)} for i in range(3)]
    event = build_event(tuple(recs))
    assert event == {"Records": recs} and isinstance(event["Records"], list)
    assert build_event([]) == {"Records": []}


# --------------------------------------------------------------------------- sizes and sequence numbers

def test_record_size_is_compact_json_plus_separator() -> None:
    assert record_size({"a": 1}) == len('{"a":1}') + 1
    rec = lambda_record(to_wire(boto3_record()), STREAM_ARN, "eu-west-1")
    assert record_size(rec) == len(json.dumps(rec, separators=(",", ":"))) + 1
    # n records in {"Records":[...]}: their sizes add up to the array body plus one spare byte
    event = json.dumps(build_event([rec, rec]), separators=(",", ":"))
    assert len(event) == len('{"Records":[]}') + 2 * record_size(rec) - 1


def test_record_size_never_undercounts_utf8() -> None:
    rec = {"s": "é" * 100}
    assert record_size(rec) >= len(json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()) + 1


def test_sequence_numbers_compare_as_integers_across_widths() -> None:
    seqs = ["100000000000000000009", "99", "9", "100000000000000000010", "1000"]
    assert sorted(seqs) != sorted(seqs, key=seq_key)  # string order would be wrong
    assert sorted(seqs, key=seq_key) == ["9", "99", "1000", "100000000000000000009", "100000000000000000010"]
    assert seq_key("9") < seq_key("10")
    assert seq_key("000123") == 123


def test_sequence_number_of_a_record() -> None:
    assert sequence_number({"dynamodb": {"SequenceNumber": "42"}}) == "42"
    assert sequence_number({"dynamodb": {"SequenceNumber": 42}}) == "42"


# --------------------------------------------------------------------------- OnFailure record

ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _failure(**overrides: Any) -> dict[str, Any]:
    recs = [{"dynamodb": {"SequenceNumber": s}} for s in ("300", "301", "1000")]
    kwargs: dict[str, Any] = dict(
        request_id="req-1", function_arn="arn:aws:lambda:eu-west-1:000000000000:function:fn",
        condition="RetryAttemptsExhausted", invoke_count=3, function_error=None, records=recs,
        arrivals=[1704067200.25, 1704067201.0, 1704067202.5], shard_id="shardId-0001", stream_arn=STREAM_ARN,
        now=1704067260.123456)
    kwargs.update(overrides)
    return on_failure_record(**kwargs)


def test_on_failure_record_has_exactly_aws_keys() -> None:
    r = _failure()
    assert set(r) == {"requestContext", "responseContext", "version", "timestamp", "DDBStreamBatchInfo"}
    assert set(r["requestContext"]) == {"requestId", "functionArn", "condition", "approximateInvokeCount"}
    assert set(r["responseContext"]) == {"statusCode", "executedVersion", "functionError"}
    assert set(r["DDBStreamBatchInfo"]) == {
        "shardId", "startSequenceNumber", "endSequenceNumber", "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord", "batchSize", "streamArn"}
    json.dumps(r)


def test_on_failure_record_values() -> None:
    r = _failure()
    assert r["requestContext"] == {"requestId": "req-1",
                                   "functionArn": "arn:aws:lambda:eu-west-1:000000000000:function:fn",
                                   "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 3}
    assert r["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert r["version"] == "1.0"
    info = r["DDBStreamBatchInfo"]
    assert (info["shardId"], info["streamArn"], info["batchSize"]) == ("shardId-0001", STREAM_ARN, 3)
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == ("300", "1000")


def test_on_failure_timestamps_are_iso_milliseconds_ending_in_z() -> None:
    r = _failure()
    info = r["DDBStreamBatchInfo"]
    for ts in (r["timestamp"], info["approximateArrivalOfFirstRecord"], info["approximateArrivalOfLastRecord"]):
        assert ISO_MS_Z.match(ts), ts
    assert r["timestamp"] == "2024-01-01T00:01:00.123Z"
    assert info["approximateArrivalOfFirstRecord"] == "2024-01-01T00:00:00.250Z"
    assert info["approximateArrivalOfLastRecord"] == "2024-01-01T00:00:02.500Z"
    assert _failure(now=0)["timestamp"] == "1970-01-01T00:00:00.000Z"


def test_on_failure_condition_and_function_error_pass_through() -> None:
    r = _failure(condition="RecordAgeExceeded", function_error="Handled", invoke_count=1)
    assert r["requestContext"]["condition"] == "RecordAgeExceeded"
    assert r["requestContext"]["approximateInvokeCount"] == 1
    assert r["responseContext"]["functionError"] == "Handled"


def test_on_failure_single_record_batch() -> None:
    r = _failure(records=[{"dynamodb": {"SequenceNumber": "7"}}], arrivals=[5.0])
    info = r["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == "7" and info["batchSize"] == 1
    assert info["approximateArrivalOfFirstRecord"] == info["approximateArrivalOfLastRecord"]

