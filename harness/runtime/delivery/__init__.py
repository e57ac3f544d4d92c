"""EventBridge target delivery, done by the runtime (the endpoint itself is harness/emulators/eventbridge;
InputPath/InputTransformer are pure, in harness/patterns/transform.py).

    dispatcher.py  delivery to Lambda (the runtime's invokers), SQS and SNS with retries and DLQ
    external.py    external mode (the backend's EventBridge routes): delivery/capture queue pollers feeding
                   the dispatcher, and the divergence report
"""
from __future__ import annotations

from typing import Any

from harness.runtime.delivery.dispatcher import (
    DELIVERERS,
    DeliveryError,
    DeliveryOptions,
    Dispatcher,
    deliverer,
)


def attach_dispatcher(runtime: Any, options: DeliveryOptions | None = None) -> Dispatcher:
    """Give a started :class:`~harness.runtime.Runtime` its dispatcher: drain waits for its
    deliveries, stopping the runtime stops it, and the backend's own EventBridge endpoint (the
    embedded backend's) feeds it the events of this topology's rules."""
    dep = runtime.deployment
    trace_payloads = getattr(runtime.options, "trace_payloads", True)
    if options is None:
        options = DeliveryOptions(trace_payloads=trace_payloads)
    dispatcher = Dispatcher(
        runtime.backend, runtime.trace, runtime.invokers, options=options, on_activity=runtime.activity,
        rules={r.arn: logical for logical, r in getattr(dep, "rules", {}).items()},
        buses={b.name: logical for logical, b in getattr(dep, "buses", {}).items()},
        prefix=getattr(dep, "prefix", ""))
    runtime.add_drain_check(dispatcher.pending)
    endpoint = getattr(runtime.backend, "eventbridge", None)
    if endpoint is not None:
        endpoint.attach(dispatcher)

    def stop() -> None:
        if endpoint is not None:
            endpoint.detach(dispatcher)
        dispatcher.stop()

    runtime.add_stopper(stop)
    return dispatcher


__all__ = ["DELIVERERS", "DeliveryError", "DeliveryOptions", "Dispatcher", "attach_dispatcher", "deliverer"]
