"""``harness test-filter``: does a stream record pass a FilterCriteria pattern? (no backend needed)"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from harness.topology import FilterCriteria, ValidationException


#: deeper JSON is refused: Python's parser and the pattern compiler recurse once per level
MAX_JSON_DEPTH = 100


def json_arg(value: str, what: str) -> Any:
    """JSON text, or @path to a UTF-8 file holding it; anything else is a usage error naming ``what``."""
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_bytes().decode("utf-8")
        except OSError as e:
            raise click.BadParameter(f"cannot read {value[1:]}: {e.strerror}", param_hint=what) from None
        except UnicodeDecodeError as e:
            raise click.BadParameter(f"{value[1:]} is not UTF-8 text (byte {e.start}: {e.reason})",
                                     param_hint=what) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise click.BadParameter(f"not valid JSON: {e}", param_hint=what) from None
    except RecursionError:
        data = None  # nested too deep even to parse
    if (data is None and text.strip() != "null") or _depth(data) > MAX_JSON_DEPTH:
        raise click.BadParameter(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", param_hint=what)
    return data


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


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
