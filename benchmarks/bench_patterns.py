"""Throughput of harness.patterns: matches per second on one core (a script, not a test).

    .venv/bin/python benchmarks/bench_patterns.py [--seconds 1.0]

(a) a 20-field EventBridge pattern against typical events, matching and non-matching;
(b) Lambda FilterCriteria against DynamoDB stream records: {"eventName": ["INSERT"]} and a
    dynamodb.NewImage pattern. Patterns are compiled once, as the harness does; events are
    pre-built dicts (plus one JSON-text row to show the json.loads cost).
"""
from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from harness.patterns import compile_pattern

EB_PATTERN: dict[str, Any] = {
    "source": ["aws.ec2", "aws.autoscaling"],
    "detail-type": ["EC2 Instance State-change Notification"],
    "account": ["111122223333"],
    "region": [{"prefix": "us-"}],
    "time": [{"prefix": "2024-"}],
    "resources": [{"wildcard": "arn:aws:ec2:*:instance/*"}],
    "detail": {
        "state": [{"anything-but": ["pending", "stopping"]}],
        "instance-id": [{"prefix": "i-"}],
        "instance-type": ["m5.large", "c5.xlarge", "t3.micro"],
        "az": [{"suffix": "a"}, {"suffix": "b"}],
        "cpu": [{"numeric": [">=", 0, "<", 90]}],
        "memory-gb": [{"numeric": [">", 1]}],
        "private-ip": [{"cidr": "10.0.0.0/8"}],
        "owner": [{"equals-ignore-case": "platform-team"}],
        "environment": ["prod", "staging"],
        "cost-center": [{"exists": True}],
        "terminated-by": [{"exists": False}],
        "tags": {"team": [{"prefix": "plat"}]},
        "spot": [False],
        "launch": {"index": [{"numeric": ["=", 0]}]},
    },
}


def count_fields(pattern: dict[str, Any]) -> int:
    """Leaf fields of a pattern (each is one ANDed condition)."""
    return sum(count_fields(v) if isinstance(v, dict) else 1 for v in pattern.values())


assert count_fields(EB_PATTERN) == 20


def eb_event(rng: random.Random, i: int, *, matching: bool) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": f"6a7e8feb-b491-4cf7-a9f1-{i:012d}",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "111122223333",
        "time": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T18:43:48Z",
        "region": rng.choice(["us-east-1", "us-west-2"]),
        "resources": [f"arn:aws:ec2:us-east-1:111122223333:instance/i-{i:017x}"],
        "detail": {
            "state": rng.choice(["running", "terminated", "shutting-down"]),
            "instance-id": f"i-{i:017x}",
            "instance-type": rng.choice(["m5.large", "c5.xlarge", "t3.micro"]),
            "az": rng.choice(["us-east-1a", "us-east-1b"]),
            "cpu": rng.uniform(0, 89),
            "memory-gb": rng.choice([2, 4, 8, 16]),
            "private-ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "owner": rng.choice(["Platform-Team", "PLATFORM-TEAM"]),
            "environment": rng.choice(["prod", "staging"]),
            "cost-center": "cc-42",
            "tags": {"team": "platform", "service": "api"},
            "spot": False,
            "launch": {"index": 0, "zone": "a"},
        },
    }
    if not matching:
        # Fail on the last-checked field, so the whole pattern is evaluated (the worst case).
        event["detail"]["launch"]["index"] = 1
    return event


def ddb_record(rng: random.Random, i: int) -> dict[str, Any]:
    name = rng.choice(["INSERT", "MODIFY", "REMOVE"])
    status = rng.choice(["open", "closed", "pending"])
    image = {"pk": {"S": f"order#{i}"}, "status": {"S": status}, "total": {"N": str(rng.randint(1, 999))},
             "items": {"L": [{"S": "sku-1"}, {"S": "sku-2"}]}}
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": 1_700_000_000 + i,
        "Keys": {"pk": {"S": f"order#{i}"}},
        "SequenceNumber": f"{100000000000000000000 + i}",
        "SizeBytes": 120,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if name != "REMOVE":
        dynamodb["NewImage"] = image
    if name != "INSERT":
        dynamodb["OldImage"] = {**image, "status": {"S": "pending"}}
    return {
        "eventID": f"{i:032x}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:111122223333:table/orders/stream/2024-01-01T00:00:00.000",
    }


def rate(match: Callable[[Any], bool], events: Sequence[Any], seconds: float) -> tuple[float, float]:
    """Matches per second (best of 3 runs of >= ``seconds``/3 each) and the fraction that matched."""
    hits = sum(1 for e in events if match(e))
    best = 0.0
    for _ in range(3):
        n = 0
        start = time.perf_counter()
        deadline = start + seconds / 3
        while True:
            for e in events:
                match(e)
            n += len(events)
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, n / (now - start))
    return best, hits / len(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time per row")
    parser.add_argument("--events", type=int, default=2000, help="distinct events per row")
    args = parser.parse_args()
    rng = random.Random(7)

    eb = compile_pattern(EB_PATTERN, "eventbridge")
    eb_hits = [eb_event(rng, i, matching=True) for i in range(args.events)]
    eb_miss = [eb_event(rng, i, matching=False) for i in range(args.events)]
    eb_early_miss = [{**e, "source": "aws.s3"} for e in eb_hits]
    records = [ddb_record(rng, i) for i in range(args.events)]
    records_text = [json.dumps(r) for r in records]
    insert = compile_pattern({"eventName": ["INSERT"]}, "lambda")
    new_image = compile_pattern({"dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}, "lambda")
    three_fields = compile_pattern({"eventName": ["INSERT", "MODIFY"],
                                    "dynamodb": {"NewImage": {"status": {"S": ["open"]},
                                                              "total": {"N": [{"prefix": "1"}]}}}}, "lambda")

    rows = [
        ("(a) EventBridge 20-field pattern, matching events", eb.matches, eb_hits),
        ("(a) EventBridge 20-field pattern, non-matching (fails on last field)", eb.matches, eb_miss),
        ("(a) EventBridge 20-field pattern, non-matching (fails on source)", eb.matches, eb_early_miss),
        ('(b) lambda {"eventName": ["INSERT"]}, DynamoDB records', insert.matches, records),
        ("(b) lambda dynamodb.NewImage.status.S == open, DynamoDB records", new_image.matches, records),
        ("(b) lambda 3-field eventName + NewImage pattern, DynamoDB records", three_fields.matches, records),
        ('(b) lambda {"eventName": ["INSERT"]}, records as JSON text (incl. json.loads)', insert.matches,
         records_text),
    ]
    print(f"{'case':<80} {'matches/s':>12} {'hit rate':>9}")
    for label, match, events in rows:
        per_second, hit_rate = rate(match, events, args.seconds)
        print(f"{label:<80} {per_second:>12,.0f} {hit_rate:>9.0%}")


if __name__ == "__main__":
    main()
