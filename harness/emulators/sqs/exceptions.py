"""SQS's errors. ``code`` is what boto3 shows as ``Error.Code`` (the query protocol's code, sent in
the ``x-amzn-query-error`` header), ``shape`` the JSON protocol's ``__type`` (botocore picks the
modeled exception class, e.g. ``client.exceptions.QueueDoesNotExist``, by it)."""
from __future__ import annotations


class SqsError(Exception):
    code = "InternalError"
    shape = ""
    status = 400
    sender_fault = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def type(self) -> str:
        return self.shape or self.code


def _error(name: str, code: str, shape: str = "", status: int = 400) -> type[SqsError]:
    return type(name, (SqsError,), {"code": code, "shape": shape, "status": status})


QueueDoesNotExist = _error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
QueueNameExists = _error("QueueNameExists", "QueueAlreadyExists", "QueueNameExists")
InvalidParameterValue = _error("InvalidParameterValue", "InvalidParameterValue")
MissingParameter = _error("MissingParameter", "MissingParameter")
InvalidAttributeName = _error("InvalidAttributeName", "InvalidAttributeName", "InvalidAttributeName")
InvalidAttributeValue = _error("InvalidAttributeValue", "InvalidAttributeValue", "InvalidAttributeValue")
InvalidMessageContents = _error("InvalidMessageContents", "InvalidMessageContents", "InvalidMessageContents")
ReceiptHandleIsInvalid = _error("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid")
MessageNotInflight = _error("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight")
PurgeQueueInProgress = _error("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
                              "PurgeQueueInProgress", 403)
EmptyBatchRequest = _error("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest")
TooManyEntriesInBatchRequest = _error("TooManyEntriesInBatchRequest",
                                      "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                                      "TooManyEntriesInBatchRequest")
BatchEntryIdsNotDistinct = _error("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                                  "BatchEntryIdsNotDistinct")
InvalidBatchEntryId = _error("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
                             "InvalidBatchEntryId")
BatchRequestTooLong = _error("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
                             "BatchRequestTooLong")
UnsupportedOperation = _error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation",
                              "UnsupportedOperation")
InvalidAction = _error("InvalidAction", "InvalidAction")
SerializationException = _error("SerializationException", "SerializationException")

__all__ = [n for n, v in list(globals().items()) if isinstance(v, type) and issubclass(v, SqsError)]
