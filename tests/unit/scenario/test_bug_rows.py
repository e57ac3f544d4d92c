"""The bug table's rows fit the code and the scenarios (no backend: the integration test runs them), and the
README shows exactly the table ``harness bugs --markdown`` prints."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import cli
from harness.scenario import Bug, registry
from harness.scenario.bugs import BugTableError, markdown

ROOT = Path(__file__).resolve().parents[3]
BEGIN, END = "<!-- the bug table:", "<!-- end of the bug table -->"


def test_every_row_names_a_line_of_its_module() -> None:
    for bug in registry.bugs():
        path, line = bug.location().rsplit(":", 1)
        text = (ROOT / path).read_text().splitlines()[int(line) - 1]
        assert bug.line in text and path.startswith("scenarios/")


def test_every_variant_but_fixed_and_the_articles_code_plants_a_row() -> None:
    for name in registry.names():
        scenario = registry.get(name)
        planted = {b.variant for b in scenario.bugs}
        assert scenario.variants[0] == "fixed", name
        assert set(scenario.variants) - {"fixed", "as_published"} <= planted, name


def test_a_defect_no_run_observes_names_the_test_that_shows_it() -> None:
    for bug in registry.bugs():
        if bug.check is None:
            assert bug.shown_by and (ROOT / bug.shown_by).is_file()
    with pytest.raises(ValueError, match="needs shown_by"):
        Bug("x", "s", "v", None, "harness.scenario.bugs", "class Bug")


def test_the_line_is_found_by_its_text_and_must_be_on_exactly_one_line() -> None:
    source = (ROOT / "harness/scenario/bugs.py").read_text().splitlines()
    assert Bug("x", "s", "v", "c", "harness.scenario.bugs", "class BugTableError(").location() == \
        f"harness/scenario/bugs.py:{source.index('class BugTableError(LookupError):') + 1}"
    for text in ("no such line anywhere", "import"):
        found = sum(text in line for line in source)
        with pytest.raises(BugTableError, match=f"is on {found} lines"):
            Bug("x", "s", "v", "c", "harness.scenario.bugs", text).location()


def test_the_readme_shows_the_table_harness_bugs_prints() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n", readme.index(BEGIN)) + 1
    shown = readme[start:readme.index(END)].strip()
    printed = CliRunner().invoke(cli, ["bugs", "--markdown"])
    assert printed.exit_code == 0, printed.output
    assert shown == printed.output.strip() == markdown(registry.bugs())


def test_harness_bugs_gives_the_command_that_shows_each_bug_with_its_faults() -> None:
    out = CliRunner().invoke(cli, ["bugs"]).output
    assert "harness run order-aggregator --variant ignores-failed-entries --faults FILE" in out
    assert '"kind": "put_events_failure"' in out and "harness run ip-dedup --variant forgets-delete" in out


def test_a_row_whose_line_is_gone_is_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = Bug("a bug", "ip-dedup", "forgets-delete", "dedup_count", "harness.scenario.bugs", "no such line")
    monkeypatch.setattr(registry, "bugs", lambda: [gone])
    out = CliRunner().invoke(cli, ["bugs"])
    assert out.exit_code == 2 and out.output.startswith("Error: bug 'a bug': 'no such line' is on 0 lines")
