"""CloudFormation templates -> topology: a rule to SQS, a Lambda with a DLQ and SNS, `cdk synth` output."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.topology import StartingPosition, Subscription
from harness.topology.template import load_template

TEMPLATES = Path(__file__).parent / "templates"


def test_eventbridge_rule_to_sqs_with_transformer_and_dlq() -> None:
    t, lines = load_template(TEMPLATES / "eventbridge_to_sqs.yaml")
    assert lines == []  # the QueuePolicy has no local effect and is not warned about
    assert [b.name for b in t.event_buses] == ["orders"]
    rule = t.rule("order-placed")
    assert (rule.bus, rule.state, rule.description) == ("orders", "ENABLED", "Orders placed in the EU")
    assert rule.event_pattern == ('{"source": ["com.example.orders"], "detail-type": ["OrderPlaced"], '
                                  '"detail": {"region": [{"prefix": "eu-"}]}}')
    (target,) = rule.targets
    assert (target.id, target.arn, target.dead_letter_queue) == ("order-queue", "queue:order-events", "queue:RuleDLQ")
    assert target.input_transformer.input_template == (  # type: ignore[union-attr]
        '{"order": <order>, "total": <total>, "rule": <aws.events.rule-name>}')
    assert (target.retry_policy.maximum_retry_attempts, target.retry_policy.maximum_event_age_in_seconds) == (4, 400)
    queue = t.queue("order-events")
    assert queue.visibility_timeout == 60
    redrive = queue.redrive_policy
    assert (redrive.dead_letter_queue, redrive.max_receive_count) == ("OrdersQueueDLQ", 5)  # type: ignore[union-attr]


def test_lambda_with_a_stream_dlq_and_an_sns_topic_with_a_filtered_subscription() -> None:
    t, lines = load_template(TEMPLATES / "lambda_dlq_sns.yaml")
    assert lines == []
    fn = t.function("stock-watcher")
    assert (fn.handler, fn.timeout) == ("stock:on_change", 10)
    assert dict(fn.env) == {"ALERTS_TOPIC_ARN": "${topic-arn:inventory-alerts}",
                            "INVENTORY_TABLE_ARN": "${table-arn:Inventory}",
                            "DLQ_NAME": "${queue-name:inventory-stream-dlq}"}
    m = t.mapping("StockWatcherMapping")  # an ESM resource is named by its logical id
    assert (m.function, m.source, m.starting_position) == ("stock-watcher", "Inventory", StartingPosition.LATEST)
    assert (m.batch_size, m.parallelization_factor, m.maximum_retry_attempts, m.maximum_record_age_in_seconds,
            m.tumbling_window_in_seconds, m.enabled) == (50, 2, 3, 3600, 30, True)
    assert m.on_failure == "queue:inventory-stream-dlq"
    gsi, = t.table("Inventory").global_secondary_indexes
    assert (gsi.name, gsi.hash_key.name, gsi.range_key.name, gsi.range_key.type) == (  # type: ignore[union-attr]
        "by-warehouse", "warehouse", "updated_at", "N")
    assert (gsi.projection, gsi.non_key_attributes) == ("INCLUDE", ("quantity",))
    assert t.topic("inventory-alerts").subscriptions == (
        Subscription("queue:AllAlerts"),  # inline in the topic
        Subscription("queue:PagerQueue", filter_policy='{"severity": ["high", "critical"]}',
                     raw_message_delivery=True))
    assert t.handlers_path == (str(TEMPLATES / "handlers"),)  # from the aws:asset:path metadata


def test_cdk_synth_output() -> None:
    t, lines = load_template(TEMPLATES / "cdk_synth.json")
    assert lines == []  # IAM roles, Lambda permissions and CDK metadata have no local effect
    assert t.description.startswith("OrdersStack")
    assert [tb.name for tb in t.tables] == ["OrdersTable315BB997"]
    publisher = t.function("Publisher3C1F2B4A")
    assert dict(publisher.env) == {"EVENT_BUS": "${bus:OrdersStackOrdersBus}",
                                   "ORDERS_INDEX_ARN": "${table-arn:OrdersTable315BB997}/index/*",
                                   "REGION_LABEL": "orders-us-east-1"}
    m = t.mapping("PublisherDynamoDBEventSourceOrdersStackOrdersTable9A1B2C3D")
    assert (m.function, m.source, m.batch_size) == ("Publisher3C1F2B4A", "OrdersTable315BB997", 10)
    assert m.filter_criteria.patterns == ('{"eventName":["INSERT","MODIFY"]}',)  # type: ignore[union-attr]
    rule = t.rule("InvoiceRule2B8D4C6E")
    assert rule.bus == "OrdersStackOrdersBus"
    (target,) = rule.targets
    assert (target.arn, target.dead_letter_queue) == ("function:InvoicerC0FFEE11",
                                                      "queue:InvoiceRuleDeadLetterQueue5E3A9B21")
    assert [Path(p).name[:12] for p in t.handlers_path] == ["asset.5f3c9a", "asset.0a1b2c"]
    # the pseudo parameters can be given: the region shows in the Fn::Join
    t2, _ = load_template(TEMPLATES / "cdk_synth.json", {"AWS::Region": "eu-west-1"})
    assert t2.function("Publisher3C1F2B4A").env["REGION_LABEL"] == "orders-eu-west-1"


def test_table_arn_and_queue_name_placeholders_resolve_at_deploy() -> None:
    from harness.deploy.deployer import DeployedQueue, DeployedTable, Deployment
    from harness.topology import Function, Queue, Table, Topology, ValidationException

    topology = Topology("p", tables=[Table("items", "id")], queues=[Queue("jobs")], functions=[
        Function("f", "m:h", env={"T": "${table-arn:items}/index/*", "Q": "${queue-name:jobs}"})])
    dep = Deployment(topology, "sh-", tables={"items": DeployedTable("sh-items", "arn:t/sh-items", "arn:s")},
                     queues={"jobs": DeployedQueue("sh-jobs", "http://q/sh-jobs", "arn:q")})
    assert [dep.resolve(v) for v in topology.function("f").env.values()] == ["arn:t/sh-items/index/*", "sh-jobs"]
    with pytest.raises(ValidationException, match="env T refers to table 'nope'"):
        Topology("p", tables=[Table("items", "id")], functions=[Function("f", "m:h", env={"T": "${table-arn:nope}"})])
