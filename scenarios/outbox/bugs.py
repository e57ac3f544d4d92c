"""The outbox-to-queue rows of the bug table: each bug (the article's own warnings), the variant that
carries it, the check that catches it and the line where it lives.

Both bugs are configuration, not handler code, so their line is in ``topology.py``; ``line`` finds it by
its text, so the table follows the code.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

MODULE = "streamharness.scenarios.outbox.topology"


@dataclass(frozen=True)
class Bug:
    bug: str
    variant: str
    check: str
    line_text: str  # the text of the line that plants it (unique in topology.py)


BUGS = [
    Bug("a poison record without bisect stalls the shard: no BisectBatchOnFunctionError, no OnFailure destination, "
        "MaximumRetryAttempts -1", "no-bisect", "shard_not_blocked",
        "maximum_retry_attempts=-1, bisect_batch_on_function_error=False"),
    Bug("a consumer queue without a DLQ loops: a message the consumer cannot process comes back for ever",
        "no-consumer-dlq", "no_looping_message", "redrive = None  # planted"),
]


def line(bug: Bug) -> str:
    """``topology.py:N`` of the bug's line (ValueError if its text is not on exactly one line)."""
    spec = importlib.util.find_spec(MODULE)
    assert spec is not None and spec.origin is not None
    lines = Path(spec.origin).read_text().splitlines()
    found = [i + 1 for i, text in enumerate(lines) if bug.line_text in text]
    if len(found) != 1:
        raise ValueError(f"{bug.bug}: {bug.line_text!r} is on {len(found)} lines of topology.py, not 1")
    return f"topology.py:{found[0]}"


def markdown_table() -> str:
    """The rows as the README shows them (a test keeps the README equal to this)."""
    rows = ["| bug | variant | check | line |", "|---|---|---|---|"]
    rows += [f"| {b.bug} | {b.variant} | {b.check} | {line(b)} |" for b in BUGS]
    return "\n".join(rows)
