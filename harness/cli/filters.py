"""``harness test-filter``: does a stream record pass a FilterCriteria pattern? (no backend needed)"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from harness.topology import FilterCriteria, ValidationException


def json_arg(value: str, what: str) -> Any:
    """JSON text, or @path to a file holding it."""
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text()
        except OSError as e:
            raise click.BadParameter(f"cannot read {value[1:]}: {e.strerror}", param_hint=what) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise click.BadParameter(f"not valid JSON: {e}", param_hint=what) from None


@click.command("test-filter")
@click.option("--pattern", required=True, help="A filter pattern, or a whole FilterCriteria "
              "({\"Filters\": [{\"Pattern\": ...}]}); JSON text or @file.")
@click.option("--record", required=True, help="A DynamoDB stream record as Lambda delivers it; JSON text or @file.")
def test_filter(pattern: str, record: str) -> None:
    """Print whether RECORD passes the pattern, like Lambda's event filtering would decide.

    \b
    Exit 0 with "true" or "false"; exit 2 for an invalid pattern or record.
    Example:
      harness test-filter --pattern '{"eventName": ["INSERT"]}' --record @record.json
    """
    from harness.runtime.esm.filtering import RecordFilter

    spec = json_arg(pattern, "--pattern")
    rec = json_arg(record, "--record")
    if not isinstance(rec, dict):
        raise click.BadParameter("a stream record is a JSON object", param_hint="--record")
    try:
        criteria = FilterCriteria.parse(spec) if isinstance(spec, dict) and "Filters" in spec \
            else FilterCriteria((json.dumps(spec),))
    except ValidationException as e:
        raise click.UsageError(str(e)) from None
    click.echo("true" if RecordFilter(criteria).matches(rec) else "false")
