"""What every emulated service's responses.py shares: a registry of operations by AWS's name, the
reading of an AWS JSON protocol request, and the check for a required parameter (each service
words and types those errors its own way)."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])


class Operations(Generic[Handler]):
    """``@ops("SendMessage")`` registers a handler; ``ops.get(name)`` finds it; ``ops.names`` lists them."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    def __call__(self, name: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[name] = fn
            return fn
        return register

    def get(self, name: str) -> Handler | None:
        return self.handlers.get(name)

    @property
    def names(self) -> str:
        return ", ".join(sorted(self.handlers))


def json_request(operations: Operations[Handler], prefix: str, target: str | None, body: bytes, *,
                 unknown: Callable[[str], Exception], malformed: Callable[[str], Exception]
                 ) -> tuple[str, Handler, dict[str, Any]]:
    """AWS's JSON protocol: the operation ``X-Amz-Target: <prefix><Operation>`` names, its handler and
    the body's JSON object; ``unknown(message)`` or ``malformed(message)`` raised where there is none."""
    name = target[len(prefix):] if target and target.startswith(prefix) else None
    if name is None:
        raise unknown(f"Missing or unknown X-Amz-Target header {target!r}: this endpoint speaks AWS's JSON "
                      f"protocol, X-Amz-Target: {prefix}<Operation>")
    handler = operations.get(name)
    if handler is None:
        raise unknown(f"Operation {name} is not served by this endpoint (served: {operations.names})")
    try:
        params = json.loads(body) if body else {}
    except ValueError as e:
        raise malformed(f"The request body is not valid JSON: {e}") from None
    if not isinstance(params, dict):
        raise malformed("The request body must be a JSON object")
    return name, handler, params


def required(params: Mapping[str, Any], name: str, error: Callable[[str], Exception]) -> Any:
    """``params[name]``, or ``error(name)`` raised when it is missing or empty."""
    value = params.get(name)
    if value is None or value == "":
        raise error(name)
    return value


__all__ = ["Operations", "json_request", "required"]
