"""The bug table: every bug a scenario plants, the variant that carries it alone, the check that must
catch it, and the line where it lives.

A scenario lists its rows in ``Scenario.bugs``. The table is data, so one test runs every row and
asserts that its check fails (and that every ``fixed`` variant passes), and the README's table is
generated from it (``harness bugs --markdown``; ``registry.bugs()`` gathers the rows). The line is found by reading the module's source
for the row's text, never by number, so the table follows the code.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.runtime.faults import FaultPlan


class BugTableError(LookupError):
    """A row of the bug table that does not fit the code: its module or its line is not found."""


@dataclass(frozen=True)
class Bug:
    """One planted bug.

    ``check`` is the check whose failure names it; ``cause``, where that check counts several things,
    is the key of its ``actual`` that counts this bug (e.g. ``too_many_entries`` of ``lost_by_cause``).
    ``module`` and ``line`` say where it lives: a dotted module (handler code, or ``topology`` for a
    configuration bug) and the text of the line, which must be on exactly one line of it. ``faults``:
    the faults a run needs for the bug to show (a PutEvents entry the bus rejects, say); ``shown_by``:
    for a defect no run can observe (``check`` None), the test that shows it instead.
    """

    bug: str
    scenario: str
    variant: str
    check: str | None
    module: str
    line: str
    cause: str | None = None
    faults: FaultPlan | None = None
    shown_by: str | None = None

    def __post_init__(self) -> None:
        if self.check is None and not self.shown_by:
            raise ValueError(f"bug {self.bug!r}: a bug no check catches needs shown_by")

    def location(self) -> str:
        """``path:line`` of the bug's line, the path relative to the folder holding the module's top
        package (``scenarios/outbox/topology.py:43`` in this repository). The module is read, not
        imported: handler modules read their settings from the environment when imported."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            raise BugTableError(f"bug {self.bug!r}: module {self.module} not found")
        path = Path(spec.origin)
        found = [n for n, text in enumerate(path.read_text().splitlines(), 1) if self.line in text]
        if len(found) != 1:
            raise BugTableError(f"bug {self.bug!r}: {self.line!r} is on {len(found)} lines of {path}, not 1")
        root = path.parent
        while (root / "__init__.py").exists():
            root = root.parent
        return f"{path.relative_to(root)}:{found[0]}"

    def caught_by(self) -> str:
        """The check column: the check (and cause), the faults the run needs, or where it is shown."""
        if self.check is None:
            return f"none in a run; shown by `{self.shown_by}`"
        text = f"`{self.check}`" + (f" ({self.cause})" if self.cause else "")
        if self.faults is not None:
            text += " under " + ", ".join(_fault_text(f.to_dict()) for f in self.faults.faults)
        return text


def _fault_text(fault: Mapping[str, Any]) -> str:
    options = ", ".join(f"{k} {v}" for k, v in fault.items() if k not in ("kind", "function"))
    return f"{fault['kind']}" + (f" ({options})" if options else "")


HEADER = ("| bug | scenario | variant | caught by | line |", "|---|---|---|---|---|")


def markdown(bugs: Iterable[Bug]) -> str:
    """The README's table: one row per bug, in the order given."""
    rows = [f"| {b.bug} | {b.scenario} | `{b.variant}` | {b.caught_by()} | `{b.location()}` |" for b in bugs]
    return "\n".join([*HEADER, *rows])


__all__ = ["Bug", "BugTableError", "HEADER", "markdown"]
