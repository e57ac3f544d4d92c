"""The table-to-bus rows of the bug table: each bug, the variant that carries it, the check that catches
it (and the cause that check names) and the handler line where it lives.

``handler_line`` finds the line by its text, so the table follows the code. A row whose ``check`` is None
is a defect no run can observe; ``shown_by`` names where it is demonstrated instead.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

HANDLERS = "streamharness.scenarios.table_to_bus.handlers"


@dataclass(frozen=True)
class Bug:
    bug: str
    variant: str
    check: str | None
    cause: str | None  # the key of oracles.LOSS_CAUSES the failed check names
    line_text: str  # the handler line's text (unique in handlers.py)
    shown_by: str = "a run of the variant"


BUGS = [
    Bug("PutEvents with more than 10 entries: the docstring assumes batches of at most 10, BatchSize is 100",
        "as_published", "stream_to_bus_accounting", "too_many_entries", "events_client.put_events(Entries=events_to_put)"),
    Bug("FailedEntryCount ignored: an entry the bus rejects is lost silently", "as_published",
        "stream_to_bus_accounting", "entry_rejected", "events_client.put_events(Entries=events_to_put)",
        shown_by="tests/unit/scenarios/table_to_bus/test_table_oracles.py (the embedded bus rejects no entry this "
                 "processor sends, and the 10-entry failure comes first)"),
    Bug("Decimal not serialisable: images deserialised with TypeDeserializer before json.dumps", "decimal",
        "stream_to_bus_accounting", "decimal", "lambda record: json.dumps(_plain(record))"),
    Bug("datetime.utcfromtimestamp: deprecated since Python 3.12, a naive datetime (botocore reads it as UTC)",
        "as_published", None, None, '"Time": datetime.utcfromtimestamp(',
        shown_by="tests/unit/scenarios/table_to_bus/test_table_handlers.py"),
]


def handler_line(bug: Bug) -> str:
    """``handlers.py:N`` of the bug's line (ValueError if the text is not on exactly one line)."""
    spec = importlib.util.find_spec(HANDLERS)  # read, not imported: its module-level clients need a region
    assert spec is not None and spec.origin is not None
    lines = Path(spec.origin).read_text().splitlines()
    found = [i + 1 for i, line in enumerate(lines) if bug.line_text in line]
    if len(found) != 1:
        raise ValueError(f"{bug.bug}: {bug.line_text!r} is on {len(found)} lines of handlers.py, not 1")
    return f"handlers.py:{found[0]}"


def markdown_table() -> str:
    """The rows as the README shows them (a test keeps the README equal to this)."""
    rows = ["| bug | variant | check (cause) | line |", "|---|---|---|---|"]
    for b in BUGS:
        check = f"{b.check} ({b.cause})" if b.check else "none in a run"
        if b.shown_by != "a run of the variant":
            check += f"; shown by {b.shown_by}"
        rows.append(f"| {b.bug} | {b.variant} | {check} | {handler_line(b)} |")
    return "\n".join(rows)
