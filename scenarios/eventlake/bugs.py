"""The event lake's rows of the bug table: each planted bug, the variant that carries it, the check that
must catch it and the handler line that causes it. The bug-table tests run every row and assert that
its check fails while the ``fixed`` variant passes every check."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Bug:
    bug: str
    scenario: str
    variant: str
    #: the check that catches it
    check: str
    #: "module:function" of the faulty handler
    handler: str
    #: the faulty line, as written in the handler
    line: str
    #: other checks it fails too
    also: tuple[str, ...] = ()

    def location(self) -> str:
        """"path:line" of the faulty line inside its function (the module is read, not imported: handler
        modules read their configuration from the environment when imported)."""
        module, function = self.handler.split(":")
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise LookupError(f"bug {self.bug!r}: module {module} not found")
        lines = Path(spec.origin).read_text().splitlines()
        start = next((i for i, text in enumerate(lines) if text.startswith(f"def {function}(")), None)
        if start is None:
            raise LookupError(f"bug {self.bug!r}: no function {function} in {spec.origin}")
        for i in range(start + 1, len(lines)):
            if lines[i].startswith(("def ", "class ")):
                break
            if self.line in lines[i]:
                return f"{module.replace('streamharness.', '').replace('.', '/')}.py:{i + 1}"
        raise LookupError(f"bug {self.bug!r}: line {self.line!r} not in {function}")

    def table_row(self) -> str:
        """The row of the README's bug table: bug | variant | check that catches it | handler line."""
        return f"| {self.bug} | `{self.variant}` | `{self.check}` | `{self.location()}` |"


BUGS: tuple[Bug, ...] = (
    Bug("an immutable event overwritten (PutItem with no condition)", "eventlake", "unconditional-put",
        "no_modify", "streamharness.scenarios.eventlake.ingestion:ingest_unconditional",
        "dynamodb.put_item(TableName=table_name, Item=to_item(request))",
        also=("duplicates_rejected", "replay_equality")),
    Bug("a retry stored as a second event (the event keyed on its arrival time)", "eventlake",
        "server-timestamp", "duplicates_rejected", "streamharness.scenarios.eventlake.ingestion:ingest_server_timestamp",
        'request = {**request, "timestamp": datetime.now(UTC).isoformat()}',
        also=("consumed_exactly_once", "projection_matches_reference")),
    Bug("a TTL expiry treated as a business delete (a consumer handling REMOVE)", "eventlake", "handles-remove",
        "ttl_not_business_delete", "streamharness.scenarios.eventlake.handlers:entity_totals_handles_remove",
        'elif record["eventName"] == "REMOVE":', also=("replay_equality", "projection_matches_reference")),
)
