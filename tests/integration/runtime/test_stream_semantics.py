"""DynamoDB Streams record semantics on the embedded backend (DynamoDB Local follows AWS)."""
from __future__ import annotations

from harness import EventSourceMapping, Function, Table, Topology


def _topology() -> Topology:
    return Topology(name="semantics", tables=[Table("items", "k")],
                    functions=[Function("fn", "esm_handlers:record")],
                    event_source_mappings=[EventSourceMapping("fn", "items", batch_size=100)])


def _events(h):  # type: ignore[no-untyped-def]
    return [(e["event_name"], e["keys"]["k"]["S"]) for e in h.trace.of("record")]


def test_no_record_for_a_write_that_changes_nothing(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology())
    ddb, t = h.client("dynamodb"), h.table_name("items")
    ddb.put_item(TableName=t, Item={"k": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName=t, Item={"k": {"S": "a"}, "v": {"N": "1"}})  # identical: no record
    ddb.update_item(TableName=t, Key={"k": {"S": "a"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "1"}})  # same value: no record
    ddb.put_item(TableName=t, Item={"k": {"S": "a"}, "v": {"N": "2"}})
    h.drain(10)
    assert _events(h) == [("INSERT", "a"), ("MODIFY", "a")]


def test_delete_is_a_remove_and_deleting_nothing_is_no_record(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology())
    ddb, t = h.client("dynamodb"), h.table_name("items")
    ddb.put_item(TableName=t, Item={"k": {"S": "a"}})
    ddb.delete_item(TableName=t, Key={"k": {"S": "a"}})
    ddb.delete_item(TableName=t, Key={"k": {"S": "never-there"}})
    h.drain(10)
    assert _events(h) == [("INSERT", "a"), ("REMOVE", "a")]
    remove = [e for e in h.trace.of("invoke") for r in e["event"]["Records"] if r["eventName"] == "REMOVE"]
    assert remove, "the REMOVE record was delivered"


def test_update_item_on_a_new_key_is_one_insert(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology())
    ddb, t = h.client("dynamodb"), h.table_name("items")
    ddb.update_item(TableName=t, Key={"k": {"S": "n"}}, UpdateExpression="ADD c :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    h.drain(10)
    assert _events(h) == [("INSERT", "n")]


def test_delivered_records_have_aws_shape(harness_for):  # type: ignore[no-untyped-def]
    h = harness_for(_topology())
    ddb, t = h.client("dynamodb"), h.table_name("items")
    ddb.put_item(TableName=t, Item={"k": {"S": "a"}, "blob": {"B": b"\x00\x01"}, "n": {"N": "1.5"}})
    ddb.put_item(TableName=t, Item={"k": {"S": "a"}, "n": {"N": "2"}})
    h.drain(10)
    records = [r for e in h.trace.of("invoke") for r in e["event"]["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    insert, modify = records
    assert set(insert) == {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
                           "eventSourceARN"}
    assert insert["eventVersion"] == "1.1" and insert["eventSource"] == "aws:dynamodb"
    assert insert["awsRegion"] == h.backend.region
    assert insert["eventSourceARN"] == h.deployment.tables["items"].stream_arn
    ddb_part = insert["dynamodb"]
    assert isinstance(ddb_part["ApproximateCreationDateTime"], (int, float))
    assert ddb_part["Keys"] == {"k": {"S": "a"}}
    assert ddb_part["NewImage"]["blob"] == {"B": "AAE="}  # base64 on the wire, as Lambda sends it
    assert "OldImage" not in ddb_part
    assert ddb_part["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert ddb_part["SequenceNumber"].isdigit() and isinstance(ddb_part["SizeBytes"], int)
    assert modify["dynamodb"]["OldImage"]["n"] == {"N": "1.5"} and modify["dynamodb"]["NewImage"]["n"] == {"N": "2"}
    assert int(modify["dynamodb"]["SequenceNumber"]) > int(ddb_part["SequenceNumber"])


def test_events_round_trip_through_powertools(harness_for):  # type: ignore[no-untyped-def]
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecordEventName,
        DynamoDBStreamEvent,
    )

    h = harness_for(_topology())
    ddb, t = h.client("dynamodb"), h.table_name("items")
    ddb.put_item(TableName=t, Item={"k": {"S": "a"}, "n": {"N": "7"}})
    ddb.delete_item(TableName=t, Key={"k": {"S": "a"}})
    h.drain(10)
    parsed = [r for e in h.trace.of("invoke") for r in DynamoDBStreamEvent(e["event"]).records]
    assert [r.event_name for r in parsed] == [DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.REMOVE]
    assert parsed[0].dynamodb.keys == {"k": "a"}
    assert parsed[0].dynamodb.new_image["n"] == 7
    assert parsed[1].dynamodb.old_image["k"] == "a"
    assert parsed[0].event_source_arn == h.deployment.tables["items"].stream_arn


def test_the_runtime_reads_records_as_sent_and_they_equal_botocores_parse_made_wire(harness_for):  # type: ignore[no-untyped-def]
    from datetime import datetime

    from harness.runtime.streams import ShardReader, list_shards, wire_records
    from harness.runtime.streams.wire import to_wire

    h = harness_for(Topology(name="wire", tables=[Table("items", "k", stream_view_type="NEW_AND_OLD_IMAGES")]))
    ddb, t = h.client("dynamodb"), h.table_name("items")
    ddb.put_item(TableName=t, Item={"k": {"S": "a"}, "b": {"B": b"\x00\x01"}, "bs": {"BS": [b"q"]},
                                    "m": {"M": {"l": {"L": [{"B": b"z"}, {"N": "1"}]}}}})
    ddb.update_item(TableName=t, Key={"k": {"S": "a"}}, UpdateExpression="SET n = :n",
                    ExpressionAttributeValues={":n": {"N": "2"}})
    ddb.delete_item(TableName=t, Key={"k": {"S": "a"}})
    arn = h.deployment.tables["items"].stream_arn
    shared = h.client("dynamodbstreams")
    shard = list_shards(shared, arn)[0].shard_id
    own = wire_records(h.backend.client("dynamodbstreams", max_pool_connections=2))
    iterator = own.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    sent = own.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in sent] == ["INSERT", "MODIFY", "REMOVE"]
    assert not isinstance(sent[0]["dynamodb"]["ApproximateCreationDateTime"], datetime)  # botocore did not parse it
    assert sent[0]["dynamodb"]["NewImage"]["b"] == {"B": "AAE="}
    parsed = ShardReader(shared, arn, shard, "TRIM_HORIZON").read()  # the shared client still parses
    assert [to_wire(r) for r in sent] == parsed
