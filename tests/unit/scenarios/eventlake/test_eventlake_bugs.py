"""The event lake's bug-table rows point at real variants, checks and handler lines."""
from __future__ import annotations

from pathlib import Path

import pytest

from streamharness.scenarios.eventlake.bugs import BUGS, Bug
from streamharness.scenarios.eventlake.oracles import CAUSES
from streamharness.scenarios.eventlake.scenario import EventLake


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.variant)
def test_each_row_names_a_variant_a_check_and_a_line_of_its_handler(bug: Bug) -> None:
    assert bug.scenario == EventLake.name and bug.variant in EventLake().variants and bug.variant != "fixed"
    assert bug.check in CAUSES and set(bug.also) <= set(CAUSES)
    path, line = bug.location().rsplit(":", 1)
    assert path.startswith("scenarios/eventlake/") and int(line) > 0


def test_a_line_not_in_its_function_is_an_error() -> None:
    planted = next(b for b in BUGS if b.variant == "handles-remove")
    moved = Bug("x", "eventlake", "handles-remove", "no_modify", planted.handler.replace("_handles_remove", ""),
                planted.line)
    with pytest.raises(LookupError, match="not in entity_totals"):
        moved.location()


def test_every_planted_variant_has_a_row() -> None:
    assert {b.variant for b in BUGS} == set(EventLake().variants) - {"fixed"}


def test_the_readme_table_is_the_bug_rows() -> None:
    readme = (Path(__file__).parents[4] / "README.md").read_text()
    table = readme.split("## Scenario: event lake", 1)[1].split("| bug | variant | caught by | handler line |", 1)[1]
    rows = table.split("\n\n", 1)[0].splitlines()[2:]
    assert rows == [b.table_row() for b in BUGS]
