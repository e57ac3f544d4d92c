"""A strict parser for the handler's partial batch response (ReportBatchItemFailures).

AWS treats as complete success: a null or empty response, a missing, null or empty
``batchItemFailures``. As complete failure: a response that is not an object, a
``batchItemFailures`` that is not a list, and any item whose ``itemIdentifier`` is missing, null,
empty, misspelled or not the sequence number of a record in the batch.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any


class InvalidBatchItemFailures(ValueError):
    """The response cannot be trusted: the whole batch counts as failed."""


def parse_batch_item_failures(response: Any, valid_ids: Collection[str]) -> list[str]:
    """The failed item identifiers (empty for success); raises InvalidBatchItemFailures."""
    if response is None:
        return []
    if not isinstance(response, dict):
        raise InvalidBatchItemFailures(f"the response is not an object: {type(response).__name__}")
    failures = response.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        raise InvalidBatchItemFailures("batchItemFailures is not a list")
    ids: list[str] = []
    for i, item in enumerate(failures):
        if not isinstance(item, dict) or "itemIdentifier" not in item:
            raise InvalidBatchItemFailures(f"batchItemFailures[{i}] has no itemIdentifier: {item!r}")
        ident = item["itemIdentifier"]
        if not isinstance(ident, str) or not ident:
            raise InvalidBatchItemFailures(f"batchItemFailures[{i}].itemIdentifier is null or empty")
        if ident not in valid_ids:
            raise InvalidBatchItemFailures(
                f"batchItemFailures[{i}].itemIdentifier {ident!r} is not a sequence number of this batch")
        ids.append(ident)
    return ids
