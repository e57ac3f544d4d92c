"""``harness bugs``: the bug table of the installed scenarios (the README's table is its ``--markdown``)."""
from __future__ import annotations

import json

import click

from harness.cli.exits import fail
from harness.scenario import registry
from harness.scenario.bugs import BugTableError, markdown


@click.command("bugs")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the table as the README shows it.")
def bugs_command(as_markdown: bool) -> None:
    """List every planted bug: the scenario and variant that carry it, the check that catches it, its line.

    \b
    Each row is one bug alone in its variant, and the command that shows it. A row with faults needs
    them injected: save the JSON shown as a file and pass it to --faults (JSON is YAML).
    Exit 2 when a scenario cannot be loaded or a row's line is not in its module.
    """
    try:
        rows = registry.bugs()
        lines = [bug.location() for bug in rows]
    except (registry.ScenarioLoadError, BugTableError) as e:  # a row that does not fit the code is bad input
        fail(str(e))
    if as_markdown:
        click.echo(markdown(rows))
        return
    for bug, line in zip(rows, lines):
        click.echo(f"{bug.scenario} / {bug.variant}: {bug.bug}")
        click.echo(f"  caught by: {bug.caught_by().replace('`', '')}")
        click.echo(f"  line:      {line}")
        if bug.check is not None:
            command = f"harness run {bug.scenario} --variant {bug.variant}"
            if bug.faults is not None:
                command += f" --faults FILE   # FILE: {json.dumps(bug.faults.to_dict())}"
            click.echo(f"  run:       {command}")


__all__ = ["bugs_command"]
