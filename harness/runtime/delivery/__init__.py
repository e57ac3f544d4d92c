"""EventBridge target delivery, done by the runtime (the endpoint itself is harness/emulators/eventbridge;
InputPath/InputTransformer are pure, in harness/patterns/transform.py).

    dispatcher.py    delivery to Lambda (accepted by Lambda's asynchronous invocation), SQS and SNS with retries and DLQ
    async_invoke.py  Lambda's asynchronous invocation: per-function queue, retries, event age, destinations, DLQ
    retrying.py      what both share: backoff, worker threads with delayed retries
    messaging.py   SendMessage / Publish for every runtime path (targets, DLQs, OnFailure), one error handling
    external.py    external mode (the backend's EventBridge routes): delivery/capture queue pollers feeding
                   the dispatcher, and the divergence report
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.runtime.runtime import Runtime

from harness.runtime.delivery.async_invoke import AsyncInvokeOptions, AsyncInvoker
from harness.runtime.delivery.dispatcher import (
    DELIVERERS,
    DeliveryError,
    DeliveryOptions,
    Dispatcher,
    deliverer,
)
from harness.runtime.delivery.messaging import Messaging


def attach_dispatcher(runtime: Runtime, options: DeliveryOptions | None = None) -> Dispatcher:
    """Give a started :class:`~harness.runtime.Runtime` its dispatcher: drain waits for its
    deliveries, stopping the runtime stops it, and the backend's own EventBridge endpoint (the
    embedded backend's) feeds it the events of this topology's rules."""
    dep = runtime.deployment
    if options is None:
        options = DeliveryOptions(trace_payloads=runtime.options.trace_payloads)
    dispatcher = Dispatcher(
        runtime.backend, runtime.trace, runtime.functions, options=options, on_activity=runtime.activity,
        rules={r.arn: logical for logical, r in dep.rules.items()},
        buses={b.name: logical for logical, b in dep.buses.items()},
        prefix=dep.prefix, now=runtime.clock.time, seed=runtime.ids.seed, messaging=runtime.messaging,
        async_invoker=runtime.async_invoker)
    runtime.add_drain_check(dispatcher.pending)
    runtime.add_health_check(dispatcher.problems)
    endpoint = getattr(runtime.backend, "eventbridge", None)
    if endpoint is not None:
        endpoint.attach(dispatcher)

    def stop() -> None:
        if endpoint is not None:
            endpoint.detach(dispatcher)
        dispatcher.stop()

    runtime.add_stopper(stop)
    return dispatcher


__all__ = ["AsyncInvokeOptions", "AsyncInvoker", "DELIVERERS", "DeliveryError", "DeliveryOptions", "Dispatcher", "Messaging", "attach_dispatcher",
           "deliverer"]
