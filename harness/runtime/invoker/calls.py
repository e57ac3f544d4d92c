"""A log of the AWS API calls a handler makes, per invocation.

Every botocore client funnels its calls through ``BaseClient._make_api_call`` (the hook AWS's own
X-Ray SDK patches), so wrapping it sees calls from any client or session a handler creates. The
wrapper is installed while some invoker needs it (a count of ``install``/``uninstall``) and the
original put back after the last one.
Only calls made while a thread runs an invocation are recorded; the harness's own calls are not.

Each record says how many times the SDK retried the call (``retries``) and, for DynamoDB reads, the
items the call returned in DynamoDB JSON (``read_items``, at most ``MAX_READ_ITEMS`` per call) so a
recorded invocation can be replayed against the data it saw. ``intercepting(around)`` lets a fault plan
stand between the handler and botocore for this thread's calls.
"""
from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from botocore.client import BaseClient

Call = dict[str, Any]
#: ``around(client, operation, params, call)`` returns the response; ``call(params)`` makes the real call
Around = Callable[[BaseClient, str, dict[str, Any], Callable[[dict[str, Any]], Any]], Any]
MAX_READ_ITEMS = 50
_READS = ("GetItem", "Query", "Scan", "BatchGetItem")
_local = threading.local()
_installed = 0
_original: Any = None
_lock = threading.Lock()


def _items(service: str, operation: str, params: dict[str, Any], response: dict[str, Any]) -> tuple[int, int, int]:
    """(items read, items scanned, items written) for the DynamoDB operations that move items."""
    if service != "dynamodb":
        return 0, 0, 0
    if operation in ("Scan", "Query"):
        return response.get("Count", 0), response.get("ScannedCount", 0), 0
    if operation == "GetItem":
        return (1 if response.get("Item") else 0), 0, 0
    if operation == "BatchGetItem":
        n = sum(len(v) for v in response.get("Responses", {}).values())
        return n, 0, 0
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return 0, 0, 1
    if operation == "BatchWriteItem":
        return 0, 0, sum(len(v) for v in params.get("RequestItems", {}).values())
    if operation == "TransactWriteItems":
        return 0, 0, len(params.get("TransactItems", []))
    return 0, 0, 0


def _resource(params: dict[str, Any]) -> str | None:
    for key in ("TableName", "QueueUrl", "TopicArn", "EventBusName", "StreamArn"):
        if key in params:
            return str(params[key])
    if "Entries" in params:  # PutEvents: the buses it targets
        buses = sorted({str(e.get("EventBusName", "default")) for e in params["Entries"] if isinstance(e, dict)})
        return ",".join(buses)
    return None


def _put_events_entries(params: dict[str, Any], response: dict[str, Any]) -> list[dict[str, Any]]:
    """Each entry as sent, with the bus's per-entry verdict: a caller that ignores FailedEntryCount
    loses events silently, and this is where that shows."""
    results = response.get("Entries", [])
    out = []
    for i, entry in enumerate(params.get("Entries", [])):
        verdict = results[i] if i < len(results) else {}
        out.append({"source": entry.get("Source"), "detail_type": entry.get("DetailType"),
                    "detail": entry.get("Detail"), "bus": entry.get("EventBusName", "default"),
                    "event_id": verdict.get("EventId"), "error_code": verdict.get("ErrorCode")})
    return out


def _snapshot_read(parsed: dict[str, Any] | None = None, model: Any = None, **_: Any) -> None:
    """``after-call`` (registered first, before boto3's resource layer turns DynamoDB JSON into Python):
    keep the items a read returned, for the call record."""
    if model is None or model.name not in _READS or not isinstance(parsed, dict) or getattr(_local, "sink", None) is None:
        return
    if model.name == "GetItem":
        items = [parsed["Item"]] if parsed.get("Item") else []
    elif model.name == "BatchGetItem":
        items = [i for v in parsed.get("Responses", {}).values() for i in v]
    else:
        items = list(parsed.get("Items", []))
    _local.read_items = copy.deepcopy(items[:MAX_READ_ITEMS]), len(items) > MAX_READ_ITEMS


def _retries(response: Any) -> int:
    return int((response or {}).get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0)


def install() -> None:
    global _installed, _original
    with _lock:
        _installed += 1
        if _installed > 1:
            return
        original = _original = BaseClient._make_api_call

        def _make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            sink: list[Call] | None = getattr(_local, "sink", None)
            if sink is None:
                return original(self, operation_name, api_params)
            service = self.meta.service_model.service_name
            if service == "dynamodb":
                self.meta.events.register_first("after-call.dynamodb", _snapshot_read,
                                                unique_id="streamharness-read-items")
            t0 = time.perf_counter()
            call: Call = {"service": service, "operation": operation_name, "resource": _resource(api_params)}
            around: Around | None = getattr(_local, "around", None)
            _local.read_items = None
            try:
                if around is None:
                    response = original(self, operation_name, api_params)
                else:
                    response = around(self, operation_name, api_params, lambda p: original(self, operation_name, p))
            except Exception as e:
                call["error"] = getattr(e, "response", {}).get("Error", {}).get("Code") or type(e).__name__
                call["retries"] = _retries(getattr(e, "response", None))
                raise
            else:
                read, scanned, written = _items(service, operation_name, api_params, response)
                call.update(items_read=read, items_scanned=scanned, items_written=written,
                            retries=_retries(response))
                if _local.read_items is not None:
                    call["read_items"], truncated = _local.read_items
                    if truncated:
                        call["read_items_truncated"] = True
                if operation_name == "PutEvents":
                    call["failed_entry_count"] = response.get("FailedEntryCount", 0)
                    call["entries"] = _put_events_entries(api_params, response)
                return response
            finally:
                call["duration_ms"] = round((time.perf_counter() - t0) * 1000, 3)
                sink.append(call)

        BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


def uninstall() -> None:
    """Undo one ``install``; the last one puts botocore's own method back."""
    global _installed, _original
    with _lock:
        if _installed == 0:
            raise RuntimeError("calls.uninstall() without a matching install()")
        _installed -= 1
        if _installed == 0:
            BaseClient._make_api_call = _original  # type: ignore[method-assign]
            _original = None


@contextmanager
def _thread_value(name: str, value: Any) -> Iterator[None]:
    previous = getattr(_local, name, None)
    setattr(_local, name, value)
    try:
        yield
    finally:
        setattr(_local, name, previous)


def intercepting(around: Around) -> AbstractContextManager[None]:
    """Pass this thread's recorded API calls through ``around`` while the block runs."""
    return _thread_value("around", around)


def recording(sink: list[Call]) -> AbstractContextManager[None]:
    """Record this thread's API calls into ``sink`` while the block runs."""
    return _thread_value("sink", sink)
