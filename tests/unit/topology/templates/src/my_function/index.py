"""The article's rule target, as a fixture: keeps what it receives (the rule's InputPath is $.detail)."""
from __future__ import annotations

from typing import Any

received: list[dict[str, Any]] = []


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    received.append(event)
