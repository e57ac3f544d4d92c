"""What the stream processor, the rules and the consumers agree on: names, key prefixes and the patterns.

The two rules are the article's: the first as published (INSERT/MODIFY of items whose pk starts with
``OID#`` and sk with ``UID#``, ``InputPath: $.detail``), the second the one it describes in prose
(INSERT/REMOVE on the same prefixes, into an SQS FIFO queue that keeps per-customer counts).
"""
from __future__ import annotations

import json
from typing import Any

SOURCE = "my-service.database"
CUSTOMER_PREFIX = "OID#"  # pk of every item of a customer
MEMBER_PREFIX = "UID#"  # sk of a customer's user/integration items: what both rules select
HISTORY_EVENTS = ("INSERT", "MODIFY")
COUNT_EVENTS = ("INSERT", "REMOVE")
HISTORY_RULE = "table-changes"
COUNTS_RULE = "member-counts"
COUNTS_QUEUE = "member-counts.fifo"
COUNTS_GROUP = "customer-counts"  # EventBridge's SqsParameters.MessageGroupId is one value per target


def pattern(table_arn: str, detail_types: tuple[str, ...]) -> dict[str, Any]:
    """The article's pattern, for ``detail_types``."""
    return {
        "source": [SOURCE],
        "resources": [table_arn],
        "detail-type": list(detail_types),
        "detail": {"dynamodb": {"Keys": {"pk": {"S": [{"prefix": CUSTOMER_PREFIX}]},
                                         "sk": {"S": [{"prefix": MEMBER_PREFIX}]}}}},
    }


def rule_patterns(table_arn: str) -> dict[str, str]:
    """Each rule's pattern as PutRule takes it, naming the deployed table."""
    return {HISTORY_RULE: json.dumps(pattern(table_arn, HISTORY_EVENTS)),
            COUNTS_RULE: json.dumps(pattern(table_arn, COUNT_EVENTS))}


def is_member(pk: str, sk: str) -> bool:
    return pk.startswith(CUSTOMER_PREFIX) and sk.startswith(MEMBER_PREFIX)


def customer_of(pk: str) -> str:
    return pk[len(CUSTOMER_PREFIX):]
