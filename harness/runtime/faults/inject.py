"""Applies a FaultPlan: an interceptor of the FunctionService (errors, poison records, timeouts, latency,
duplicate deliveries) and, while an invocation runs in this process, a botocore hook on the handler's
calls (throttling answered at the HTTP layer so the SDK's own retries run; PutEvents entries rejected).

Every injection is a ``fault`` trace event naming the fault, the function and the request id.
API-call faults reach handlers that run in this process (the ``in-process`` invoker, the default);
a ``worker`` invoker's handlers make their calls in another process, where the hook is not installed.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient

from harness.runtime.faults.plan import Fault, FaultPlan, event_token, matches, records_of
from harness.runtime.functions import FunctionService, InvocationRequest, Proceed
from harness.runtime.invoker import InvocationResult
from harness.runtime.invoker import calls as api_calls
from harness.trace import Trace

_local = threading.local()


class _Body:
    """The raw body botocore reads a response from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def throttle_response(client: BaseClient, code: str, message: str) -> AWSResponse:
    """An HTTP 400 the client parses as ``code``, in its protocol's shape (JSON or query XML)."""
    model = client.meta.service_model
    if model.protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"}
    else:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>").encode()
        headers = {"Content-Type": "text/xml"}
    return AWSResponse(client.meta.endpoint_url, 400, headers, _Body(body))


class FaultInjector:
    """``attach(service)`` puts the plan into effect for every invocation of ``service``; ``detach`` ends it."""

    def __init__(self, plan: FaultPlan, trace: Trace) -> None:
        self.plan = plan
        self.trace = trace
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._service: FunctionService | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def attach(self, service: FunctionService) -> None:
        self._service = service
        service.interceptors.append(self.intercept)
        api_calls.install()
        self.trace.emit("fault", fault="plan", plan=self.plan.to_dict())

    def detach(self) -> None:
        if self._service is not None:
            self._service.interceptors.remove(self.intercept)
            self._service = None
            api_calls.uninstall()

    # -- decisions -------------------------------------------------------------------------------
    def _take(self, index: int, fault: Fault, token: str) -> bool:
        """Whether ``fault`` hits what ``token`` names (its rate, then its limit)."""
        if fault.rate < 1.0 and self.plan.chance(index, token) >= fault.rate:
            return False
        with self._lock:
            if fault.limit is not None and self.injected[f"{index}"] >= fault.limit:
                return False
            self.injected[f"{index}"] += 1
        return True

    def _emit(self, index: int, fault: Fault, function: str, request_id: str, **fields: Any) -> None:
        self.trace.emit("fault", fault=fault.kind, index=index, function=function, request_id=request_id, **fields)

    def _applies(self, fault: Fault, request: InvocationRequest) -> bool:
        if fault.function is not None and fault.function != request.function:
            return False
        if fault.key is None and not fault.where:
            return True
        return any(matches(fault, r) for r in records_of(request.event))

    # -- the interceptor -------------------------------------------------------------------------
    def intercept(self, request: InvocationRequest, proceed: Proceed) -> InvocationResult:
        fn, rid, token = request.function, request.request_id, event_token(request.event)
        duplicate = "duplicate_of" in request.tags
        dup_fault: tuple[int, Fault] | None = None
        timeout: tuple[int, Fault] | None = None
        for i, f in enumerate(self.plan.faults):
            if f.on_calls or not self._applies(f, request):
                continue
            if f.kind == "latency" and self._take(i, f, f"{token}:{request.attempt}"):
                self._emit(i, f, fn, rid, latency_ms=f.latency_ms)
                time.sleep(f.latency_ms / 1000)
            elif f.kind in ("error", "poison") and (f.kind == "poison" or request.attempt <= f.attempts) \
                    and self._take(i, f, f"{token}:{request.attempt}"):
                message = f"injected {f.kind} (fault {i}) in {fn}, attempt {request.attempt}"
                self._emit(i, f, fn, rid, error_type=f.error_type, attempt=request.attempt)
                return InvocationResult(rid, ok=False, error_type=f.error_type, error_message=message)
            elif f.kind == "timeout" and timeout is None and request.attempt <= f.attempts \
                    and self._take(i, f, f"{token}:{request.attempt}"):
                timeout = (i, f)
            elif f.kind == "duplicate" and not duplicate and dup_fault is None and request.attempt == 1 \
                    and self._take(i, f, token):
                dup_fault = (i, f)
        with api_calls.intercepting(self._around_call(request)):
            result = proceed(request)
        if timeout is not None:
            i, f = timeout
            self._emit(i, f, fn, rid, handler_ok=result.ok)
            result = replace(result, ok=False, response=None, error_type="Sandbox.Timedout",
                             error_message=f"Task timed out (injected: fault {i})")
        if dup_fault is not None and self._service is not None:
            i, f = dup_fault
            self._emit(i, f, fn, rid)
            self._service.invoke(replace(request, request_id="", tags={**request.tags, "duplicate_of": rid}))
        return result

    # -- the API-call hook -----------------------------------------------------------------------
    def _around_call(self, request: InvocationRequest) -> api_calls.Around:
        def around(client: BaseClient, operation: str, params: dict[str, Any],
                   call: Callable[[dict[str, Any]], Any]) -> Any:
            service = client.meta.service_model.service_name
            token = f"{request.function}:{operation}:{json.dumps(params, sort_keys=True, default=str)}:" \
                    f"{request.attempt}"
            for i, f in enumerate(self.plan.faults):
                if f.function is not None and f.function != request.function:
                    continue
                if f.kind == "throttle" and f.service == service and f.operation in (None, operation) \
                        and self._take(i, f, token):
                    return self._throttled(i, f, request, client, operation, lambda: call(params))
                if f.kind == "put_events_failure" and service == "events" and operation == "PutEvents" \
                        and request.attempt <= f.attempts:
                    return self._put_events(i, f, request, params, call)
            return call(params)
        return around

    def _throttled(self, index: int, fault: Fault, request: InvocationRequest, client: BaseClient, operation: str,
                   call: Callable[[], Any]) -> Any:
        """``fault.attempts`` HTTP attempts of this call answered with the throttling error; botocore's retry
        handler sees each one and retries as it would against AWS."""
        left, thread = [fault.attempts], threading.get_ident()
        event = f"before-send.{client.meta.service_model.service_name}.{operation}"

        def before_send(**_: Any) -> AWSResponse | None:
            if left[0] <= 0 or threading.get_ident() != thread:  # a shared client: only this call's attempts
                return None
            left[0] -= 1
            self._emit(index, fault, request.function, request.request_id, service=client.meta.service_model.service_name,
                       operation=operation, error_code=fault.code, http_attempt=fault.attempts - left[0])
            return throttle_response(client, fault.code, "Rate exceeded (injected)")

        client.meta.events.register_first(event, before_send)
        try:
            return call()
        finally:
            client.meta.events.unregister(event, before_send)

    def _put_events(self, index: int, fault: Fault, request: InvocationRequest, params: dict[str, Any],
                    call: Callable[[dict[str, Any]], Any]) -> Any:
        """Entries the fault rejects are not sent; the answer carries them with ``fault.code``, as EventBridge
        answers a partial failure (HTTP 200, FailedEntryCount > 0)."""
        entries = list(params.get("Entries", []))
        rejected = {n for n, e in enumerate(entries)
                    if self._take(index, fault, f"{request.function}:{json.dumps(e, sort_keys=True, default=str)}:"
                                                f"{request.attempt}")}
        if not rejected:
            return call(params)
        kept = [e for n, e in enumerate(entries) if n not in rejected]
        response = call({**params, "Entries": kept}) if kept else {"Entries": [], "FailedEntryCount": 0}
        sent = iter(response.get("Entries", []))
        merged = [{"ErrorCode": fault.code, "ErrorMessage": f"injected (fault {index})"} if n in rejected
                  else next(sent) for n in range(len(entries))]
        for n in sorted(rejected):
            self._emit(index, fault, request.function, request.request_id, operation="PutEvents", error_code=fault.code,
                       entry=n, detail_type=entries[n].get("DetailType"))
        return {**response, "Entries": merged, "FailedEntryCount": response.get("FailedEntryCount", 0) + len(rejected)}


__all__ = ["FaultInjector", "throttle_response"]
