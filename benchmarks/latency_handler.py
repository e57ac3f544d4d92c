"""Handler for bench_latency.py: notes when each record reached it."""
from __future__ import annotations

import time
from typing import Any

ARRIVALS: dict[str, float] = {}


def handler(event: dict[str, Any], context: Any) -> None:
    now = time.time()
    for r in event["Records"]:
        ARRIVALS[r["dynamodb"]["Keys"]["k"]["S"]] = now
