"""SNS's errors (query protocol): ``code`` is the ``<Code>`` boto3 shows as ``Error.Code``."""
from __future__ import annotations


class SnsError(Exception):
    code = "InternalError"
    status = 400
    sender_fault = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(SnsError):
    code = "NotFound"
    status = 404


class InvalidParameter(SnsError):
    code = "InvalidParameter"


class InvalidParameterValue(SnsError):
    code = "InvalidParameterValue"


class TagLimitExceeded(SnsError):
    code = "TagLimitExceeded"


class InvalidAction(SnsError):
    code = "InvalidAction"


class EmptyBatchRequest(SnsError):
    code = "EmptyBatchRequest"


class TooManyEntriesInBatchRequest(SnsError):
    code = "TooManyEntriesInBatchRequest"


class BatchEntryIdsNotDistinct(SnsError):
    code = "BatchEntryIdsNotDistinct"


class InvalidBatchEntryId(SnsError):
    code = "InvalidBatchEntryId"


class BatchRequestTooLong(SnsError):
    code = "BatchRequestTooLong"


__all__ = ["BatchEntryIdsNotDistinct", "BatchRequestTooLong", "EmptyBatchRequest", "InvalidAction",
           "InvalidBatchEntryId", "InvalidParameter", "InvalidParameterValue", "NotFound", "SnsError",
           "TagLimitExceeded", "TooManyEntriesInBatchRequest"]
