"""What every emulated service's responses.py shares: a registry of operations by AWS's name, and
the check for a required parameter (each service words and types that error its own way)."""
from __future__ import annotations

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


def required(params: Mapping[str, Any], name: str, error: Callable[[str], Exception]) -> Any:
    """``params[name]``, or ``error(name)`` raised when it is missing or empty."""
    value = params.get(name)
    if value is None or value == "":
        raise error(name)
    return value


__all__ = ["Operations", "required"]
