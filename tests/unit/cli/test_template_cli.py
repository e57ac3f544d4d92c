"""``--template`` on ``harness up``: exclusive with ``--topology``, parameters, errors exit 2 before anything starts."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import cli

TEMPLATES = Path(__file__).parents[1] / "topology" / "templates"


@pytest.mark.parametrize(("args", "message"), [
    ([], "give --topology FILE or --template FILE"),
    (["--topology", str(TEMPLATES / "conditions.yaml"), "--template", str(TEMPLATES / "conditions.yaml")],
     "give either --topology FILE or --template FILE (not both)"),
    (["--topology", str(TEMPLATES / "conditions.yaml"), "--parameter", "Stage=prod"],
     "--parameter applies to --template only"),
    (["--template", str(TEMPLATES / "conditions.yaml"), "--parameter", "Stage"], "expected NAME=VALUE"),
    (["--template", str(TEMPLATES / "conditions.yaml"), "--parameter", "Stage=qa"],
     "conditions.yaml: Parameters.Stage: 'qa' is not one of AllowedValues ['dev', 'prod']"),
])
def test_bad_arguments_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["up", *args])
    assert result.exit_code == 2
    assert message in result.output
