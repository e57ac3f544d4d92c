"""The reliability matrix: each fault kind against each scenario that joined it (small sizes), and the
README's table is this test's data."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from harness.scenario.matrix import FAULTS, markdown, members, run_cell

README = Path(__file__).parents[3] / "README.md"

#: (scenario, fault) -> the outcome the matrix must show
EXPECTED: dict[tuple[str, str], str] = {
    ("ip-dedup", "error"): "passes",
    ("ip-dedup", "poison"): "stuck",
    ("ip-dedup", "timeout"): "fails: dedup_count, per_ip_alternation",
    ("ip-dedup", "latency"): "passes",
    ("ip-dedup", "throttle"): "passes",
    ("ip-dedup", "put_events_failure"): "passes (nothing to inject)",
    ("ip-dedup", "duplicate"): "fails: dedup_count, per_ip_alternation",
    ("order-aggregator", "error"): "passes",
    ("order-aggregator", "poison"): "stuck",
    ("order-aggregator", "timeout"): "passes",
    ("order-aggregator", "latency"): "passes",
    ("order-aggregator", "throttle"): "passes",
    ("order-aggregator", "put_events_failure"): "passes",
    ("order-aggregator", "duplicate"): "passes",
}


def test_every_member_and_fault_has_an_expected_outcome() -> None:
    assert set(EXPECTED) == {(s, f) for s in members() for f in FAULTS}


def test_the_readme_shows_the_matrix() -> None:
    table = markdown(EXPECTED, sorted({s for s, _ in EXPECTED}))
    assert table in README.read_text(), f"README.md's matrix is out of date; it should read:\n{table}"


@pytest.mark.matrix
@pytest.mark.parametrize(("scenario", "fault"), sorted(EXPECTED))
def test_cell(scenario: str, fault: str, backend: Any) -> None:
    cell = run_cell(scenario, fault, backend=backend)
    assert cell.outcome == EXPECTED[scenario, fault], cell
    if cell.outcome == "stuck":  # drain names the mapping and the injected fault it keeps retrying
        assert re.search(r"mapping \S+ shard .*retrying a batch.*injected poison", cell.notes[0]), cell.notes
    elif not cell.outcome.startswith("passes (nothing"):
        assert cell.injected > 0
