"""Layer 2: where the AWS APIs are served. A registry keyed by name, not an if-chain."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.backends.aws import AwsBackend
from harness.backends.base import Backend, Capabilities, EventBridgeRouting
from harness.backends.embedded import EmbeddedBackend
from harness.backends.localstack import LocalStackBackend

BACKENDS: dict[str, Callable[..., Backend]] = {
    "embedded": EmbeddedBackend, "localstack": LocalStackBackend, "aws": AwsBackend}


def create_backend(name: str, **options: Any) -> Backend:
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; available: {', '.join(sorted(BACKENDS))}") from None
    return factory(**options)


__all__ = ["BACKENDS", "AwsBackend", "Backend", "Capabilities", "EmbeddedBackend", "EventBridgeRouting",
           "LocalStackBackend", "create_backend"]
