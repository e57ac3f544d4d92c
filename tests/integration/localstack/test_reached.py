"""A LocalStack the harness only reached is shared with others: its resources are torn down by tag."""
from __future__ import annotations

import pytest

from harness import Harness, Queue, Table, Topology
from harness.backends.localstack import LocalStackBackend

pytestmark = pytest.mark.localstack


def test_reached_localstack_keeps_what_lacks_the_runs_tag(localstack: LocalStackBackend) -> None:
    topology = Topology(name="reach", tables=[Table("items", "k")], queues=[Queue("q"), Queue("theirs")])
    with Harness(topology, backend="localstack", endpoint=localstack.url, prefix="reach-1-") as h:
        caps = h.backend.capabilities
        assert not caps.owns_resources and caps.keeps_tags("sqs") and h.backend.processes == []
        sqs = h.client("sqs")
        sqs.delete_queue(QueueUrl=h.queue_url("theirs"))  # someone else's queue now has that name
        theirs = sqs.create_queue(QueueName="reach-1-theirs")["QueueUrl"]
    assert localstack.client("sqs").get_queue_url(QueueName="reach-1-theirs")["QueueUrl"] == theirs
    names = {u.rsplit("/", 1)[-1] for u in
             localstack.client("sqs").list_queues(QueueNamePrefix="reach-1-").get("QueueUrls", [])}
    assert names == {"reach-1-theirs"}
    assert "reach-1-items" not in localstack.client("dynamodb").list_tables()["TableNames"]
    localstack.client("sqs").delete_queue(QueueUrl=theirs)
